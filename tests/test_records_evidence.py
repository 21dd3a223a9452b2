"""Answers and module completions are evidence: an edited answer row, a deleted one (in the middle
or the learner's newest), and a module completion without the answers behind it are each found by
``verify_trail`` (``iso20k audit-trail verify``), which names the row; on SQLite and PostgreSQL.
Old stores get their hashes back-filled by the migration."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from iso20k.audit import verify_trail
from iso20k.store import ProgressStore

MODULE = ["all-staff/m1/q1", "all-staff/m1/q2"]
L = "E100"


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() == 0 or os.environ.get("ISO20K_TEST_POSTGRES"):
        from postgres import PostgresCluster, PostgresUnavailable

        try:
            c = PostgresCluster().start()
        except PostgresUnavailable as exc:
            pytest.skip(str(exc))
        yield c
        c.stop()
    else:
        pytest.skip("PostgreSQL test clusters are started as root (CI) or with ISO20K_TEST_POSTGRES=1")


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path):
    """(store, anchor file, a superuser's engine that can do what a DBA or an attacker with the
    database's file could)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'progress.sqlite'}"
        raw = create_engine(url)
    else:
        cluster = request.getfixturevalue("cluster")
        url = cluster.create_database()
        name = url.rsplit("/", 1)[1]
        raw = create_engine(cluster.url(name, user="postgres", password=cluster.superuser_password))
    data = tmp_path / "data"
    store = ProgressStore(url, anchor_dir=data / "audit-anchors" / "answers")
    _answers(store)
    yield store, data / "audit-trail-head.json", raw, request.param
    raw.dispose()
    store.close()


def _answers(store: ProgressStore) -> None:
    """E100: q1 wrong, q1 right, q2 right (completes m1), q3 of m2 wrong; E200: one answer."""
    store.record_answer(L, "all-staff", "m1", MODULE[0], "b", False, "en", MODULE)
    store.record_answer(L, "all-staff", "m1", MODULE[0], "a", True, "en", MODULE)
    done = store.record_answer(L, "all-staff", "m1", MODULE[1], ["x", "y"], True, "zh", MODULE)
    assert done.module_completed
    store.record_answer(L, "all-staff", "m2", "all-staff/m2/q3", "c", False, "en", ["all-staff/m2/q3"])
    store.record_answer("E200", "all-staff", "m1", MODULE[0], "a", True, "en", MODULE)


def _tamper(raw, dialect: str, *statements: str, **params):
    with raw.begin() as conn:
        if dialect == "postgresql":  # as the database's superuser, past the append-only triggers
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            conn.execute(text(statement), params)


def _row_id(raw, question: str, attempt: int, learner: str = L) -> int:
    with raw.connect() as conn:
        return conn.execute(text("SELECT id FROM answers WHERE learner_id = :l AND question_id = :q AND attempt = :a"),
                            {"l": learner, "q": question, "a": attempt}).scalar_one()


def test_intact_answers_and_completions_verify(world):
    store, anchor, _raw, _ = world
    report = verify_trail(store, None, anchor)
    assert report.ok, report.text()
    assert (report.answers, report.completions) == (5, 1)
    assert "5 answers and 1 module completions unchanged" in report.text()


def test_an_edited_answer_row_is_named(world):
    store, anchor, raw, dialect = world
    row = _row_id(raw, MODULE[0], 1)
    _tamper(raw, dialect, "UPDATE answers SET correct = true WHERE id = :i", i=row)
    report = verify_trail(store, None, anchor)
    assert not report.ok
    assert report.records == [f"answer row id {row} (learner {L}, question {MODULE[0]}, attempt 1) was changed "
                              "after it was written: its content no longer matches its hash"], report.text()


def test_a_deleted_answer_row_is_named(world):
    store, anchor, raw, dialect = world
    row, after = _row_id(raw, MODULE[0], 2), _row_id(raw, MODULE[1], 1)
    _tamper(raw, dialect, "DELETE FROM answers WHERE id = :i", i=row)
    report = verify_trail(store, None, anchor)
    text_ = report.text()
    assert not report.ok
    assert f"learner {L}: answer #2 is missing" in text_ and f"before answer row id {after} " in text_, text_
    # the completion rested on the deleted answer
    assert f"completion of all-staff/m1 by learner {L} rests on an answer that is not in the store" in text_, text_


def test_a_deleted_first_attempt_is_named_by_question_and_attempt(world):
    store, anchor, raw, dialect = world
    row = _row_id(raw, MODULE[0], 1)
    _tamper(raw, dialect, "DELETE FROM answers WHERE id = :i", i=row)
    report = verify_trail(store, None, anchor)
    assert f"learner {L}: answer #1 is missing at the start of the learner's answers" in report.text()
    assert f"learner {L}, question {MODULE[0]}: attempt(s) 1 missing (answer rows were deleted)" in report.records


def test_a_deleted_newest_answer_is_found_with_the_learners_anchor(world):
    store, anchor, raw, dialect = world
    row = _row_id(raw, "all-staff/m2/q3", 1)
    _tamper(raw, dialect, "DELETE FROM answers WHERE id = :i", i=row)
    report = verify_trail(store, None, anchor)
    assert report.records == [f"learner {L}: the store ends at answer #3, but answer #4 was written (anchor file): "
                              "answer(s) #4 were deleted"], report.text()


def test_a_completion_without_answers_is_named(world):
    store, anchor, raw, dialect = world
    _tamper(raw, dialect, "INSERT INTO module_completions (learner_id, track, module, completed_at) "
                          "VALUES ('E200', 'all-staff', 'm2', :t)", t=datetime.now(timezone.utc))
    report = verify_trail(store, None, anchor)
    assert report.records == ["completion of all-staff/m2 by learner E200 names no answers behind it: it was "
                              "written outside the product"], report.text()


def test_a_completion_pointing_at_a_wrong_answer_is_named(world):
    store, anchor, raw, dialect = world
    with raw.connect() as conn:
        wrong = conn.execute(text("SELECT hash FROM answers WHERE learner_id = :l AND correct = false "
                                  "AND module = 'm2'"), {"l": L}).scalar_one()
    from iso20k.store.evidence import completion_hash

    at = datetime.now(timezone.utc)
    _tamper(raw, dialect, "INSERT INTO module_completions (learner_id, track, module, completed_at, answers, hash) "
                          "VALUES (:l, 'all-staff', 'm2', :t, :a, :h)",
            l=L, t=at, a=f'["{wrong}"]', h=completion_hash(L, "all-staff", "m2", at, [wrong]))
    report = verify_trail(store, None, anchor)
    assert len(report.records) == 1 and "which is not a correct answer of that module" in report.records[0]
    assert "question all-staff/m2/q3, attempt 1" in report.records[0]


def test_postgresql_refuses_updates_of_the_evidence_even_to_the_owner(world):
    store, _anchor, _raw, dialect = world
    if dialect != "postgresql":
        pytest.skip("a trigger on PostgreSQL; SQLite is protected by the file's owner")
    from sqlalchemy.exc import DBAPIError

    for statement in ("UPDATE answers SET correct = true", "UPDATE module_completions SET answers = '[]'",
                      "UPDATE audit_trail SET actor = 'x'", "DELETE FROM audit_trail", "TRUNCATE audit_trail"):
        with pytest.raises(DBAPIError, match="accepts new rows only"):
            with store.engine.begin() as conn:
                if "audit_trail" in statement:
                    from iso20k.audit import append_in

                    append_in(conn, "tester", "note", "x", {})
                conn.execute(text(statement))


def test_the_migration_back_fills_hashes_of_an_older_store(tmp_path):
    from iso20k.store import MIGRATIONS, migrate

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    migrate(engine, MIGRATIONS[:2])
    with engine.begin() as conn:  # the schema of version 2, as an older product left it
        conn.execute(text("DROP INDEX uq_answers_learner_lseq"))
        for column in ("lseq", "prev_hash", "hash"):
            conn.execute(text(f"ALTER TABLE answers DROP COLUMN {column}"))
        for column in ("answers", "hash"):
            conn.execute(text(f"ALTER TABLE module_completions DROP COLUMN {column}"))
        for i, (q, ok) in enumerate([(MODULE[0], False), (MODULE[0], True), (MODULE[1], True)]):
            conn.execute(text("INSERT INTO answers (learner_id, track, module, question_id, response, correct, attempt,"
                              " language, answered_at) VALUES (:l, 'all-staff', 'm1', :q, '\"a\"', :ok, :n, 'en', :t)"),
                         {"l": L, "q": q, "ok": ok, "n": 2 if i == 1 else 1,
                          "t": datetime(2026, 1, 5, 9, i, tzinfo=timezone.utc)})
        conn.execute(text("INSERT INTO module_completions VALUES (:l, 'all-staff', 'm1', :t)"),
                     {"l": L, "t": datetime(2026, 1, 5, 9, 2, tzinfo=timezone.utc)})
    engine.dispose()
    store = ProgressStore(url)
    report = verify_trail(store, None, None)
    assert report.ok and (report.answers, report.completions) == (3, 1), report.text()
    # and later answers continue the chain
    store.record_answer(L, "all-staff", "m2", "all-staff/m2/q3", "c", True, "en", ["all-staff/m2/q3"])
    report = verify_trail(store, None, None)
    assert report.ok and (report.answers, report.completions) == (4, 2), report.text()
    store.close()


def test_the_command_names_the_edited_row_and_fails(tmp_path):
    import subprocess
    import sys

    from iso20k.store.evidence import answer_anchor_dir
    from iso20k.settings import Settings

    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    store = ProgressStore(settings.effective_db_url, anchor_dir=answer_anchor_dir(settings))
    _answers(store)
    store.close()
    env = {**os.environ, "ISO20K_ENV_FILE": "", "ISO20K_DATA_DIR": str(data), "ISO20K_COURSE_ROOT": str(tmp_path / "course")}
    env.pop("ISO20K_DB_URL", None)

    def verify():
        return subprocess.run([sys.executable, "-m", "iso20k.cli", "audit-trail", "verify"], env=env,
                              capture_output=True, text=True, timeout=120)

    ok = verify()
    assert ok.returncode == 0 and "5 answers and 1 module completions unchanged" in ok.stdout, ok.stdout + ok.stderr
    raw = create_engine(settings.effective_db_url)
    row = _row_id(raw, MODULE[1], 1)
    _tamper(raw, "sqlite", "UPDATE answers SET response = '\"z\"' WHERE id = :i", i=row)
    raw.dispose()
    broken = verify()
    assert broken.returncode == 1
    assert f"answer row id {row} (learner {L}, question {MODULE[1]}, attempt 1) was changed" in broken.stdout
