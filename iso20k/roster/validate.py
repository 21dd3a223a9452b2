"""Turn raw roster rows into checked employee records, or list every problem."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..settings import TRACKS
from .problems import RosterError, RosterProblem
from .read import cell_text, read_rows
from .roles import ROLE_TRACKS, canonical_role, canonical_track

REQUIRED = ("employee_id", "name", "department", "role")
OPTIONAL = ("tracks", "email") + tuple(f"due_{t.replace('-', '_')}" for t in TRACKS)

#: Column names a roster may use, including the Chinese headings an HR export typically has.
COLUMN_ALIASES = {
    "employee_id": ("employee_id", "employee id", "id", "员工编号", "工号"),
    "name": ("name", "姓名"),
    "department": ("department", "dept", "部门"),
    "role": ("role", "角色", "岗位角色"),
    "tracks": ("tracks", "培训课程", "培训"),
    "email": ("email", "e-mail", "邮箱", "电子邮件"),
    "due_all_staff": ("due_all_staff", "全员培训截止日期"),
    "due_key_personnel": ("due_key_personnel", "骨干培训截止日期"),
    "due_document_writing": ("due_document_writing", "文件编写培训截止日期"),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SPLIT = re.compile(r"[;,，；、/|]+")


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


def _column_map(header: list[str]) -> dict[str, str]:
    found = {}
    lowered = {h.strip().lower(): h for h in header if h}
    for canonical, names in COLUMN_ALIASES.items():
        for name in names:
            if name.lower() in lowered:
                found[canonical] = lowered[name.lower()]
                break
    return found


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


def validate_roster(path: Path) -> list[Employee]:
    """Every employee in the file, or :class:`RosterError` with every problem and its line."""
    header, rows = read_rows(path)
    columns = _column_map(header)
    problems: list[RosterProblem] = []
    for col in REQUIRED:
        if col not in columns:
            problems.append(RosterProblem(1, col, "this column is missing",
                                          f"add a column named '{col}' (or '{COLUMN_ALIASES[col][-1]}'); "
                                          f"required columns: {', '.join(REQUIRED)}"))
    if problems:
        raise RosterError(path, problems)
    if not rows:
        raise RosterError(path, [RosterProblem(2, None, "there are no employees under the header",
                                               "add one employee per line below the column names")])

    employees: list[Employee] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        def get(col: str) -> str:
            return cell_text(row.get(columns[col])) if col in columns else ""

        def bad(col: str, message: str, hint: str) -> None:
            problems.append(RosterProblem(line, columns.get(col, col), message, hint))

        emp_id = get("employee_id")
        if not emp_id:
            bad("employee_id", "the employee id is empty", "give every employee their id")
        elif emp_id in first_line:
            bad("employee_id", f"employee id '{emp_id}' is also on line {first_line[emp_id]}",
                "each employee appears once; merge or correct the two lines")
        else:
            first_line[emp_id] = line
        name, department = get("name"), get("department")
        if not name:
            bad("name", "the name is empty", "fill in the employee's name")
        if not department:
            bad("department", "the department is empty", "fill in the department")
        role_text = get("role")
        role = canonical_role(role_text) if role_text else None
        if role is None:
            bad("role", f"unknown role '{role_text}'" if role_text else "the role is empty",
                f"use one of: {', '.join(ROLE_TRACKS)}")
        email = get("email") or None
        if email and not _EMAIL.match(email):
            bad("email", f"'{email}' is not an e-mail address", "write it like name@example.com, or leave it empty")

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
            raw = row.get(columns[col]) if col in columns else None
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
        raise RosterError(path, problems)
    return employees
