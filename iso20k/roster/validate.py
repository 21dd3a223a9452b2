"""Turn the rows of a roster file into checked employee records, or list every problem.

Employee ids become JupyterHub and operating-system user names and nbgrader student ids (folder
names), so they must match :data:`EMPLOYEE_ID_PATTERN` (see :func:`check_employee_id`) and be
unique without regard to case (the hub lower-cases user names).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..settings import TRACKS, Settings, get_settings
from .columns import REQUIRED, headings_for
from .problems import RosterError, RosterProblem
from .read import cell_text, read_file
from .role_map import RoleMap
from .roles import ROLE_TRACKS, canonical_role, canonical_track
from .table import Table, locate_table

#: What an employee id may look like: ASCII letters, digits, '.', '_' and '-', starting with a
#: letter or digit, 1 to 32 characters.  It is safe as a hub user name, an operating-system user
#: name and a folder name (no spaces, no '/', cannot be '.' or '..').
EMPLOYEE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
EMPLOYEE_ID_MAX_LENGTH = 32
EMPLOYEE_ID_RULE = ("letters, digits, '.', '_' and '-' only, starting with a letter or digit, at most "
                    f"{EMPLOYEE_ID_MAX_LENGTH} characters (the id becomes the person's sign-in and folder name)")

_ID_CHAR = re.compile(r"[A-Za-z0-9._-]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SPLIT = re.compile(r"[;,，；、/|]+")
_MAX_TEXT = {"name": 200, "department": 200, "email": 320}  # the store's column sizes


def check_employee_id(value: str) -> str | None:
    """What is wrong with ``value`` as an employee id (or hub user name), or None if it is fine."""
    if not value:
        return "the employee id is empty"
    shown = value if len(value) <= 40 else value[:20] + "…"
    if len(value) > EMPLOYEE_ID_MAX_LENGTH:
        return (f"employee id '{shown}' is {len(value)} characters long; at most "
                f"{EMPLOYEE_ID_MAX_LENGTH} are allowed")
    bad = sorted({ch for ch in value if not _ID_CHAR.fullmatch(ch)})
    if bad:
        named = ", ".join("a space" if ch == " " else f"'{ch}'" if ch.isprintable() else repr(ch) for ch in bad)
        return f"employee id '{shown}' contains {named}; only letters, digits, '.', '_' and '-' are allowed"
    if not EMPLOYEE_ID_PATTERN.fullmatch(value):
        return f"employee id '{shown}' starts with '{value[0]}'; it must start with a letter or digit"
    return None


@dataclass(frozen=True)
class Employee:
    employee_id: str
    name: str
    department: str
    role: str
    email: str | None
    tracks: tuple[str, ...]
    due_dates: dict[str, date | None] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class CheckedRoster:
    """A roster file that passed every check."""

    table: Table
    employees: tuple[Employee, ...]
    default_role_titles: dict[str, int]   # job title -> how many people got --default-role for it


def department_key(name: str) -> str:
    """Departments are compared ignoring case and repeated spaces."""
    return " ".join(name.split()).casefold()


def _parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def validate_roster(path: Path, *, sheet: str | None = None, encoding: str | None = None,
                    role_map: RoleMap | None = None, default_role: str | None = None,
                    departments: tuple[str, ...] = (), settings: Settings | None = None) -> CheckedRoster:
    """Every employee in the file, or :class:`RosterError` with every problem and its line.

    ``departments`` limits the file to those departments: a row of another department is a problem.
    """
    settings = settings or get_settings()
    path = Path(path)
    if default_role is not None and canonical_role(default_role) is None:
        raise RosterError(path, [RosterProblem(None, None, f"--default-role '{default_role}' is not a role",
                                               f"use one of: {', '.join(ROLE_TRACKS)}")])
    default_role = canonical_role(default_role) if default_role else None
    table = locate_table(read_file(path, encoding), sheet, settings.roster_heading_search_rows)
    columns = table.heading.columns
    heading_line = table.heading.line
    problems: list[RosterProblem] = []
    for col in REQUIRED:
        if col not in columns:
            problems.append(RosterProblem(heading_line, col, "this column is missing",
                                          f"add a column named {headings_for(col)}; required columns: "
                                          f"{', '.join(REQUIRED)} and a role"))
    if not {"role", "job_title", "grade"} & set(columns) and default_role is None:
        problems.append(RosterProblem(
            heading_line, "role", "this column is missing",
            f"add a 'role' column ({headings_for('role')}), or use the job titles ({headings_for('job_title', 4)}) "
            "with a mapping file (--role-map), or give everyone one role with --default-role staff"))
    if problems:
        raise RosterError(path, problems)
    if not table.rows:
        raise RosterError(path, [RosterProblem(heading_line + 1, None, "there are no employees under the header",
                                               "add one employee per line below the column names")])

    wanted_departments = {department_key(d): d for d in departments}
    employees: list[Employee] = []
    first_line: dict[str, tuple[int, str]] = {}
    defaulted: Counter[str] = Counter()
    unmapped: dict[str, list[int]] = {}
    for line, row in table.rows:
        def get(col: str) -> str:
            return cell_text(row.get(col)) if col in columns else ""

        def bad(col: str | None, message: str, hint: str) -> None:
            problems.append(RosterProblem(line, table.heading_text(col) if col else None, message, hint))

        emp_id = get("employee_id")
        problem = check_employee_id(emp_id)
        if problem:
            bad("employee_id", problem, "give every employee their id; ids may have " + EMPLOYEE_ID_RULE)
        elif emp_id.lower() in first_line:
            other_line, other = first_line[emp_id.lower()]
            same = f"'{other}'" if other != emp_id else "the same id"
            bad("employee_id", f"employee id '{emp_id}' is also on line {other_line}"
                + ("" if other == emp_id else f" as {same} (ids are compared ignoring case, like sign-in names)"),
                "each employee appears once; merge or correct the two lines")
        else:
            first_line[emp_id.lower()] = (line, emp_id)

        name, department = get("name"), get("department")
        for col, value in (("name", name), ("department", department)):
            if not value:
                bad(col, f"the {col} is empty", f"fill in the employee's {col}")
            elif len(value) > _MAX_TEXT[col]:
                bad(col, f"the {col} is {len(value)} characters long; at most {_MAX_TEXT[col]} are allowed",
                    f"shorten the {col}")
        if department and wanted_departments and department_key(department) not in wanted_departments:
            bad("department", f"'{department}' is not one of the departments being imported "
                f"({', '.join(wanted_departments.values())})",
                f"remove this line, or add --department '{department}'")

        role = _role(get, columns, role_map, default_role, defaulted, unmapped, line, bad)

        email = get("email") or None
        if email and (not _EMAIL.match(email) or len(email) > _MAX_TEXT["email"]):
            bad("email", f"'{email[:80]}' is not an e-mail address", "write it like name@example.com, or leave it empty")

        tracks: list[str] = []
        if get("tracks"):
            for part in _SPLIT.split(get("tracks")):
                if not part.strip():
                    continue
                track = canonical_track(part)
                if track is None:
                    bad("tracks", f"unknown track '{part.strip()}'", f"use: {', '.join(TRACKS)}")
                elif track not in tracks:
                    tracks.append(track)
        elif role is not None:
            tracks = list(ROLE_TRACKS[role])
        if "all-staff" not in tracks:
            tracks.insert(0, "all-staff")  # everyone takes the all-staff track

        due: dict[str, date | None] = {}
        for track in TRACKS:
            col = f"due_{track.replace('-', '_')}"
            raw = row.get(col) if col in columns else None
            if raw is None or cell_text(raw) == "":
                due[track] = None
                continue
            try:
                due[track] = _parse_date(raw)
            except ValueError:
                bad(col, f"'{cell_text(raw)}' is not a date", "write dates as YYYY-MM-DD, e.g. 2027-03-31")
        employees.append(Employee(emp_id, name, department, role or "", email,
                                  tuple(t for t in TRACKS if t in tracks),
                                  {t: due.get(t) for t in TRACKS if t in tracks}, line))
    if problems:
        note = ""
        if unmapped:
            listed = "; ".join(f"{t} (line{'s' if len(ls) > 1 else ''} {', '.join(map(str, ls[:5]))}"
                               f"{', …' if len(ls) > 5 else ''})" for t, ls in unmapped.items())
            where = f"to {role_map.path}" if role_map else "to a mapping file and pass it with --role-map"
            note = f"Job titles with no role ({len(unmapped)}), to add {where}: {listed}"
        raise RosterError(path, problems, note=note)
    return CheckedRoster(table, tuple(employees), dict(defaulted))


def _role(get, columns, role_map: RoleMap | None, default_role: str | None, defaulted: Counter,
          unmapped: dict[str, list[int]], line: int, bad) -> str | None:
    """The row's role: its role column, else its job title or grade through the mapping file (or
    a title that is itself a role name, such as 经理), else --default-role."""
    role_text = get("role")
    if role_text:
        role = canonical_role(role_text)
        if role is None:
            bad("role", f"unknown role '{role_text}'", f"use one of: {', '.join(ROLE_TRACKS)}")
        return role
    title, grade = get("job_title"), get("grade")
    role = None
    if role_map is not None:
        role = role_map.role_for(title) or role_map.role_for(grade)
    if role is None and title:
        role = canonical_role(title)
    if role is None and default_role is not None:
        defaulted[title or grade or ""] += 1
        return default_role
    if role is not None:
        return role
    column = "job_title" if "job_title" in columns else "grade" if "grade" in columns else "role"
    what = title or grade
    if not what:
        bad(column, f"the {'role' if column == 'role' else column.replace('_', ' ')} is empty",
            "fill it in, or give such people a role with --default-role staff")
        return None
    unmapped.setdefault(what, []).append(line)
    kind = "job title" if title else "grade"
    if role_map is not None:
        bad(column, f"{kind} '{what}' has no role in the mapping file {role_map.path.name}",
            f"add a line '{what}: <role>' to {role_map.path} (roles: {', '.join(ROLE_TRACKS)}), "
            "or pass --default-role staff to give every unmapped title that role")
    else:
        bad(column, f"{kind} '{what}' is not a role and no role mapping file was given",
            f"write a mapping file with a line '{what}: <role>' (see docs/roster.md) and pass it with "
            "--role-map, or pass --default-role staff to give every unmapped title that role")
    return None

