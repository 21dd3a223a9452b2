"""Read everything the dashboard shows, read-only: the roster and progress (the progress store)
and assessment results (nbgrader's gradebook, plus submissions collected but not yet graded).

Nothing here writes: SQLite files are opened with ``mode=ro``, PostgreSQL sessions are read-only,
and nbgrader's gradebook is read with plain SQL rather than nbgrader's ``Gradebook`` class (which
creates and migrates tables)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..settings import mask_secret_in_url
from ..store import make_engine, tables
from ..tracks import ASSESSMENTS, TRACK_OF_ASSESSMENT, TRACKS


@dataclass(frozen=True)
class Person:
    employee_id: str
    name: str
    department: str
    role: str
    due: dict[str, date | None]  # the tracks this person must take, with due dates


@dataclass(frozen=True)
class Submission:
    track: str
    submitted_on: date | None
    score: float | None  # None: not graded yet
    max_score: float
    needs_manual: bool

    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return 100.0 * self.score / self.max_score


@dataclass
class Snapshot:
    """Everything read from the databases at one moment."""

    people: list[Person] = field(default_factory=list)
    first_activity: dict[tuple[str, str], date] = field(default_factory=dict)
    completions: dict[tuple[str, str], list[date]] = field(default_factory=dict)
    modules: dict[str, int] = field(default_factory=dict)
    submissions: dict[tuple[str, str], Submission] = field(default_factory=dict)
    pass_marks: dict[str, float] = field(default_factory=dict)
    loaded_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    stamp: tuple = ()
    notes: list[str] = field(default_factory=list)  # what could not be read, for the page

    def modules_done(self, employee_id: str, track: str, as_of: date) -> int:
        return bisect_right(self.completions.get((employee_id, track), ()), as_of)


def _day(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)[:19]).date()


def sqlite_files(url: str) -> list[Path]:
    """The files behind a SQLite URL (database, WAL), for change detection; [] for servers."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return []
    base = Path(parsed.database)
    return [base, base.with_name(base.name + "-wal")]


