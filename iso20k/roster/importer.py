"""Write a checked roster into the progress store in one transaction, or preview what it would do."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from ..settings import Settings, get_settings
from ..store import ProgressStore
from ..store.roster import changing
from .problems import ConfirmationNeeded, RosterError, RosterProblem
from .result import FieldChange, ImportResult, PersonChange
from .role_map import RoleMap, load_role_map
from .validate import CheckedRoster, Employee, department_key, validate_roster


def import_roster(path: Path, store: ProgressStore, *, sheet: str | None = None,
                  encoding: str | None = None, role_map: Path | RoleMap | None = None,
                  default_role: str | None = None, departments: tuple[str, ...] | list[str] = (),
                  partial: bool = False, dry_run: bool = False, yes: bool = False,
                  confirmed: ImportResult | None = None, settings: Settings | None = None) -> ImportResult:
    """Check every row of the file first; then add and update everyone at once (or, with
    ``dry_run``, only say what would change).

    Scope: by default (a full import) active people missing from the file are marked inactive;
    with ``departments`` only the active people of those departments are, and every row must
    belong to one of them; with ``partial`` nobody is.  People keep their progress either way.

    A full or department import that would mark more than ``roster_confirm_inactive_share`` of
    the active employees inactive raises :class:`ConfirmationNeeded` (nothing written) unless
    ``yes``, or unless ``confirmed`` is the preview the user agreed to and nobody else would now
    become inactive.
    """
    settings = settings or get_settings()
    path = Path(path)
    departments = tuple(d.strip() for d in departments if d.strip())
    mapping = role_map if role_map is not None else settings.roster_role_map
    if mapping is not None and not isinstance(mapping, RoleMap):
        mapping = load_role_map(Path(mapping))
    checked = validate_roster(path, sheet=sheet, encoding=encoding, role_map=mapping,
                              default_role=default_role, departments=departments, settings=settings)
    scope = "partial" if partial else "departments" if departments else "full"
    info = _file_info(checked, mapping, default_role if checked.default_role_titles else None)
    return _write(checked.employees, store, source=str(path), info=info, scope=scope, departments=departments,
                  dry_run=dry_run, yes=yes, confirmed=confirmed,
                  share_limit=settings.roster_confirm_inactive_share)


def preview_store(settings: Settings | None = None) -> ProgressStore:
    """The progress store opened so that nothing can be written (for ``--dry-run``): read-only,
    or an empty in-memory store when the SQLite file does not exist yet (nothing is created)."""
    settings = settings or get_settings()
    url = make_url(settings.effective_db_url)
    if url.get_backend_name() == "sqlite" and (not url.database or not Path(url.database).expanduser().exists()):
        return ProgressStore("sqlite://", settings=settings)
    return ProgressStore(settings.effective_db_url, settings=settings, read_only=True)


def write_employees(employees: list[Employee], store: ProgressStore, *, partial: bool = False) -> ImportResult:
    """Add or update ``employees`` at once; unless ``partial``, mark every other active person
    inactive (no confirmation asked: for the demo and other callers that built the list)."""
    return _write(tuple(employees), store, source="write_employees", info={}, scope="partial" if partial else "full",
                  departments=(), dry_run=False, yes=True, confirmed=None, share_limit=1.0)


def _file_info(checked: CheckedRoster, mapping: RoleMap | None, default_role: str | None) -> dict:
    table = checked.table
    return dict(
        sheet=table.sheet, heading_line=table.heading.line, encoding=table.encoding,
        columns=tuple((table.heading.texts[i], c) for c, i in sorted(table.heading.columns.items(),
                                                                      key=lambda kv: kv[1])
                      if c not in ("phone", "hire_date")),
        unused_columns=table.unused, role_map=str(mapping.path) if mapping else None,
        default_role=default_role,
        default_role_titles=tuple(sorted(checked.default_role_titles.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def _tracks_text(tracks: dict[str, date | None]) -> str:
    return ", ".join(f"{t} (due {d.isoformat()})" if d else t for t, d in sorted(tracks.items()))


def _write(employees: tuple[Employee, ...], store: ProgressStore, *, source: str, info: dict, scope: str,
           departments: tuple[str, ...], dry_run: bool, yes: bool, confirmed: ImportResult | None,
           share_limit: float) -> ImportResult:
    now = datetime.now(timezone.utc)
    with changing(store) as change:
        current = change.employees()
        enrolled = change.enrolments()
        _check_case_clashes(employees, current, source)

        added, updated, unchanged = [], [], []
        for emp in employees:
            tracks = {t: emp.due_dates.get(t) for t in emp.tracks}
            old = current.get(emp.employee_id)
            person = PersonChange(emp.employee_id, emp.name, emp.department, emp.role, emp.line or None)
            if old is None:
                added.append(person)
                continue
            changes = [FieldChange(f, str(getattr(old, f) or ""), str(getattr(emp, f) or ""))
                       for f in ("name", "department", "role", "email") if (getattr(old, f) or "") != (getattr(emp, f) or "")]
            before, after = _tracks_text(enrolled.get(emp.employee_id, {})), _tracks_text(tracks)
            if before != after:
                changes.append(FieldChange("tracks", before, after))
            if not old.active:
                changes.append(FieldChange("active", "no", "yes"))
            if changes:
                updated.append(replace(person, changes=tuple(changes)))
            else:
                unchanged.append(emp.employee_id)

        in_file = {emp.employee_id for emp in employees}
        wanted = {department_key(d) for d in departments}
        gone = [r for r in current.values() if r.active and r.employee_id not in in_file
                and (scope == "full" or (scope == "departments" and department_key(r.department) in wanted))]
        deactivated = tuple(PersonChange(r.employee_id, r.name, r.department, r.role, None)
                            for r in sorted(gone, key=lambda r: r.employee_id))
        active_before = sum(1 for r in current.values() if r.active)
        over = bool(deactivated) and len(deactivated) > share_limit * active_before
        result = ImportResult(
            source=source, **{k: info.get(k) for k in ("sheet", "heading_line", "encoding", "role_map", "default_role")},
            columns=info.get("columns", ()), unused_columns=info.get("unused_columns", ()),
            default_role_titles=info.get("default_role_titles", ()),
            scope=scope, departments=departments, dry_run=dry_run, active_before=active_before,
            added=tuple(added), updated=tuple(updated), deactivated=deactivated, unchanged=tuple(unchanged),
            needs_confirmation=over)
        if dry_run:
            return result
        if over and not yes:
            agreed = {p.employee_id for p in confirmed.deactivated} if confirmed else set()
            if not {p.employee_id for p in deactivated} <= agreed:
                raise ConfirmationNeeded(_as_preview(result), share_limit)

        same = set(unchanged)
        for emp in employees:
            if emp.employee_id in same:
                continue
            change.put(emp.employee_id, name=emp.name, department=emp.department, role=emp.role, email=emp.email,
                       tracks={t: emp.due_dates.get(t) for t in emp.tracks}, now=now,
                       new=emp.employee_id not in current)
        change.deactivate([p.employee_id for p in deactivated], now)
    return result


def _as_preview(result: ImportResult) -> ImportResult:
    return replace(result, dry_run=True)


def _check_case_clashes(employees: tuple[Employee, ...], current: dict, source: str) -> None:
    """An id that differs only in case from a different id already in the store would become the
    same sign-in name (the hub lower-cases user names)."""
    by_lower = {i.lower(): i for i in current}
    problems = []
    for emp in employees:
        other = by_lower.get(emp.employee_id.lower())
        if other is not None and other != emp.employee_id:
            problems.append(RosterProblem(
                emp.line or None, None,
                f"employee id '{emp.employee_id}' differs only in case from '{other}' already on the roster",
                f"write it as '{other}' if it is the same person; ids are compared ignoring case, like sign-in names"))
    if problems:
        raise RosterError(Path(source), problems)
