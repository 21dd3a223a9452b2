"""iso20k: an interactive, bilingual ISO/IEC 20000 training course.

Course notebooks need only::

    from iso20k import quiz, quiz_module, progress, set_language, language_picker
"""

from .banks import BankError, load_catalog
from .identity import resolve_learner_id
from .roster import RosterError, import_roster
from .settings import Settings, get_settings
from .store import ProgressStore
from .widgets import language_picker, my_training, progress, quiz, quiz_module, set_language, whoami

__all__ = [
    "BankError", "ProgressStore", "RosterError", "Settings", "get_settings", "import_roster",
    "language_picker", "load_catalog", "my_training", "progress", "quiz", "quiz_module", "resolve_learner_id",
    "set_language", "whoami",
]
__version__ = "0.1.0"
