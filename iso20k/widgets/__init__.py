"""Interactive quiz widgets for the course notebooks."""

from .api import language_picker, my_training, progress, quiz, quiz_module, set_language, whoami
from .inputs import ChoiceInput, MatchingInput, OrderingInput
from .progress import ModuleProgress
from .question import QuestionWidget
from .session import QuizSession, current_session, use_session

__all__ = [
    "ChoiceInput", "MatchingInput", "ModuleProgress", "OrderingInput", "QuestionWidget",
    "QuizSession", "current_session", "language_picker", "my_training", "progress", "quiz", "quiz_module",
    "set_language", "use_session", "whoami",
]
