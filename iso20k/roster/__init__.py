"""The roster: who must be trained on which track, by when."""

from .importer import ImportSummary, import_roster, roster, write_employees
from .problems import RosterError, RosterProblem
from .roles import ROLE_TRACKS
from .validate import COLUMN_ALIASES, REQUIRED, Employee, validate_roster

__all__ = [
    "COLUMN_ALIASES", "Employee", "ImportSummary", "REQUIRED", "ROLE_TRACKS", "RosterError",
    "RosterProblem", "import_roster", "roster", "validate_roster", "write_employees",
]
