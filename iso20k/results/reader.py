"""Read the company's record, read-only: the roster and progress (the progress store)
and assessment results (nbgrader's gradebook, plus submissions collected but not yet graded).

Nothing here writes: SQLite files are opened with ``mode=ro``; the progress store is read through
:mod:`iso20k.store.company` and nbgrader's gradebook through nbgrader's own models on a read-only
session (:mod:`.gradebook`), not through its ``Gradebook`` class (which creates and migrates
tables)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..store import changes, company, make_engine
from . import gradebook
from .model import Person, Snapshot, Submission
from .form_items import form_slots
from .moments import day_in
from .rules import id_in_roster
from ..tracks import TRACK_OF_ASSESSMENT, TRACKS


def sqlite_files(url: str) -> list[Path]:
    """The files behind a SQLite URL (database, WAL); [] for servers."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return []
    base = Path(parsed.database)
    return [base, base.with_name(base.name + "-wal")]


def file_stamp(paths: list[Path]) -> tuple:
    """Modification times and sizes; a missing and an empty write-ahead log count as the same
    (SQLite creates an empty one when a reader opens a WAL database, which is not a change)."""
    out = []
    for path in paths:
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


def roster_ids(people):
    """nbgrader's student id -> the roster's employee id (see :func:`.rules.id_in_roster`)."""
    return id_in_roster(p.employee_id for p in people)


def collected_stamp(course_root: Path) -> tuple:
    """The ``submitted/`` folder and each learner's folder in it (a new hand-in, even by a
    learner who already has a folder there, adds or replaces an entry in theirs)."""
    base = Path(course_root) / "submitted"
    try:
        entries = sorted((e.name, e.stat().st_mtime_ns) for e in os.scandir(base) if e.is_dir())
        return (base.stat().st_mtime_ns, tuple(entries))
    except OSError:
        return ()


# What the reader asks when a database has no change signal it can trust (SQLite, whose files
# are the signal instead; a store or gradebook without the counters of store/changes.py): cheap
# questions that change whenever the rows the reader reads change.
# One pass over each gradebook table (nbgrader's grade table has a row per item per submission:
# 660,000 at 10,000 employees): only where the gradebook has no change signal.
_GRADEBOOK_STAMP = text("""
SELECT s.n, s.newest, g.n, g.manual, g.manual_sum, g.waiting
FROM (SELECT COUNT(*) AS n, MAX(timestamp) AS newest FROM submitted_assignment) s,
     (SELECT COUNT(*) AS n, COUNT(manual_score) AS manual, SUM(manual_score) AS manual_sum,
             SUM(CASE WHEN needs_manual_grade THEN 1 ELSE 0 END) AS waiting FROM grade) g
""")


def _roster_part(stamp: tuple) -> tuple:
    """The part of a progress stamp that changes with the roster or enrolments (and how it was
    found: a switch between counting and the change counters reads everything again)."""
    return stamp[4:] if stamp[-1] == "signal" else stamp[3:]


#: Where each database's change signal is kept (store/changes.py).
_SIGNALS = {"progress": (changes.STORE_COUNTERS, changes.STORE_WATCHED),
            "gradebook": (changes.GRADEBOOK_COUNTERS, changes.GRADEBOOK_WATCHED)}


def database_position(url: str) -> tuple:
    """Changes with every write to a SQLite database: its files; () for a server, which is asked
    its tables' change counters instead (see :class:`Reader`)."""
    files = sqlite_files(url)
    return file_stamp(files) if files else ()


def _absent(url: str, what: str, snap: Snapshot | None) -> bool:
    """True when the SQLite file behind ``url`` does not exist (yet) or cannot be looked at (a
    note on ``snap`` then, e.g. a folder this account may not enter: never an error)."""
    files = sqlite_files(url)
    try:
        return bool(files) and not files[0].is_file()
    except OSError as exc:
        if snap is not None:
            snap.notes.append(f"{what} unreadable: {type(exc).__name__}: {exc.strerror}")
        return True


