"""iso20k: an interactive, bilingual ISO/IEC 20000 training course.

Course notebooks need only::

    from iso20k import quiz, quiz_module, progress, set_language, language_picker

The names below are re-exported on first use (see :mod:`iso20k.lazy_exports`).
"""

from .lazy_exports import lazy_exports

_EXPORTS = {
    "BankError": ".banks", "load_catalog": ".banks",
    "resolve_learner_id": ".identity",
    "RosterError": ".roster", "import_roster": ".roster",
    "Settings": ".settings", "get_settings": ".settings",
    "ProgressStore": ".store",
    "language_picker": ".widgets", "my_training": ".widgets", "progress": ".widgets", "quiz": ".widgets",
    "quiz_module": ".widgets", "set_language": ".widgets", "whoami": ".widgets",
}
__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
