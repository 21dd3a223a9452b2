"""The roster: who must be trained on which track, by when."""

from .columns import COLUMN_ALIASES, REQUIRED
from .importer import import_roster, write_employees
from .listing import roster
from .problems import ConfirmationNeeded, RosterError, RosterProblem
from .result import FieldChange, ImportResult, PersonChange
from .role_map import RoleMap, load_role_map
from .roles import ROLE_TRACKS
from .validate import EMPLOYEE_ID_PATTERN, Employee, check_employee_id, validate_roster

__all__ = [
    "COLUMN_ALIASES", "ConfirmationNeeded", "EMPLOYEE_ID_PATTERN", "Employee", "FieldChange", "ImportResult",
    "PersonChange", "REQUIRED", "ROLE_TRACKS", "RoleMap", "RosterError", "RosterProblem", "check_employee_id",
    "import_roster", "load_role_map", "roster", "validate_roster", "write_employees",
]
