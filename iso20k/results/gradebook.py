"""nbgrader's gradebook and the hand-ins collected into ``submitted/``, read through nbgrader's own
models (``nbgrader.api``) on a read-only connection: scores are nbgrader's ``Grade.score`` and
``SubmittedAssignment.score``, never re-derived here.  nbgrader's ``Gradebook`` class is not used
because it creates and migrates tables; a plain ORM session on a read-only connection reads the
same models and writes nothing.

Two reading paths, one function: the company (every hand-in) and one learner (their hand-ins
only); each sums nbgrader's ``Grade.score`` per submitted notebook in one pass over the grades
(nbgrader's grade table has no index leading with a submission), less the late penalty
(:func:`.rules.submission_score`).  ``tests/test_one_truth.py`` checks both against nbgrader's
``Gradebook`` (``SubmittedAssignment.score``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..tracks import ASSESSMENTS
from .moments import day_in, parse_moment
from .rules import hub_user_name, submission_score


@dataclass(frozen=True)
class HandIn:
    """One graded hand-in as nbgrader holds it."""

    id: str
    assignment: str
    student: str  # nbgrader's student id (on the hub, the user name)
    timestamp: datetime | None
    score: float  # nbgrader's score less the late penalty, not below zero
    max_score: float
    needs_manual: bool
    graded: bool = True  # False: nbgrader holds no grade for it at all


def session(conn) -> Session:
    """An ORM session on ``conn`` (a read-only connection) that never flushes."""
    return Session(bind=conn, autoflush=False)


def company_hand_ins(conn) -> tuple[list[HandIn], dict[str, str]]:
    """Every graded hand-in, and each submitted notebook's hand-in id (for per-item reading)."""
    return _hand_ins(conn, None)


def learner_hand_ins(conn, learner_id: str) -> list[HandIn]:
    """One learner's graded hand-ins (under their employee id or hub user name): only their rows'
    grades are summed (nbgrader's grade table has no index leading with a notebook, so its
    ``SubmittedAssignment.score`` makes SQLite index the whole table for every hand-in)."""
    return _hand_ins(conn, sorted({learner_id, hub_user_name(learner_id)}))[0]


def _hand_ins(conn, students: list[str] | None) -> tuple[list[HandIn], dict[str, str]]:
    """The hand-ins (of ``students``, None: everyone's), each scored by summing nbgrader's
    ``Grade.score`` over its notebooks in one pass over the grades, less its late penalty."""
    from nbgrader.api import Assignment, Grade, SubmittedAssignment, SubmittedNotebook

    with session(conn) as s:
        query = (select(SubmittedAssignment.id, Assignment.name, SubmittedAssignment.student_id,
                        SubmittedAssignment.timestamp)
                 .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id))
        if students is not None:
            query = query.where(SubmittedAssignment.student_id.in_(students))
        subs = s.execute(query).all()
        if not subs:
            return [], {}
        names = {name for _, name, _, _ in subs}
        max_scores = {name: float(total or 0) for name, total in
                      s.execute(select(Assignment.name, Assignment.max_score).where(Assignment.name.in_(names)))}
        query = select(SubmittedNotebook.id, SubmittedNotebook.assignment_id, SubmittedNotebook.late_submission_penalty)
        if students is not None:
            query = query.where(SubmittedNotebook.assignment_id.in_([sub_id for sub_id, *_ in subs]))
        notebooks: dict[str, str] = {}
        penalties: dict[str, float] = {}
        for nb, sub_id, penalty in s.execute(query):
            notebooks[nb] = sub_id
            penalties[sub_id] = penalties.get(sub_id, 0.0) + float(penalty or 0)
        waiting = func.max(case((Grade.needs_manual_grade, 1), else_=0))
        query = select(Grade.notebook_id, func.sum(Grade.score), waiting).group_by(Grade.notebook_id)
        if students is not None:
            query = query.where(Grade.notebook_id.in_(sorted(notebooks) or [""]))
        totals: dict[str, list] = {}
        for nb, score, manual in s.execute(query):
            entry = totals.setdefault(notebooks.get(nb), [0.0, False])
            entry[0] += float(score or 0)
            entry[1] = entry[1] or bool(manual)
    out = []
    for sub_id, name, student, stamp in subs:
        raw, manual = totals.get(sub_id, (0.0, False))
        out.append(HandIn(sub_id, name, student, stamp, submission_score(raw, penalties.get(sub_id)),
                          max_scores.get(name, 0.0), manual, sub_id in totals))
    return out, notebooks


