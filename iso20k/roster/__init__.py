"""The roster: who must be trained on which track, by when.

Re-exported on first use (see :mod:`iso20k.lazy_exports`): the role table does not load the
spreadsheet reader."""

from ..lazy_exports import lazy_exports

_EXPORTS = {
    "COLUMN_ALIASES": ".columns", "REQUIRED": ".columns",
    "import_roster": ".importer", "write_employees": ".importer",
    "roster": ".listing",
    "ConfirmationNeeded": ".problems", "RosterError": ".problems", "RosterProblem": ".problems",
    "FieldChange": ".result", "ImportResult": ".result", "PersonChange": ".result",
    "RoleMap": ".role_map", "load_role_map": ".role_map",
    "ROLE_TRACKS": ".roles",
    "EMPLOYEE_ID_PATTERN": ".validate", "Employee": ".validate", "check_employee_id": ".validate",
    "validate_roster": ".validate",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
