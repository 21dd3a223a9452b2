"""The company's progress as plain rows, for the record's readers (:mod:`iso20k.results`): the
roster with its due dates, answers and module completions; a company reading path over a
connection the reader holds (read-only, one snapshot) and a one-learner path (My training) that
reads only that learner's rows.  Times are returned as stored; which day a moment falls on is the
record's rule, not the store's."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Iterator

from sqlalchemy import Connection, and_, case, func, select

from . import tables


@contextmanager
def _reading(source) -> Iterator[Connection]:
    """A connection from a connection (used as is), an engine or a store."""
    if isinstance(source, Connection):
        yield source
        return
    with getattr(source, "engine", source).connect() as conn:
        yield conn


# -- the company path: on the reader's connection ------------------------------------------------
def people(conn: Connection) -> list[tuple[str, str, str, str, dict[str, date | None]]]:
    """Active employees ``(employee_id, name, department, role, {track: due date})``, by
    department and id (enrolments of inactive people are left out)."""
    e, en = tables.employees, tables.enrolments
    due: dict[str, dict[str, date | None]] = {}
    for eid, track, due_date in conn.execute(select(en.c.employee_id, en.c.track, en.c.due_date)):
        due.setdefault(eid, {})[track] = due_date
    rows = conn.execute(select(e.c.employee_id, e.c.name, e.c.department, e.c.role)
                        .where(e.c.active).order_by(e.c.department, e.c.employee_id))
    return [(eid, name, dept, role, due.get(eid, {})) for eid, name, dept, role in rows]


def progress_stamp(conn: Connection) -> tuple:
    """Cheap figures that change whenever the rows the company reading uses change:
    ``(newest answer id, answers, completions, employees, newest employee change, enrolments)``."""
    a, mc, e, en = tables.answers, tables.module_completions, tables.employees, tables.enrolments
    return tuple(conn.execute(select(
        select(func.coalesce(func.max(a.c.id), 0)).scalar_subquery(),
        select(func.count()).select_from(a).scalar_subquery(),
        select(func.count()).select_from(mc).scalar_subquery(),
        select(func.count()).select_from(e).scalar_subquery(),
        select(func.max(e.c.updated_at)).scalar_subquery(),
        select(func.count()).select_from(en).scalar_subquery(),
    )).one())


def newest_answer(conn: Connection) -> int:
    """The highest answer id (0 when there is none)."""
    a = tables.answers
    return conn.execute(select(func.coalesce(func.max(a.c.id), 0))).scalar()


def answers_after(conn: Connection, after: int) -> int:
    """How many answers have an id above ``after``."""
    a = tables.answers
    return conn.execute(select(func.count()).select_from(a).where(a.c.id > after)).scalar() or 0


def first_answers(conn: Connection, after: int = 0) -> list[tuple[str, str, datetime]]:
    """``(learner, track, first answered_at)`` over the answers with an id above ``after``."""
    a = tables.answers
    return [tuple(r) for r in conn.execute(
        select(a.c.learner_id, a.c.track, func.min(a.c.answered_at)).where(a.c.id > after)
        .group_by(a.c.learner_id, a.c.track))]


def answers_by_department(conn: Connection, after: int = 0) -> list[tuple[str, str, int, int]]:
    """``(department, question id, answers, wrong answers)`` of active employees, over the answers
    with an id above ``after`` (the clause table)."""
    a, e = tables.answers, tables.employees
    wrong = func.sum(case((a.c.correct, 0), else_=1))
    return [(dept, qid, int(n), int(w or 0)) for dept, qid, n, w in conn.execute(
        select(e.c.department, a.c.question_id, func.count(), wrong)
        .select_from(a.join(e, e.c.employee_id == a.c.learner_id))
        .where(a.c.id > after, e.c.active).group_by(e.c.department, a.c.question_id))]


def completions(conn: Connection, learners: Iterable[str] | None = None) -> list[tuple[str, str, datetime]]:
    """``(learner, track, completed_at)`` of every module completion (only of ``learners``)."""
    mc = tables.module_completions
    query = select(mc.c.learner_id, mc.c.track, mc.c.completed_at)
    if learners is not None:
        query = query.where(mc.c.learner_id.in_(sorted(learners) or [""]))
    return [tuple(r) for r in conn.execute(query)]


def module_completions(source) -> list[tuple[str, str, str, datetime]]:
    """``(learner, track, module, completed_at)`` of every module completion (xAPI, evidence);
    ``source``: a store, its engine, or a connection."""
    mc = tables.module_completions
    with _reading(source) as conn:
        return [tuple(r) for r in conn.execute(select(mc.c.learner_id, mc.c.track, mc.c.module,
                                                      mc.c.completed_at))]


# -- the one-learner path (My training): only this learner's rows --------------------------------
@dataclass
class LearnerProgress:
    """One learner's rows: ``name`` is None when they are not an active employee."""

    learner_id: str
    name: str | None
    department: str = ""
    role: str = ""
    due: dict[str, date | None] = field(default_factory=dict)
    completed: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (track, module) -> when
    correct: dict[str, set[str]] = field(default_factory=dict)  # "track/module" -> question ids
    first_answer: dict[str, datetime] = field(default_factory=dict)  # track -> first answered_at


def learner_progress(source, learner_id: str) -> LearnerProgress:
    """This learner's roster entry, enrolments, completions, correctly answered questions and first
    answer per track, in one connection (``source``: a store, its engine, or a connection)."""
    e, en, a, mc = tables.employees, tables.enrolments, tables.answers, tables.module_completions
    with _reading(source) as conn:
        row = conn.execute(select(e.c.name, e.c.department, e.c.role)
                           .where(and_(e.c.employee_id == learner_id, e.c.active))).first()
        out = LearnerProgress(learner_id, *row) if row else LearnerProgress(learner_id, None)
        out.due = {t: d for t, d in conn.execute(select(en.c.track, en.c.due_date)
                                                 .where(en.c.employee_id == learner_id))}
        out.completed = {(t, m): at for t, m, at in conn.execute(
            select(mc.c.track, mc.c.module, mc.c.completed_at).where(mc.c.learner_id == learner_id))}
        for track, module, qid in conn.execute(select(a.c.track, a.c.module, a.c.question_id).distinct()
                                               .where(and_(a.c.learner_id == learner_id, a.c.correct))):
            out.correct.setdefault(f"{track}/{module}", set()).add(qid)
        out.first_answer = {t: at for t, at in conn.execute(
            select(a.c.track, func.min(a.c.answered_at)).where(a.c.learner_id == learner_id).group_by(a.c.track))}
    return out


def late_hand_ins(source) -> list[tuple[str, str, float]]:
    """(learner, assignment, minutes late) of every timed assessment whose newest hand-in the trail
    recorded as late (``exam-handed-in``; see :mod:`iso20k.grading.sittings`)."""
    from .trail import entries_of

    newest: dict[tuple[str, str], float] = {}
    with _reading(source) as conn:
        for entry in entries_of(conn, ("exam-handed-in",)):
            learner, _, assignment = entry.subject.partition("/")
            late = entry.details.get("minutes_late") if entry.details.get("late") is True else 0.0
            newest[(learner, assignment)] = float(late or 0.0)
    return [(learner, assignment, late) for (learner, assignment), late in newest.items() if late > 0]