def assessment_items(conn) -> dict[str, set[str]]:
    """assignment -> what its grade and task cells stand for: the item id (``q01`` of ``q01-test``),
    or a form's slot (``s01``), whose item differs per learner."""
    from nbgrader.api import Assignment, GradeCell, Notebook, TaskCell

    out: dict[str, set[str]] = {}
    with session(conn) as s:
        for model in (GradeCell, TaskCell):
            rows = s.execute(select(Assignment.name, model.name)
                             .join(Notebook, Notebook.id == model.notebook_id)
                             .join(Assignment, Assignment.id == Notebook.assignment_id))
            for assignment, cell in rows:
                out.setdefault(assignment, set()).add(cell.rsplit("-", 1)[0])
    return out


def _grade_keys():
    """(assignment, student, notebook, cell, hand-in timestamp) of each grade, as a query to narrow."""
    from nbgrader.api import Assignment, BaseCell, Grade, Notebook, SubmittedAssignment, SubmittedNotebook

    return (select(Assignment.name, SubmittedAssignment.student_id, Notebook.name, BaseCell.name,
                   Grade.auto_score, Grade.manual_score, Grade.extra_credit, SubmittedAssignment.timestamp)
            .select_from(Grade)
            .join(SubmittedNotebook, SubmittedNotebook.id == Grade.notebook_id)
            .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id)
            .join(SubmittedAssignment, SubmittedAssignment.id == SubmittedNotebook.assignment_id)
            .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
            .join(BaseCell, BaseCell.id == Grade.cell_id))


def grade_rows(conn, assignment: str | None = None) -> list[tuple]:
    """Every grade (of ``assignment``) with its key and parts: (assignment, student, notebook,
    cell, auto score, manual score, extra credit, hand-in timestamp); the audit trail scores them
    with :func:`.rules.grade_score`."""
    from nbgrader.api import Assignment

    query = _grade_keys()
    if assignment:
        query = query.where(Assignment.name == assignment)
    with session(conn) as s:
        return [tuple(r) for r in s.execute(query)]


def grade_key(conn, grade_id: str) -> tuple | None:
    """(assignment, student, notebook, cell, hand-in timestamp) of one grade, or None."""
    from nbgrader.api import Grade

    row = conn.execute(_grade_keys().where(Grade.id == grade_id)).first()
    return None if row is None else (row[0], row[1], row[2], row[3], row[7])


def wrong_items(conn) -> list[tuple[str, str]]:
    """(submitted notebook, grade cell) of every graded exam item scored below its maximum."""
    from nbgrader.api import Grade, GradeCell

    with session(conn) as s:
        return list(s.execute(select(Grade.notebook_id, Grade.cell_id)
                              .join(GradeCell, GradeCell.id == Grade.cell_id)
                              .where(~Grade.needs_manual_grade, Grade.score < GradeCell.max_score)))


def cell_names(conn) -> dict[str, str]:
    """Grade and task cells' ids -> their names."""
    from nbgrader.api import GradeCell, TaskCell

    with session(conn) as s:
        out = {cid: name for cid, name in s.execute(select(GradeCell.id, GradeCell.name))}
        out.update({cid: name for cid, name in s.execute(select(TaskCell.id, TaskCell.name))})
    return out


# -- hand-ins collected but not graded yet ---------------------------------------------------------
def collected(course_root: Path, students: Iterable[str] | None = None, zone=None) -> dict[tuple[str, str], date | None]:
    """(student folder, track) -> the day (in ``zone``) each assessment in ``submitted/`` was handed
    in (nbgrader's ``timestamp.txt``; None when unreadable); every student's, or only ``students``'.
    Without ``zone``: the configured zone."""
    base = Path(course_root) / "submitted"
    if students is None:
        try:
            names = [e.name for e in os.scandir(base) if e.is_dir()]
        except OSError:
            return {}
    else:
        names = list(dict.fromkeys(students))
    out: dict[tuple[str, str], date | None] = {}
    for name in names:
        for track, assignment in ASSESSMENTS.items():
            stamp = base / name / assignment / "timestamp.txt"
            if stamp.is_file():
                try:
                    out[(name, track)] = day_in(parse_moment(stamp.read_text(encoding="utf-8")), zone)
                except (OSError, ValueError, OverflowError):
                    out[(name, track)] = None
    return out