_WAL_POSITION = text("SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                     "ELSE pg_current_wal_insert_lsn() END::text")


def server_stamp(url: str) -> tuple:
    """Where a PostgreSQL server's write-ahead log has got to: it moves with every write (to any
    database of that server, so it may announce a change that is not ours, never miss one)."""
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            return (mask_secret_in_url(url), conn.execute(_WAL_POSITION).scalar())
    except SQLAlchemyError as exc:
        return (mask_secret_in_url(url), f"unreadable: {type(exc).__name__}")
    finally:
        engine.dispose()


def change_stamp(*urls: str, folders: tuple[Path, ...] = ()) -> tuple:
    """Modification times and sizes of the databases' files (and folders), or where a database
    server's log has got to: equal stamps mean nothing was written in between.  A missing and an
    empty write-ahead log count as the same: SQLite creates an empty one when a reader opens a WAL
    database, which is not a change."""
    out = [server_stamp(url) for url in urls if make_url(url).get_backend_name() == "postgresql"]
    for path in [p for url in urls for p in sqlite_files(url)] + list(folders):
        try:
            st = path.stat()
        except OSError:
            out.append((str(path), None, None))
            continue
        if path.name.endswith("-wal") and st.st_size == 0:
            out.append((str(path), None, None))
        else:
            out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


def snapshot_stamp(progress_url: str, gradebook_url: str, course_root: Path) -> tuple:
    """The change stamp of everything a snapshot reads."""
    return change_stamp(progress_url, gradebook_url, folders=(Path(course_root) / "submitted",))


@contextmanager
def read_only(url: str, what: str, snap: Snapshot):
    """A read-only connection to ``url``, or None when its SQLite file does not exist yet; a
    database that cannot be read becomes a note on the page instead of an error."""
    files = sqlite_files(url)
    if files and not files[0].is_file():
        yield None
        return
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            yield conn
    except SQLAlchemyError as exc:
        snap.notes.append(f"{what} unreadable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        engine.dispose()


def read_progress(url: str, snap: Snapshot) -> None:
    """Roster, first activity and module completions from the progress store."""
    e, en, a, mc = tables.employees, tables.enrolments, tables.answers, tables.module_completions
    with read_only(url, "progress store", snap) as conn:
        if conn is not None:
            due: dict[str, dict] = {}
            for eid, track, due_date in conn.execute(select(en.c.employee_id, en.c.track, en.c.due_date)):
                due.setdefault(eid, {})[track] = due_date
            rows = conn.execute(select(e.c.employee_id, e.c.name, e.c.department, e.c.role)
                                .where(e.c.active).order_by(e.c.department, e.c.employee_id))
            snap.people = [Person(eid, name, dept, role, due.get(eid, {})) for eid, name, dept, role in rows]
            first = conn.execute(select(a.c.learner_id, a.c.track, func.min(a.c.answered_at))
                                 .group_by(a.c.learner_id, a.c.track))
            snap.first_activity = {(lid, track): _day(at) for lid, track, at in first}
            for lid, track, at in conn.execute(select(mc.c.learner_id, mc.c.track, mc.c.completed_at)):
                snap.completions.setdefault((lid, track), []).append(_day(at))
    for days in snap.completions.values():
        days.sort()


# nbgrader's gradebook has no index that leads with a submission's id, so joining grades to
# submissions is slow at company scale.  Each table is read once, grouped where it is big, and
# joined here instead.
_GRADE_TOTALS = text("""
SELECT notebook_id,
       SUM(CASE WHEN manual_score IS NOT NULL THEN manual_score + COALESCE(extra_credit, 0)
                WHEN auto_score IS NOT NULL THEN auto_score + COALESCE(extra_credit, 0)
                ELSE 0 END),
       MAX(CASE WHEN needs_manual_grade THEN 1 ELSE 0 END)
FROM grade GROUP BY notebook_id
""")
_SUBMITTED_NOTEBOOKS = text("SELECT id, assignment_id, COALESCE(late_submission_penalty, 0) FROM submitted_notebook")
_SUBMISSIONS = text("""
SELECT sa.id, a.name, sa.student_id, sa.timestamp
FROM submitted_assignment sa JOIN assignment a ON a.id = sa.assignment_id
""")

_MAX_SCORES = text("""
SELECT a.name,
       COALESCE((SELECT SUM(gc.max_score) FROM grade_cells gc JOIN base_cell bc ON bc.id = gc.id
                  JOIN notebook n ON bc.notebook_id = n.id WHERE n.assignment_id = a.id), 0)
     + COALESCE((SELECT SUM(tc.max_score) FROM task_cells tc JOIN base_cell bc ON bc.id = tc.id
                  JOIN notebook n ON bc.notebook_id = n.id WHERE n.assignment_id = a.id), 0)
FROM assignment a
""")


def read_gradebook(url: str, snap: Snapshot) -> None:
    """Submissions and scores from nbgrader's gradebook (only the three track assessments)."""
    with read_only(url, "gradebook", snap) as conn:
        if conn is not None:
            max_scores = {name: float(total) for name, total in conn.execute(_MAX_SCORES)}
            totals = {nb: (float(score or 0), bool(manual)) for nb, score, manual in conn.execute(_GRADE_TOTALS)}
            per_submission: dict[str, list] = {}
            for nb, sub_id, penalty in conn.execute(_SUBMITTED_NOTEBOOKS):
                score, manual = totals.get(nb, (0.0, False))
                entry = per_submission.setdefault(sub_id, [0.0, False, 0.0])
                entry[0] += score
                entry[1] = entry[1] or manual
                entry[2] += float(penalty)
            for sub_id, name, student, stamp in conn.execute(_SUBMISSIONS):
                track = TRACK_OF_ASSESSMENT.get(name)
                if track is None:
                    continue
                score, manual, penalty = per_submission.get(sub_id, (0.0, False, 0.0))
                snap.submissions[(student, track)] = Submission(
                    track, _day(stamp), max(0.0, score - penalty), max_scores.get(name, 0.0), manual)


def read_collected(course_root: Path, snap: Snapshot) -> None:
    """Submissions collected into ``submitted/`` that the gradebook does not know yet."""
    base = Path(course_root) / "submitted"
    if not base.is_dir():
        return
    for student in os.scandir(base):
        for track, assignment in ASSESSMENTS.items():
            if (student.name, track) in snap.submissions:
                continue
            stamp = Path(student.path) / assignment / "timestamp.txt"
            if stamp.is_file():
                try:
                    day = _day(stamp.read_text(encoding="utf-8").strip()[:19])
                except ValueError:
                    day = None
                snap.submissions[(student.name, track)] = Submission(track, day, None, 0.0, True)


def load_snapshot(progress_url: str, gradebook_url: str, course_root: Path,
                  modules: dict[str, int], pass_marks: dict[str, float]) -> Snapshot:
    """Read everything once.  ``modules`` is the number of lesson modules per track."""
    snap = Snapshot(modules={t: modules.get(t, 0) for t in TRACKS}, pass_marks=dict(pass_marks))
    snap.stamp = snapshot_stamp(progress_url, gradebook_url, course_root)
    read_progress(progress_url, snap)
    read_gradebook(gradebook_url, snap)
    read_collected(course_root, snap)
    return snap
