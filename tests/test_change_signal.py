"""The dashboard's change signal on PostgreSQL (store/changes.py): statement-level triggers keep a
counter per table in the writer's transaction, so the reader knows what changed without counting
or scanning, through one kept connection; writes elsewhere on the server are no change; a manual
grade still shows; a gradebook whose trigger is missing or disabled is read the old way, still
correctly; an open transaction that added answers holds up nobody else's."""

from __future__ import annotations

import re

import warnings
from contextlib import contextmanager
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import Engine, event, insert, text

from iso20k.results import Reader
from iso20k.demo import make_company
from iso20k.roster import write_employees
from iso20k.store import ProgressStore, make_engine, tables
from iso20k.store.changes import GRADEBOOK_COUNTERS, GRADEBOOK_WATCHED, STORE_COUNTERS, STORE_WATCHED, installed, read

pytestmark = pytest.mark.slow
MODULES = {"all-staff": 5, "key-personnel": 6, "document-writing": 4}
PASS = {"all-staff": 0.65, "key-personnel": 0.7, "document-writing": 0.7}


@contextmanager
def watching():
    """Every SQL statement any engine of this process sends, and every new database connection."""
    seen = {"sql": [], "connects": 0}

    def statement(conn, cursor, sql, params, context, many):
        seen["sql"].append(" ".join(sql.split()))

    def connected(dbapi_connection, record):
        seen["connects"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "connect", connected)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", statement)
        event.remove(Engine, "connect", connected)


def counters(url):
    engine = make_engine(url)
    with engine.connect() as conn:
        got = read(conn, STORE_COUNTERS, STORE_WATCHED)
    engine.dispose()
    return got


def answer(conn, learner, attempt=1):
    conn.execute(insert(tables.answers).values(
        learner_id=learner, track="all-staff", module="intro", question_id="all-staff/intro/q01",
        response='"A"', correct=True, attempt=attempt, language="en", answered_at=datetime.now(timezone.utc)))


def test_the_store_counts_its_changes_in_the_writers_transaction(postgres_url):
    store = ProgressStore(postgres_url)
    write_employees(make_company(6, 1, date(2026, 11, 1)), store)
    before = counters(postgres_url)
    assert before["employees"][1] == 6 and before["answers"][1] == 0
    store.record_answer("E10001", "all-staff", "intro", "all-staff/intro/q01", "A", True, "en")
    after = counters(postgres_url)
    assert after["answers"] == (before["answers"][0] + 1, 1)
    assert after["employees"] == before["employees"] and after["certificates"] == before["certificates"]
    with pytest.raises(RuntimeError), store.engine.begin() as conn:  # rolled back: no change
        answer(conn, "E10002")
        raise RuntimeError
    assert counters(postgres_url) == after
    # An open transaction that added an answer holds up nobody else's answer (another slot).
    slow = store.engine.connect()
    slow.begin()
    answer(slow, "E10003")
    with store.engine.begin() as fast:
        fast.execute(text("SET LOCAL lock_timeout = '5s'"))
        answer(fast, "E10004")
    assert counters(postgres_url)["answers"][1] == 2  # the open one is not counted yet
    slow.commit()
    slow.close()
    assert counters(postgres_url)["answers"][1] == 3
    # Many one-row statements in one transaction (a bulk load), one of them in a savepoint rolled
    # back: the counters hold what was committed, written once at commit.
    before = counters(postgres_url)["answers"]
    with store.engine.begin() as conn:
        for n in range(300):
            answer(conn, f"E{20000 + n}")
        with pytest.raises(RuntimeError), conn.begin_nested():
            answer(conn, "E30000")
            raise RuntimeError
        answer(conn, "E30001")
    after = counters(postgres_url)["answers"]
    assert after[1] == before[1] + 301 and after[0] > before[0]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM answers")).scalar() == after[1]
        assert conn.execute(text("SELECT count(*) FROM store_changes_pending")).scalar() == 0
    store.close()


