"""The progress store on real SQLite files: pragmas, schema versions, concurrency."""

from __future__ import annotations

import multiprocessing as mp
from datetime import datetime
import sqlite3

import pytest
from sqlalchemy import text

from iso20k.store import LATEST_VERSION, Migration, ProgressStore, SchemaTooNewError, migrate, tables


def test_sqlite_store_uses_wal_and_a_busy_timeout(store):
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
        cols = [r[1] for r in conn.execute(text("PRAGMA table_info(answers)"))]
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
        assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name='half_done'")).scalar() == 0


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
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


def _writer(url: str, worker: int, count: int) -> None:
    s = ProgressStore(url)
    for i in range(count):
        s.record_answer(f"learner{worker % 2}", "all-staff", "m", "all-staff/m/q1", {"i": i}, i % 2 == 0, "en",
                        module_question_ids=["all-staff/m/q1"])
    s.close()


def test_several_processes_writing_at_once_lose_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    ProgressStore(url).close()  # create the schema once, as the first notebook would
    workers, per_worker = 6, 40
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(url, w, per_worker)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with sqlite3.connect(tmp_path / "shared.sqlite") as raw:
        rows = raw.execute("SELECT learner_id, attempt FROM answers").fetchall()
        completions = raw.execute("SELECT count(*) FROM module_completions").fetchone()[0]
    assert len(rows) == workers * per_worker
    for learner in ("learner0", "learner1"):
        attempts = sorted(a for lid, a in rows if lid == learner)
        assert attempts == list(range(1, workers // 2 * per_worker + 1))  # no gaps, no duplicates
    assert completions == 2  # each learner completed the one-question module exactly once
