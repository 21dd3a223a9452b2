"""What one learner sees of their own training."""

from .summary import (
    AssessmentResult, DueStep, ModuleState, NextStep, TrackSummary, TrainingSummary, course_modules, due_step,
    due_text, training_summary,
)

__all__ = ["AssessmentResult", "DueStep", "ModuleState", "NextStep", "TrackSummary", "TrainingSummary",
           "course_modules", "due_step", "due_text", "training_summary"]
