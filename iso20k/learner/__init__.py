"""What one learner sees of their own training."""

from .summary import (
    AssessmentResult, ModuleState, NextStep, TrackSummary, TrainingSummary, course_modules, training_summary,
)

__all__ = ["AssessmentResult", "ModuleState", "NextStep", "TrackSummary", "TrainingSummary", "course_modules",
           "training_summary"]
