"""Read the roster back from the progress store."""

from __future__ import annotations

from sqlalchemy import select

from ..store import ProgressStore, tables


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
