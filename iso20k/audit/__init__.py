"""The tamper-evident audit trail: hash-chained entries for roster imports, grades, regrades and
certificates, and the check of the chain and of the gradebook against it."""

from .actor import current_actor
from .autograde import autograde_audited
from .chain import ChainProblem, Entry, append, append_in, entries
from .grades import GradeKey, read_grades, record_changes, record_from_trail_state
from .roster_changes import import_roster_audited
from .verify import TrailReport, anchor_path, verify_trail

__all__ = [
    "ChainProblem", "Entry", "autograde_audited", "GradeKey", "TrailReport", "anchor_path", "append", "append_in", "current_actor",
    "entries", "import_roster_audited", "read_grades", "record_changes", "record_from_trail_state",
    "verify_trail",
]
