"""The company's record, read once with the rules that decide what it means; every face
(dashboard, My training, certificates, competence, xAPI, evidence, audit) reads it here."""

from .model import Person, Snapshot, Submission
from .moments import day_in, parse_moment
from .reader import Reader, load_snapshot
from .status import STATUSES, status_of, statuses

__all__ = ["Person", "Snapshot", "Submission", "day_in", "parse_moment", "Reader", "load_snapshot",
           "STATUSES", "status_of", "statuses"]
