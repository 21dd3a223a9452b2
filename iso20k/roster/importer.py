"""Write a checked roster into the progress store in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, insert, select, update

from ..store import ProgressStore, tables
from .validate import Employee, validate_roster


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    deactivated: int

    def __str__(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.deactivated} no longer on the "
                "roster (kept with their progress, marked inactive)")


def import_roster(path: Path, store: ProgressStore) -> ImportSummary:
    """Validate every row first; then add or update everyone at once.

    People already in the store keep their progress (answers are keyed by employee id).  People
    missing from the new file are marked inactive, not deleted.
    """
    employees = validate_roster(Path(path))
    return write_employees(employees, store)


def write_employees(employees: list[Employee], store: ProgressStore) -> ImportSummary:
    e, en = tables.employees, tables.enrolments
    now = datetime.now(timezone.utc)
    added = updated = 0
    with store.engine.begin() as conn:
        existing = {r[0] for r in conn.execute(select(e.c.employee_id))}
        active_before = {r[0] for r in conn.execute(select(e.c.employee_id).where(e.c.active))}
        for emp in employees:
            values = dict(name=emp.name, department=emp.department, role=emp.role,
                          email=emp.email, active=True, updated_at=now)
            if emp.employee_id in existing:
                conn.execute(update(e).where(e.c.employee_id == emp.employee_id).values(**values))
                updated += 1
            else:
                conn.execute(insert(e).values(employee_id=emp.employee_id, **values))
                added += 1
            conn.execute(delete(en).where(en.c.employee_id == emp.employee_id))
            conn.execute(insert(en), [dict(employee_id=emp.employee_id, track=t, due_date=emp.due_dates.get(t))
                                      for t in emp.tracks])
        gone = active_before - {emp.employee_id for emp in employees}
        if gone:
            conn.execute(update(e).where(e.c.employee_id.in_(gone)).values(active=False, updated_at=now))
    return ImportSummary(added, updated, len(gone))


def roster(store: ProgressStore, include_inactive: bool = False) -> list[dict]:
    """Employees with their tracks and due dates."""
    e, en = tables.employees, tables.enrolments
    with store.engine.connect() as conn:
        query = select(e).order_by(e.c.employee_id)
        if not include_inactive:
            query = query.where(e.c.active)
        people = [dict(r._mapping) for r in conn.execute(query)]
        tracks: dict[str, dict] = {}
        for r in conn.execute(select(en)):
            tracks.setdefault(r.employee_id, {})[r.track] = r.due_date
    for p in people:
        p["tracks"] = tracks.get(p["employee_id"], {})
    return people
