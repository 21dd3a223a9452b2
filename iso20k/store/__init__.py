"""The progress store: answers, module completions, the roster tables."""

from . import tables
from .engine import make_engine
from .migrations import LATEST_VERSION, MIGRATIONS, Migration, SchemaTooNewError, current_version, migrate
from .progress import AnswerRecord, NotEnrolledIn, ProgressStore, default_store, trail_writer

__all__ = [
    "LATEST_VERSION", "MIGRATIONS", "AnswerRecord", "Migration", "NotEnrolledIn", "ProgressStore", "SchemaTooNewError",
    "current_version", "default_store", "make_engine", "migrate", "tables", "trail_writer",
]
