"""xAPI 1.0.3 export of the learning records, and sending to an external LRS."""

from .lrs import LrsError, send
from .statements import INTERACTION_TYPES, VERBS, StatementError, build_statements, validate

__all__ = ["INTERACTION_TYPES", "VERBS", "LrsError", "StatementError", "build_statements", "send", "validate"]