def gradebook_with_a_graded_submission(url):
    from iso20k.grading.environment import open_gradebook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gb = open_gradebook(url)  # the product's way: installs the gradebook's change signal
        gb.add_assignment("all-staff-exam")
        gb.add_notebook("all-staff-exam", "all-staff-exam")
        for cell in ("q01-test", "q02-test"):
            gb.add_grade_cell(cell, "all-staff-exam", "all-staff-exam", max_score=2, cell_type="code")
        gb.add_student("E10001")
        gb.add_submission("all-staff-exam", "E10001", timestamp=datetime(2026, 11, 30, 9, 0))
        for cell in ("q01-test", "q02-test"):
            gb.find_grade(cell, "all-staff-exam", "all-staff-exam", "E10001").auto_score = 1
        gb.db.commit()
    return gb


def test_a_refresh_reads_only_what_changed_on_one_kept_connection(postgres_cluster, tmp_path):
    progress_url, gradebook_url = postgres_cluster.create_database(), postgres_cluster.create_database()
    other = make_engine(postgres_cluster.create_database())  # another application on the same server
    with other.begin() as conn:
        conn.execute(text("CREATE TABLE t (id serial PRIMARY KEY)"))
    store = ProgressStore(progress_url)
    write_employees(make_company(12, 2, date(2026, 11, 1)), store)
    gb = gradebook_with_a_graded_submission(gradebook_url)
    engine = make_engine(gradebook_url)
    with engine.connect() as conn:
        assert installed(conn, GRADEBOOK_COUNTERS, GRADEBOOK_WATCHED)
    reader = Reader(progress_url, gradebook_url, tmp_path / "course", MODULES, PASS)
    snap = reader.load()
    assert snap.submissions[("E10001", "all-staff")].score == 2.0
    snap, _ = reader.refresh(snap)  # the connections are kept from here on

    with watching() as seen:
        for _ in range(3):  # writes elsewhere on the server: no change, nothing counted or scanned
            with other.begin() as conn:
                conn.execute(text("INSERT INTO t DEFAULT VALUES"))
            snap, done = reader.refresh(snap)
            assert done == []
    assert seen["connects"] == 0
    assert not [s for s in seen["sql"] if "count(" in s.lower() and "pg_trigger" not in s]
    assert not [s for s in seen["sql"] if " grade" in s.lower() or "answers" in s.lower()], seen["sql"]

    store.record_answer("E10002", "all-staff", "intro", "all-staff/intro/q01", "A", True, "en")
    with watching() as seen:  # one answer: one count (of the new answers), the gradebook untouched
        snap, done = reader.refresh(snap)
    assert done == ["new answers"] and ("E10002", "all-staff") in snap.first_activity
    assert seen["connects"] == 0
    counts = [s for s in seen["sql"] if "count(" in s.lower() and "pg_trigger" not in s]
    new_only = re.compile(r"\banswers\.id > %\(\w+\)s")
    assert counts and all(new_only.search(s) for s in counts), counts  # only the new answers are counted
    assert len([s for s in counts if re.match(r"SELECT count\(\*\) AS \w+ FROM answers WHERE", s)]) == 1, counts
    reading = [s for s in seen["sql"] if " FROM grade" in s or "submitted_" in s]
    assert reading == [], reading

    # A trainer's manual grade (formgrader writes it through nbgrader's models) shows.
    grade = gb.find_grade("q02-test", "all-staff-exam", "all-staff-exam", "E10001")
    grade.manual_score = 2
    gb.db.commit()
    snap, done = reader.refresh(snap)
    assert done == ["gradebook"] and snap.submissions[("E10001", "all-staff")].score == 3.0

    # Someone disables the gradebook's trigger: the reader no longer trusts the signal and reads
    # the gradebook's tables to find out; the next manual grade still shows.
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE grade DISABLE TRIGGER iso20k_changes_update"))
    snap, _ = reader.refresh(snap)
    grade.manual_score = 0
    gb.db.commit()
    snap, done = reader.refresh(snap)
    assert done == ["gradebook"] and snap.submissions[("E10001", "all-staff")].score == 1.0
    assert reader.refresh(snap)[1] == []
    gb.close()
    engine.dispose()
    other.dispose()
    reader.close()
    store.close()
