"""My training's summary: built in the record (:mod:`iso20k.results.training`), read here by the
learner's faces."""

from ..results.due_steps import DueStep, due_step, due_text
from ..results.training import (
    AssessmentResult, ModuleState, NextStep, TrackSummary, TrainingSummary, course_modules, summary_from_json,
    summary_to_json, training_summary,
)

__all__ = ["DueStep", "due_step", "due_text", "AssessmentResult", "ModuleState", "NextStep", "TrackSummary", "TrainingSummary", "course_modules",
           "summary_from_json", "summary_to_json", "training_summary"]