@contextmanager
def read_only(url: str, what: str, snap: Snapshot):
    """A read-only connection to ``url``, or None when its SQLite file does not exist yet; a
    database that cannot be read becomes a note on the page instead of an error."""
    if _absent(url, what, snap):
        yield None
        return
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":  # every question below sees one moment
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn
    except SQLAlchemyError as exc:
        snap.notes.append(f"{what} unreadable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        engine.dispose()




class Reader:
    """Reads the databases into a :class:`Snapshot`, and later brings it up to date reading only
    what changed: new answers by their id, completions of the learners who answered, the
    gradebook only when it changed, ``submitted/`` only when a learner's folder changed."""

    def __init__(self, progress_url: str, gradebook_url: str, course_root: Path,
                 modules: dict[str, int], pass_marks: dict[str, float], zone=None,
                 question_clauses: dict[str, list[str]] | None = None,
                 item_clauses: dict[tuple[str, str], list[str]] | None = None,
                 fixed_items: dict[str, set[str]] | None = None):
        self.progress_url, self.gradebook_url = progress_url, gradebook_url
        self.course_root = Path(course_root)
        self.modules, self.pass_marks = modules, pass_marks
        self.zone = zone or timezone.utc
        self.question_clauses = question_clauses or {}
        self.item_clauses = item_clauses or {}  # (assignment, exam or pool item id) -> clauses
        self.fixed_items = fixed_items or {}  # assignment -> the items on every form (not drawn)
        self._positions: dict[str, tuple] = {}
        self._stamps: dict[str, tuple] = {}
        self._last_answer = 0
        self._people_stamp: tuple = ()
        self._collected: tuple = ()
        self._graded: dict[tuple[str, str], Submission] = {}
        self._exam_clauses: dict[tuple[str, str, str], list[int]] = {}
        self._quiz_clauses: dict[tuple[str, str, str], list[int]] = {}
        self._answered: set[str] = set()  # the learners whose answers the last read read
        self.changed_learners: set[str] | None = None
        self._certificates: tuple = ()  # the certificates' change counter when last looked at
        self._signal_ok: dict[str, bool] = {}  # per database: its change counters can be read
        self._links: dict[str, tuple] = {}  # per database: the kept engine (one connection)

    # -- the kept connections (never kept with the reading: see __getstate__) -----------------
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_links"] = {}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._links = {}
        self._signal_ok = {}  # this kernel's login may read what the last one could not

    def close(self) -> None:
        """Close the kept connections (a new refresh opens them again)."""
        for name in list(self._links):
            self._drop(name)

    def _drop(self, name: str) -> None:
        link = self._links.pop(name, None)
        if link is not None:
            link[0].dispose()

    def _engine(self, name: str, url: str):
        """The kept read-only engine for database ``name``: its pool keeps the one connection
        every refresh uses.  PostgreSQL: each transaction is REPEATABLE READ (one snapshot); a
        SQLite file replaced by another (a new inode) gets a new engine."""
        files = sqlite_files(url)
        ident = None
        if files:
            try:
                st = files[0].stat()
                ident = (st.st_dev, st.st_ino)
            except OSError:
                ident = None
        link = self._links.get(name)
        if link is not None and link[2] == (url, ident):
            return link[1]
        self._drop(name)
        engine = make_engine(url, read_only=True)
        reading = engine
        if engine.dialect.name == "postgresql":  # every question of one refresh sees one moment
            reading = engine.execution_options(isolation_level="REPEATABLE READ")
        self._links[name] = (engine, reading, (url, ident))
        return reading

    @contextmanager
    def _transaction(self, name: str, url: str, what: str, snap: Snapshot | None):
        """One read transaction (one snapshot) on the kept connection to ``url``; None when its
        SQLite file does not exist (yet).  A database that cannot be read becomes a note on
        ``snap`` (None: no note), and its connection is dropped."""
        if _absent(url, what, snap):
            yield None
            return
        try:
            with self._engine(name, url).connect() as conn, conn.begin():
                yield conn
        except SQLAlchemyError as exc:
            self._drop(name)
            if snap is not None:
                snap.notes.append(f"{what} unreadable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")

    def _counters(self, conn, name: str) -> dict | None:
        """The database's change counters in this transaction's snapshot, or None (none there, or
        not readable by this login: then never asked again by this reader)."""
        if conn.dialect.name != "postgresql" or self._signal_ok.get(name) is False:
            return None
        counters, watched = _SIGNALS[name]
        if self._signal_ok.get(name):
            found = changes.read(conn, counters, watched)
        else:  # first time: inside a savepoint, so a refused question leaves the snapshot usable
            try:
                with conn.begin_nested():
                    found = changes.read(conn, counters, watched)
                self._signal_ok[name] = True
            except SQLAlchemyError:
                self._signal_ok[name] = False
                return None
        return found

    def _progress_stamp(self, conn) -> tuple:
        """What the progress store holds, as this transaction sees it: (newest answer id, answers,
        completions, [the answers' counter,] then what changes with the roster (see
        :func:`_roster_part`), then how it was found).  With counters, nothing is counted."""
        counted = self._counters(conn, "progress")
        if counted is None:
            self._certificates = ()
            return company.progress_stamp(conn) + ("counted",)
        self._certificates = counted["certificates"]
        before = self._stamps.get("progress")
        if before is not None and before[-1] == "signal" and before[3] == counted["answers"]:
            newest = before[0]  # no answer added or removed since: no need to ask
        else:
            newest = company.newest_answer(conn)
        return (newest, counted["answers"][1], counted["module_completions"][1], counted["answers"],
                counted["employees"][0], counted["enrolments"][0], "signal")

    def _gradebook_stamp(self, conn) -> tuple:
        counted = self._counters(conn, "gradebook")
        if counted is None:
            return tuple(conn.execute(_GRADEBOOK_STAMP).one()) + ("counted",)
        return tuple(sorted(counted.items())) + ("signal",)

    # -- the whole read ----------------------------------------------------------------------
    def load(self) -> Snapshot:
        snap = Snapshot(modules={t: self.modules.get(t, 0) for t in TRACKS}, pass_marks=dict(self.pass_marks),
                        zone=self.zone)
        self._last_answer = 0
        self._quiz_clauses = {}
        with self._transaction("progress", self.progress_url, "progress store", snap) as conn:
            if conn is not None:
                position = database_position(self.progress_url)
                self._read_progress(conn, snap, self._progress_stamp(conn), full=True)
                self._positions["progress"] = position
        self._read_gradebook(snap)
        self._read_collected(snap)
        snap.stamp = self.stamp()
        return snap

    def stamp(self) -> tuple:
        return tuple(self._stamps.get(k) for k in ("progress", "gradebook")) + (self._collected,)

    @property
    def progress_position(self) -> tuple:
        """Moves when the store's certificates may have changed since the last look: their change
        counter (store/changes.py), or where there is none the store's files (SQLite: every
        write) or () (always look)."""
        if self._certificates:
            return ("certificates",) + tuple(self._certificates)
        return self._positions.get("progress", ())

    # -- keeping it fresh --------------------------------------------------------------------
    def refresh(self, snap: Snapshot) -> tuple[Snapshot, list[str]]:
        """Bring ``snap`` up to date; returns the snapshot (a new one after a full read) and what
        was read again (empty: nothing had changed).  Afterwards :attr:`changed_learners` holds
        the learners whose answers, completions or submissions changed (None: anyone's may have).

        Each database is asked in one transaction (one snapshot on PostgreSQL) on its kept
        connection: first its change signal, then, only if it moved, what changed."""
        done = []
        self.changed_learners: set[str] | None = set()
        original = snap
        copy: list[Snapshot] = []

        def fresh() -> Snapshot:
            if not copy:
                copy.append(self._copy(original))
            return copy[0]

        progress = self._refresh_progress(fresh)
        if progress in ("roster", "order"):
            self.changed_learners = None
            why = "the roster changed" if progress == "roster" else "answers were committed out of id order"
            return self.load(), [f"everything ({why})"]
        if progress:
            done.append("new answers")
            self.changed_learners |= self._answered
        collected = collected_stamp(self.course_root)
        gradebook_read = self._refresh_gradebook(fresh)
        if gradebook_read is not None:
            before, after = gradebook_read
            self._read_collected(after_snap := fresh())
            done.append("gradebook")
        elif collected != self._collected:
            after_snap = fresh()
            before = after_snap.submissions
            after_snap.submissions = dict(self._graded)
            self._read_collected(after_snap)
            done.append("hand-ins")
        if "gradebook" in done or "hand-ins" in done:
            after = after_snap.submissions
            self.changed_learners |= {key[0] for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        if done:
            snap = fresh()
            snap.stamp = self.stamp()
            snap.loaded_at = datetime.now(timezone.utc)
            snap.clause_results = self._clause_results()
        return snap, done

    def _refresh_progress(self, fresh) -> str:
        """'' (unchanged), 'rows' (new answers read), 'roster' (employees or enrolments changed,
        or something does not add up) or 'order' (answers committed out of id order)."""
        files = sqlite_files(self.progress_url)
        position = database_position(self.progress_url)
        if files and not files[0].is_file():
            return "" if self._stamps.get("progress") is None else "roster"
        if position and position == self._positions.get("progress"):
            return ""  # SQLite: not written to since
        outcome = ""
        with self._transaction("progress", self.progress_url, "progress store", None) as conn:
            if conn is None:
                return ""
            stamp = self._progress_stamp(conn)
            before = self._stamps.get("progress")
            if stamp == before:
                self._positions["progress"] = position
                return ""
            if (before is None or _roster_part(stamp) != _roster_part(before) or stamp[0] < before[0] or stamp[1] < before[1]
                    or stamp[2] < before[2]):
                return "roster"
            outcome = "rows" if self._read_progress(conn, fresh(), stamp, full=False) else "order"
            self._positions["progress"] = position
        return outcome

    def _refresh_gradebook(self, fresh):
        """Read the gradebook again, in the snapshot its change signal was read in, if it changed;
        (submissions before, the snapshot read into) or None."""
        position = database_position(self.gradebook_url)
        if position and position == self._positions.get("gradebook"):
            return None
        with self._transaction("gradebook", self.gradebook_url, "gradebook", None) as conn:
            if conn is None:
                return None
            stamp = self._gradebook_stamp(conn)
            if stamp == self._stamps.get("gradebook"):
                self._positions["gradebook"] = position
                return None
            snap = fresh()
            before = snap.submissions
            snap.submissions = {}
            self._read_gradebook_in(conn, snap, stamp)
            self._positions["gradebook"] = position
            return before, snap
        return None

    @staticmethod
    def _copy(snap: Snapshot) -> Snapshot:
        """A new snapshot sharing the unchanged parts, so a page still showing the old one is
        never changed underneath."""
        return Snapshot(people=snap.people, first_activity=dict(snap.first_activity),
                        completions=dict(snap.completions), modules=snap.modules,
                        submissions=dict(snap.submissions), pass_marks=snap.pass_marks,
                        notes=list(snap.notes), clause_results=dict(snap.clause_results), zone=snap.zone)

    # -- the parts -------------------------------------------------------------------------
    def _read_progress(self, conn, snap: Snapshot, stamp: tuple, full: bool) -> bool:
        """Read the progress store (``full``) or what was added since, in the transaction whose
        ``stamp`` (see :meth:`_progress_stamp`) was just read; False when the addition does not
        add up and everything must be read again."""
        zone = self.zone
        after = self._last_answer
        if full:
            snap.people = [Person(*row) for row in company.people(conn)]
        if not full:
            # PostgreSQL hands out ids before commit, so a transaction with a lower id may
            # commit after a higher one was read.  Every answer counted must be one read.
            # The one count of a refresh: the new answers, over the primary key's range.
            new = company.answers_after(conn, after)
            if stamp[1] != self._stamps["progress"][1] + new:
                return False
        learners = set()
        for lid, track, at in company.first_answers(conn, after):
            day = day_in(at, zone)
            learners.add(lid)
            known = snap.first_activity.get((lid, track))
            if known is None or day < known:
                snap.first_activity[(lid, track)] = day
        for dept, qid, n, wrong in company.answers_by_department(conn, after):
            for clause in self.question_clauses.get(qid, ()):
                entry = self._quiz_clauses.setdefault((dept, clause, "quiz"), [0, 0])
                entry[0] += int(n)
                entry[1] += int(wrong or 0)
        if not full:  # a module is completed only by an answer: look at those who answered
            for lid in learners:
                for track in TRACKS:
                    snap.completions.pop((lid, track), None)
        for lid, track, at in company.completions(conn, None if full else learners):
            snap.completions.setdefault((lid, track), []).append(day_in(at, zone))
        self._answered = learners
        self._last_answer = stamp[0]
        self._stamps["progress"] = stamp
        for key in (snap.completions if full else [(l, t) for l in learners for t in TRACKS]):
            if key in snap.completions:
                snap.completions[key].sort()
        snap.clause_results = self._clause_results()
        return True

    def _read_gradebook(self, snap: Snapshot) -> None:
        """The whole gradebook, in one transaction on the kept connection."""
        self._graded, self._exam_clauses = {}, {}
        with self._transaction("gradebook", self.gradebook_url, "gradebook", snap) as conn:
            if conn is None:
                return
            position = database_position(self.gradebook_url)
            self._read_gradebook_in(conn, snap, self._gradebook_stamp(conn))
            self._positions["gradebook"] = position

    def _read_gradebook_in(self, conn, snap: Snapshot, stamp: tuple) -> None:
        """Submissions, scores and exam items per clause (only the three track assessments), in
        the transaction whose ``stamp`` was just read."""
        zone = self.zone
        departments = {p.employee_id: p.department for p in snap.people}
        self._graded, self._exam_clauses = {}, {}
        hand_ins, notebooks = gradebook.company_hand_ins(conn)
        roster_id = id_in_roster(departments)
        subs = {h.id: (h.assignment, roster_id(h.student)) for h in hand_ins}
        waiting = {h.id for h in hand_ins if h.needs_manual or not h.graded}  # no items counted
        # Clause table: every graded submission answered each of its assessment's items once
        # (nbgrader keeps a grade per item); the wrong ones are read one by one.
        items_of: dict[str, list[str]] = {}
        for assignment, item in self.item_clauses:
            items_of.setdefault(assignment, []).append(item)
        # A learner's own form (slot cells s01.. standing for pool items): the items it held, by
        # the form the grader recorded (form_items.py); the fixed items as in the exam file.
        slots_of: dict = {}
        on_file: dict[str, set[str]] = {}  # the items (or slots) each assessment's cells stand for
        if self.item_clauses:
            on_file = gradebook.assessment_items(conn)
            for h in hand_ins:
                if h.assignment in items_of:
                    slots = form_slots(self.course_root, h.student, h.assignment)
                    if slots:
                        slots_of[h.id] = slots
        for sub_id, (name, student) in subs.items():
            dept = departments.get(student)
            if dept is None or sub_id in waiting:
                continue
            slots = slots_of.get(sub_id)
            # Without the form the grader recorded (grades written straight into the gradebook), a
            # form's slots stand for items nobody knows: only the cells named by an item count.
            items = [i for i in items_of.get(name, ()) if i in on_file.get(name, ())] if slots is None else \
                [*slots.values(), *(i for i in items_of.get(name, ()) if i in self.fixed_items.get(name, ()))]
            for item in items:
                for clause in self.item_clauses.get((name, item), ()):
                    self._exam_clauses.setdefault((dept, clause, "exam"), [0, 0])[0] += 1
        if self.item_clauses:
            cells = gradebook.cell_names(conn)
            for nb, cell in gradebook.wrong_items(conn):
                sub_id = notebooks.get(nb)
                name, student = subs.get(sub_id, (None, None))
                dept = departments.get(student)
                if dept is None or sub_id in waiting:
                    continue
                item = cells.get(cell, "").rsplit("-", 1)[0]
                item = slots_of.get(sub_id, {}).get(item, item)
                for clause in self.item_clauses.get((name, item), ()):
                    counts = self._exam_clauses.get((dept, clause, "exam"))
                    if counts is not None:
                        counts[1] += 1
        for h in hand_ins:
            track = TRACK_OF_ASSESSMENT.get(h.assignment)
            if track is None:
                continue
            self._graded[(roster_id(h.student), track)] = Submission(
                track, day_in(h.timestamp, zone), h.score, h.max_score, h.needs_manual)
        self._stamps["gradebook"] = stamp
        snap.submissions.update(self._graded)
        snap.clause_results = self._clause_results()

    def _read_collected(self, snap: Snapshot) -> None:
        """Submissions collected into ``submitted/`` that the gradebook does not know yet."""
        self._collected = collected_stamp(self.course_root)
        roster_id = id_in_roster(p.employee_id for p in snap.people)
        for (student, track), day in gradebook.collected(self.course_root, zone=self.zone).items():
            learner = roster_id(student)
            if (learner, track) not in self._graded:
                snap.submissions[(learner, track)] = Submission(track, day, None, 0.0, True)

    def _clause_results(self) -> dict:
        return {**self._quiz_clauses, **self._exam_clauses}


def load_snapshot(progress_url: str, gradebook_url: str, course_root: Path,
                  modules: dict[str, int], pass_marks: dict[str, float], zone=None) -> Snapshot:
    """Read everything once.  ``modules`` is the number of lesson modules per track."""
    return Reader(progress_url, gradebook_url, course_root, modules, pass_marks, zone).load()
