"""The roster's tables (employees, enrolments): read the roster, change it in one transaction.

What a roster file means (its checks, the preview, who becomes inactive) is
:mod:`iso20k.roster`'s; this module reads and writes the rows."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Iterable, Iterator

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from . import tables

if TYPE_CHECKING:
    from .progress import ProgressStore


def roster(store: "ProgressStore", include_inactive: bool = False) -> list[dict]:
    """Employees (every column) with their tracks and due dates (``tracks``), by employee id."""
    e, en = tables.employees, tables.enrolments
    with store.reading() as conn:
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


def employee_ids(store: "ProgressStore") -> list[str]:
    """Every employee id on the roster, active or not."""
    e = tables.employees
    with store.reading() as conn:
        return [r[0] for r in conn.execute(select(e.c.employee_id))]


def ids_with_email_domain(store: "ProgressStore", domain: str) -> list[str]:
    """The employees whose e-mail address is at ``domain`` (the demo company's people)."""
    e = tables.employees
    with store.reading() as conn:
        return [r[0] for r in conn.execute(select(e.c.employee_id).where(e.c.email.like(f"%@{domain}")))]


def active_outside_domain(store: "ProgressStore", domain: str) -> int:
    """How many active employees have no e-mail address at ``domain``."""
    e = tables.employees
    with store.reading() as conn:
        return conn.execute(select(func.count()).where(
            e.c.active, or_(e.c.email.is_(None), ~e.c.email.like(f"%@{domain}")))).scalar() or 0


def delete_employees(store: "ProgressStore", ids: Iterable[str]) -> None:
    """Delete these employees and (by the foreign key) their enrolments; their answers are the
    store's :meth:`~iso20k.store.ProgressStore.forget`'s."""
    e, en = tables.employees, tables.enrolments
    ids = list(ids)
    with store.engine.begin() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            conn.execute(delete(en).where(en.c.employee_id.in_(chunk)))
            conn.execute(delete(e).where(e.c.employee_id.in_(chunk)))


class RosterChange:
    """The roster inside one write transaction (see :func:`changing`)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def employees(self) -> dict:
        """Every employee's row (active or not), by employee id."""
        e = tables.employees
        return {r.employee_id: r for r in self.conn.execute(select(e))}

    def enrolments(self) -> dict[str, dict[str, date | None]]:
        """Each employee's tracks and due dates."""
        en = tables.enrolments
        out: dict[str, dict[str, date | None]] = {}
        for r in self.conn.execute(select(en)):
            out.setdefault(r.employee_id, {})[r.track] = r.due_date
        return out

    def put(self, employee_id: str, *, name: str, department: str, role: str, email: str | None,
            tracks: dict[str, date | None], now: datetime, new: bool) -> None:
        """Add (``new``) or update one employee, active, with exactly these tracks."""
        e, en = tables.employees, tables.enrolments
        values = dict(name=name, department=department, role=role, email=email, active=True, updated_at=now)
        if new:
            self.conn.execute(insert(e).values(employee_id=employee_id, **values))
        else:
            self.conn.execute(update(e).where(e.c.employee_id == employee_id).values(**values))
            self.conn.execute(delete(en).where(en.c.employee_id == employee_id))
        if tracks:
            self.conn.execute(insert(en), [dict(employee_id=employee_id, track=t, due_date=d)
                                           for t, d in tracks.items()])

    def deactivate(self, ids: Iterable[str], now: datetime) -> None:
        """Mark these employees inactive (they keep their progress)."""
        e = tables.employees
        ids = list(ids)
        if ids:
            self.conn.execute(update(e).where(e.c.employee_id.in_(ids)).values(active=False, updated_at=now))


@contextmanager
def changing(store: "ProgressStore") -> Iterator[RosterChange]:
    """One transaction over the roster: read it, change it, all or nothing."""
    with store.engine.begin() as conn:
        yield RosterChange(conn)
