"""My training's summary: built in the record (:mod:`iso20k.results.training`), read here by the
learner's faces."""

from ..results.training import (
    AssessmentResult, ModuleState, NextStep, TrackSummary, TrainingSummary, course_modules, summary_from_json,
    summary_to_json, training_summary,
)

__all__ = ["AssessmentResult", "ModuleState", "NextStep", "TrackSummary", "TrainingSummary", "course_modules",
           "summary_from_json", "summary_to_json", "training_summary"]
