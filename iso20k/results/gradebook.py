"""nbgrader's gradebook and the hand-ins collected into ``submitted/``, read through nbgrader's own
models (``nbgrader.api``) on a read-only connection: scores are nbgrader's ``Grade.score`` and
``SubmittedAssignment.score``, never re-derived here.  nbgrader's ``Gradebook`` class is not used
because it creates and migrates tables; a plain ORM session on a read-only connection reads the
same models and writes nothing.

Two reading paths: the company (every hand-in, ``Grade.score`` summed per submitted notebook in
one pass: nbgrader's grade table has no index leading with a submission) and one learner
(``SubmittedAssignment.score`` for their hand-ins only).  Both end in :func:`.rules.submission_score`.
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
    from nbgrader.api import Assignment, Grade, SubmittedAssignment, SubmittedNotebook

    with session(conn) as s:
        max_scores = {name: float(total or 0) for name, total in s.execute(select(Assignment.name, Assignment.max_score))}
        notebooks: dict[str, str] = {}
        penalties: dict[str, float] = {}
        for nb, sub_id, penalty in s.execute(select(SubmittedNotebook.id, SubmittedNotebook.assignment_id,
                                                    SubmittedNotebook.late_submission_penalty)):
            notebooks[nb] = sub_id
            penalties[sub_id] = penalties.get(sub_id, 0.0) + float(penalty or 0)
        totals: dict[str, list] = {}
        manual = func.max(case((Grade.needs_manual_grade, 1), else_=0))
        for nb, score, waiting in s.execute(select(Grade.notebook_id, func.sum(Grade.score), manual)
                                            .group_by(Grade.notebook_id)):
            entry = totals.setdefault(notebooks.get(nb), [0.0, False])
            entry[0] += float(score or 0)
            entry[1] = entry[1] or bool(waiting)
        out = []
        for sub_id, name, student, stamp in s.execute(
                select(SubmittedAssignment.id, Assignment.name, SubmittedAssignment.student_id,
                       SubmittedAssignment.timestamp).join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)):
            raw, waiting = totals.get(sub_id, (0.0, False))
            out.append(HandIn(sub_id, name, student, stamp, submission_score(raw, penalties.get(sub_id)),
                              max_scores.get(name, 0.0), waiting, sub_id in totals))
    return out, notebooks


def learner_hand_ins(conn, learner_id: str) -> list[HandIn]:
    """One learner's graded hand-ins (under their employee id or hub user name), scored by
    nbgrader's ``SubmittedAssignment.score``."""
    from nbgrader.api import Assignment, SubmittedAssignment

    sa = SubmittedAssignment
    with session(conn) as s:
        rows = s.execute(select(sa.id, Assignment.name, sa.student_id, sa.timestamp, sa.score,
                                sa.late_submission_penalty, Assignment.max_score, sa.needs_manual_grade)
                         .join(Assignment, Assignment.id == sa.assignment_id)
                         .where(sa.student_id.in_(sorted({learner_id, hub_user_name(learner_id)})))).all()
    return [HandIn(sub_id, name, student, stamp, submission_score(score, penalty), float(max_score or 0),
                   bool(waiting))
            for sub_id, name, student, stamp, score, penalty, max_score, waiting in rows]


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
