"""The progress store on real SQLite files and a real PostgreSQL server: pragmas, schema
versions, concurrency.  Every test that takes ``store`` or ``db_url`` runs on both."""

from __future__ import annotations

import multiprocessing as mp
from datetime import datetime

import pytest
from sqlalchemy import func, inspect, select, text

from iso20k.store import LATEST_VERSION, Migration, ProgressStore, SchemaTooNewError, migrate, tables


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """An empty progress store's URL: a SQLite file, or a database of the test PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'progress.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(db_url) -> ProgressStore:
    s = ProgressStore(db_url)
    yield s
    s.close()


def test_sqlite_store_uses_wal_and_a_busy_timeout(tmp_path):
    store = ProgressStore(f"sqlite:///{tmp_path / 'progress.sqlite'}")
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000


def test_default_location_comes_from_the_data_dir_setting(isolated_settings, tmp_path):
    s = ProgressStore()
    assert s.url == f"sqlite:///{(tmp_path / 'data' / 'progress.sqlite').as_posix()}"
    assert (tmp_path / "data" / "progress.sqlite").exists()


def test_schema_is_versioned_and_migrating_twice_changes_nothing(store):
    assert migrate(store.engine) == LATEST_VERSION
    with store.engine.connect() as conn:
        versions = [r[0] for r in conn.execute(text("SELECT version FROM schema_version"))]
    assert versions == list(range(1, LATEST_VERSION + 1))


def test_a_new_migration_is_applied_once_in_order(store):
    from iso20k.store.migrations import MIGRATIONS

    def add_note(conn):
        conn.execute(text("ALTER TABLE answers ADD COLUMN note TEXT"))

    extended = MIGRATIONS + [Migration(LATEST_VERSION + 1, "answers.note", add_note)]
    assert migrate(store.engine, extended) == LATEST_VERSION + 1
    assert migrate(store.engine, extended) == LATEST_VERSION + 1  # not applied twice
    with store.engine.connect() as conn:
        cols = [c["name"] for c in inspect(conn).get_columns("answers")]
    assert "note" in cols


def test_a_failing_migration_leaves_the_schema_as_it_was(store):
    from iso20k.store.migrations import MIGRATIONS

    def broken(conn):
        conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        migrate(store.engine, MIGRATIONS + [Migration(LATEST_VERSION + 1, "broken", broken)])
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT max(version) FROM schema_version")).scalar() == LATEST_VERSION
        assert not inspect(conn).has_table("half_done")


def test_a_store_from_a_newer_version_is_refused(db_url):
    url = db_url
    s = ProgressStore(url)
    with s.engine.begin() as conn:
        conn.execute(tables.schema_version.insert().values(version=999, applied_at=datetime.now(), description="future"))
    with pytest.raises(SchemaTooNewError, match="Upgrade iso20k"):
        ProgressStore(url)


def test_attempts_are_numbered_per_learner_and_question(store):
    for correct in (False, False, True):
        store.record_answer("alice", "all-staff", "m", "all-staff/m/q1", "x", correct, "en")
    store.record_answer("bob", "all-staff", "m", "all-staff/m/q1", "x", True, "zh")
    assert [r["attempt"] for r in store.answers("alice")] == [1, 2, 3]
    assert [r["attempt"] for r in store.answers("bob")] == [1]
    assert store.attempts("alice", "all-staff/m/q1") == 3


def test_read_only_store_cannot_write(store):
    store.record_answer("alice", "all-staff", "m", "all-staff/m/q1", "x", True, "en")
    ro = ProgressStore(store.url, read_only=True)
    assert len(ro.answers()) == 1
    with pytest.raises(Exception, match="readonly|read-only"):
        ro.record_answer("alice", "all-staff", "m", "all-staff/m/q1", "x", True, "en")


def test_unknown_language_is_rejected(store):
    with pytest.raises(ValueError, match="language"):
        store.record_answer("alice", "all-staff", "m", "all-staff/m/q1", "x", True, "fr")


def _writer(url: str, worker: int, count: int, start) -> None:
    s = ProgressStore(url)
    start.wait(120)  # every process connected and ready: now all write at once
    learner, question = f"learner{worker % 2}", f"all-staff/m/q{worker // 2 % 2 + 1}"
    for i in range(count):
        s.record_answer(learner, "all-staff", "m", question, {"w": worker, "i": i}, i % 3 == 2, "en",
                        module_question_ids=["all-staff/m/q1", "all-staff/m/q2"])
    s.close()


def test_eight_processes_writing_at_once_lose_nothing_and_repeat_no_attempt(db_url):
    ProgressStore(db_url).close()  # create the schema once, as the first notebook would
    workers, per_worker = 8, 30
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(workers)
    procs = [ctx.Process(target=_writer, args=(db_url, w, per_worker, start)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
        assert p.exitcode == 0
    store = ProgressStore(db_url)
    rows = store.answers()
    assert len(rows) == workers * per_worker
    assert {(r["response"]["w"], r["response"]["i"]) for r in rows} == {
        (w, i) for w in range(workers) for i in range(per_worker)}  # every answer, once
    # Two learners, each answering two questions from two processes per question at once.
    for learner in ("learner0", "learner1"):
        for q in ("all-staff/m/q1", "all-staff/m/q2"):
            attempts = sorted(r["attempt"] for r in rows if r["learner_id"] == learner and r["question_id"] == q)
            assert attempts == list(range(1, 2 * per_worker + 1))  # no gaps, no duplicates
    # Each learner completed the two-question module exactly once, though both of its
    # questions were being answered correctly at the same moment.
    with store.engine.connect() as conn:
        mc = tables.module_completions
        done = conn.execute(select(mc.c.learner_id, func.count()).group_by(mc.c.learner_id)).all()
    assert sorted(done) == [("learner0", 1), ("learner1", 1)]
    store.close()


def test_history_and_live_answers_at_once_keep_attempts_gap_free(db_url):
    """A bulk import of past answers (record_history) while a learner answers live."""
    ProgressStore(db_url).close()
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(2)
    live = ctx.Process(target=_writer, args=(db_url, 0, 40, start))  # learner0, q1
    live.start()
    store = ProgressStore(db_url)
    start.wait(120)
    events = [dict(learner_id="learner0", track="all-staff", module="m", question_id="all-staff/m/q1",
                   response={"h": i}, correct=False, language="en", answered_at=datetime(2026, 1, 1, 9, 0, i))
              for i in range(30)]
    for _ in range(3):
        store.record_history(events, {"all-staff/m": {"all-staff/m/q1", "all-staff/m/q2"}})
    live.join(180)
    assert live.exitcode == 0
    attempts = sorted(r["attempt"] for r in store.answers("learner0"))
    assert attempts == list(range(1, 40 + 3 * 30 + 1))
    store.close()


def test_a_plain_postgresql_url_uses_psycopg_3(postgres_url):
    s = ProgressStore(postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    assert s.engine.dialect.driver == "psycopg"
    s.record_answer("alice", "all-staff", "m", "all-staff/m/q1", "x", True, "en")
    assert s.attempts("alice", "all-staff/m/q1") == 1
    s.close()


def test_an_unsupported_database_is_refused_without_showing_its_password():
    from iso20k.store.engine import UnsupportedDatabase

    with pytest.raises(UnsupportedDatabase, match="SQLite or PostgreSQL") as caught:
        ProgressStore("mysql+pymysql://trainer:hunter2@db.internal/iso20k")
    assert "hunter2" not in str(caught.value) and "trainer:***@db.internal" in str(caught.value)


def test_the_company_reads_give_what_plain_sql_on_the_tables_gives(store):
    """store.company: the rows the record's readers (iso20k.results) read, on both databases, the
    same as plain SQL over the tables, for the whole company and for one learner."""
    from datetime import date as _date

    from iso20k.roster import write_employees
    from iso20k.roster.validate import Employee
    from iso20k.store import company

    write_employees([Employee("E1", "王伟", "服务台", "staff", "e1@x.example", ("all-staff",), {"all-staff": _date(2026, 12, 1)}),
                     Employee("E2", "李娜", "运维部", "manager", None, ("all-staff", "key-personnel"), {})], store)
    store.record_answer("E1", "all-staff", "m1", "all-staff/m1/q1", "A", True, "zh", ["all-staff/m1/q1"])
    store.record_answer("E2", "key-personnel", "m2", "key-personnel/m2/q1", "B", False, "en")
    store.record_answer("E2", "key-personnel", "m2", "key-personnel/m2/q1", "C", True, "en")
    with store.reading() as conn:
        raw = lambda sql, **p: [tuple(r) for r in conn.execute(text(sql), p)]  # noqa: E731
        stamp = company.progress_stamp(conn)
        plain = raw("SELECT (SELECT COALESCE(MAX(id), 0) FROM answers), (SELECT COUNT(*) FROM answers), "
                    "(SELECT COUNT(*) FROM module_completions), (SELECT COUNT(*) FROM employees), "
                    "(SELECT COUNT(*) FROM enrolments)")[0]
        assert stamp[:4] + stamp[5:] == plain and plain[1:] == (3, 1, 2, 3)
        assert stamp[4] is not None  # the newest roster change (its type is the driver's)
        assert company.answers_after(conn, 0) == 3 and company.answers_after(conn, stamp[0]) == 0
        assert [p[:4] for p in company.people(conn)] == [("E1", "王伟", "服务台", "staff"), ("E2", "李娜", "运维部", "manager")]
        assert company.people(conn)[0][4] == {"all-staff": _date(2026, 12, 1)}
        first = {(lid, track): at for lid, track, at in company.first_answers(conn)}
        assert set(first) == {("E1", "all-staff"), ("E2", "key-personnel")}
        assert all(isinstance(at, datetime) for at in first.values())
        assert sorted(company.answers_by_department(conn)) == sorted(
            (d, q, int(n), int(w)) for d, q, n, w in raw(
                "SELECT e.department, a.question_id, COUNT(*), SUM(CASE WHEN a.correct THEN 0 ELSE 1 END) "
                "FROM answers a JOIN employees e ON e.employee_id = a.learner_id WHERE a.id > :after AND e.active "
                "GROUP BY e.department, a.question_id", after=0))
        assert [(lid, track) for lid, track, _ in company.completions(conn)] == [("E1", "all-staff")]
        assert company.completions(conn, []) == [] and len(company.completions(conn, ["E1"])) == 1
    assert [row[:3] for row in company.module_completions(store)] == [("E1", "all-staff", "m1")]
    one = company.learner_progress(store, "E2")
    assert (one.name, one.due) == ("李娜", {"all-staff": None, "key-personnel": None})
    assert one.correct == {"key-personnel/m2": {"key-personnel/m2/q1"}} and one.completed == {}
    assert set(one.first_answer) == {"key-personnel"}
    assert company.learner_progress(store.engine, "nobody").name is None
