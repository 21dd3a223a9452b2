"""The dashboard notices new data on SQLite and on a real PostgreSQL server: a new answer, a new
or changed grade and a new hand-in (also by a learner who already has a ``submitted/`` folder)
each show on the next read; an unchanged database is not read again; days follow the configured
time zone (an answer at 00:30 China time counts on that day)."""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from iso20k.dashboard import Dashboard, DataSource, Identity
from iso20k.results import Reader
from iso20k.results import statuses
from iso20k.demo import make_company
from iso20k.roster import write_employees
from iso20k.settings import Settings
from iso20k.store import ProgressStore, tables

CHINA = ZoneInfo("Asia/Shanghai")
MODULES = {"all-staff": 5, "key-personnel": 6, "document-writing": 4}
pytestmark = pytest.mark.slow
PASS = {"all-staff": 0.65, "key-personnel": 0.7, "document-writing": 0.7}


@pytest.fixture(params=["sqlite", "postgresql", "postgresql-unwatched-gradebook"])
def databases(request, tmp_path):
    """SQLite files; PostgreSQL with the gradebook opened the product's way (which installs its
    change signal, store/changes.py); PostgreSQL with a gradebook nbgrader alone created (no
    signal: read the old way)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'progress.sqlite'}", f"sqlite:///{tmp_path / 'gradebook.db'}"
    cluster = request.getfixturevalue("postgres_cluster")  # conftest.py: one cluster per test run
    gradebook_url = cluster.create_database()
    if request.param == "postgresql":
        gradebook(gradebook_url, watched=True).close()
    return cluster.create_database(), gradebook_url


def gradebook(url, watched=False):
    from nbgrader.api import Gradebook

    from iso20k.grading.environment import ensure_bin_on_path, open_gradebook

    ensure_bin_on_path()  # nbgrader runs alembic
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return open_gradebook(url) if watched else Gradebook(url)


def test_new_answers_grades_and_hand_ins_are_noticed(databases, tmp_path):
    progress_url, gradebook_url = databases
    course = tmp_path / "course"
    store = ProgressStore(progress_url)
    write_employees(make_company(12, 2, date(2026, 11, 1)), store)
    gb = gradebook(gradebook_url)
    for name in ("all-staff-exam", "key-personnel-assessment"):
        gb.add_assignment(name)
        gb.add_notebook(name, name)
        gb.add_grade_cell("q01-test", name, name, max_score=2, cell_type="code")
        gb.add_grade_cell("q02-test", name, name, max_score=2, cell_type="code")
    for eid in ("E10001", "E10002", "E10003", "E10004"):
        gb.add_student(eid)
    # E10004 already handed in (and was collected) the all-staff exam before.
    old = course / "submitted" / "E10004" / "all-staff-exam"
    old.mkdir(parents=True)
    (old / "timestamp.txt").write_text("2026-11-20 09:00:00.000000 UTC")

    reader = Reader(progress_url, gradebook_url, course, MODULES, PASS, CHINA,
                    {"all-staff/intro/q01": ["4.4"]}, {("all-staff-exam", "q01"): ["8.1"]})
    snap = reader.load()
    assert len(snap.people) == 12 and ("E10004", "all-staff") in snap.submissions
    assert reader.refresh(snap)[1] == []  # nothing changed: nothing read

    # A new answer, given at 00:30 on 1 December in China (16:30 UTC the day before).
    store.record_answer("E10001", "all-staff", "intro", "all-staff/intro/q01", "A", False, "en")
    with store.engine.begin() as conn:
        conn.execute(insert(tables.answers).values(
            learner_id="E10002", track="all-staff", module="intro", question_id="all-staff/intro/q01",
            response='"A"', correct=True, attempt=1, language="zh",
            answered_at=datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc)))
    snap, done = reader.refresh(snap)
    assert done == ["new answers"] and reader.changed_learners == {"E10001", "E10002"}
    assert ("E10001", "all-staff") in snap.first_activity
    assert snap.first_activity[("E10002", "all-staff")] == date(2026, 12, 1)
    department = next(p.department for p in snap.people if p.employee_id == "E10001")
    assert snap.clause_results[(department, "4.4", "quiz")][0] >= 1

    # A new graded submission, then a trainer's manual grade that changes it.
    gb.add_submission("all-staff-exam", "E10003", timestamp=datetime(2026, 11, 30, 17, 0))
    for cell in ("q01-test", "q02-test"):
        grade = gb.find_grade(cell, "all-staff-exam", "all-staff-exam", "E10003")
        grade.auto_score = 2 if cell == "q01-test" else 0
    gb.db.commit()
    snap, done = reader.refresh(snap)
    assert "gradebook" in done and reader.changed_learners == {"E10003"}
    sub = snap.submissions[("E10003", "all-staff")]
    assert (sub.score, sub.max_score, sub.submitted_on) == (2.0, 4.0, date(2026, 12, 1))
    assert reader.refresh(snap)[1] == []
    grade = gb.find_grade("q02-test", "all-staff-exam", "all-staff-exam", "E10003")
    grade.manual_score = 1.5
    gb.db.commit()
    snap, done = reader.refresh(snap)
    assert done == ["gradebook"] and snap.submissions[("E10003", "all-staff")].score == 3.5
    assert reader.changed_learners == {"E10003"}

    # A new hand-in collected for a learner who already has a folder in submitted/.
    new = course / "submitted" / "E10004" / "key-personnel-assessment"
    new.mkdir(parents=True)
    (new / "timestamp.txt").write_text("2026-11-30 16:45:00.000000 UTC")
    snap, done = reader.refresh(snap)
    assert done == ["hand-ins"] and reader.changed_learners == {"E10004"}
    handed = snap.submissions[("E10004", "key-personnel")]
    assert handed.score is None and handed.submitted_on == date(2026, 12, 1)
    assert ("E10004", "all-staff") in snap.submissions
    gb.close()
    store.close()


def test_the_page_shows_what_changed_when_it_is_opened(tmp_path):
    """The same path a prepared page takes when someone opens it (DataSource + Dashboard)."""
    settings = Settings(data_dir=tmp_path / "data", course_root=tmp_path / "course", time_zone="Asia/Shanghai")
    store = ProgressStore(settings.effective_db_url)
    write_employees(make_company(12, 2, date(2026, 11, 1)), store)
    source = DataSource(settings)
    page = Dashboard(source, settings=settings)
    source.prepare()  # the page waits here for someone to open it
    store.record_answer("E10003", "all-staff", "intro", "all-staff/intro/q01", "A", True, "en")
    page.open_for(Identity("trainer", operator=True))
    assert source.snapshot.first_activity[("E10003", "all-staff")] == datetime.now(CHINA).date()
    assert source.today() == datetime.now(CHINA).date() == page.as_of.value
    # The statuses worked out in advance were brought up to date for the learner who answered
    # only: they equal statuses worked out afresh from everything read.
    before = source.statuses(source.today())[("E10003", "all-staff")]
    assert before != "not-started"
    assert source.statuses(source.today()) == statuses(source.full, source.today())
    learner, track = next(k for k, v in sorted(source.statuses(source.today()).items()) if v == "not-started")
    store.record_answer(learner, track, "intro", f"{track}/intro/q01", "A", True, "en")
    store.record_answer("E10003", "all-staff", "scope", "all-staff/scope/q01", "A", True, "en")
    page._on_reload()
    assert source.reader.changed_learners == {"E10003", learner}  # not everyone's worked out again
    assert source.statuses(source.today())[(learner, track)] == "in-progress"
    assert source.statuses(source.today()) == statuses(source.full, source.today())
    store.close()


def test_an_answer_committed_after_a_later_one_is_not_lost_on_postgresql(postgres_url):
    from sqlalchemy import create_engine

    url = postgres_url
    store = ProgressStore(url)
    write_employees(make_company(12, 2, date(2026, 11, 1)), store)
    reader = Reader(url, "sqlite://", "/nonexistent-course", MODULES, PASS, CHINA)
    snap = reader.load()
    engine = create_engine(url)

    def answer(conn, learner):
        conn.execute(insert(tables.answers).values(
            learner_id=learner, track="all-staff", module="intro", question_id="all-staff/intro/q01",
            response='"A"', correct=True, attempt=1, language="en", answered_at=datetime.now(timezone.utc)))

    slow = engine.connect()
    slow.begin()
    answer(slow, "E10001")  # takes the lower id, commits later
    with engine.begin() as fast:
        answer(fast, "E10002")
    snap, done = reader.refresh(snap)
    assert ("E10002", "all-staff") in snap.first_activity
    assert ("E10001", "all-staff") not in snap.first_activity
    slow.commit()
    slow.close()
    snap, done = reader.refresh(snap)
    assert ("E10001", "all-staff") in snap.first_activity, done
    engine.dispose()
    store.close()


def test_certificates_are_read_again_by_a_kernel_taking_the_kept_reading_and_when_issued_or_revoked(
        databases, tmp_path, monkeypatch):
    """Certificates are not part of the reading a kernel keeps for the next one: a kernel that takes
    the kept reading reads them itself, and any kernel notices one issued or revoked later."""
    progress_url, _ = databases
    settings = Settings(data_dir=tmp_path / "data", course_root=tmp_path / "course", db_url=progress_url)
    monkeypatch.setenv("VOILA_PREHEAT", "True")  # as in a kernel Voila prepares: the reading is kept
    run = settings.data_dir / "run"
    run.mkdir(parents=True)
    run.chmod(0o700)
    store = ProgressStore(progress_url)
    people = make_company(12, 2, date(2026, 11, 1))
    write_employees(people, store)
    today = date.today()

    def issue(person, valid_until):
        with store.engine.begin() as conn:
            conn.execute(insert(tables.certificates).values(
                code=f"C-{person.employee_id}", employee_id=person.employee_id, employee_name=person.name,
                department=person.department, track="all-staff", score=9.0, max_score=10.0,
                passed_on=valid_until - timedelta(days=365), valid_until=valid_until,
                issued_at=datetime.now(timezone.utc), company="Demo", pdf=b"%PDF", sha256=person.employee_id * 4))

    issue(people[0], today + timedelta(days=5))  # expiring within the warning days
    first = DataSource(settings)
    assert [c.employee_id for c in first.certificates] == [people[0].employee_id]
    assert (run / "dashboard-reading.pickle").is_file()  # kept for the next kernel
    issue(people[1], today - timedelta(days=1))  # expired yesterday

    second = DataSource(settings)  # takes the kept reading
    assert sorted(c.employee_id for c in second.certificates) == sorted(p.employee_id for p in people[:2])
    page = Dashboard(second, settings=settings)
    page.open_for(Identity("trainer", operator=True))
    assert 'data-expiring="1" data-expired="1"' in page.certs.value
    assert people[1].name in page.certs.value

    assert first.refresh() is True  # the second certificate was issued after the first kernel read
    assert len(first.certificates) == 2
    assert first.refresh() is False  # nothing written since: nothing read
    with store.engine.begin() as conn:
        conn.execute(tables.certificates.update().where(tables.certificates.c.code == f"C-{people[0].employee_id}")
                     .values(revoked_at=datetime.now(timezone.utc), revoked_by="training-office"))
    page._on_reload()
    assert next(c for c in second.certificates if c.employee_id == people[0].employee_id).revoked_at is not None
    assert 'data-expiring="0" data-expired="1"' in page.certs.value
    store.close()


def test_clause_results_of_forms_count_each_learners_own_items(tmp_path):
    """Per-learner forms: the gradebook's cells are slots (s01-test) standing for different pool
    items for each learner; the clause table counts the items each learner's graded form held
    (as the grader recorded it in the autograded notebook), and the fixed items as before."""
    import json

    progress_url, gradebook_url = f"sqlite:///{tmp_path / 'progress.sqlite'}", f"sqlite:///{tmp_path / 'gb.db'}"
    course, name = tmp_path / "course", "all-staff-exam"
    store = ProgressStore(progress_url)
    write_employees(make_company(12, 2, date(2026, 11, 1)), store)
    gb = gradebook(gradebook_url)
    gb.add_assignment(name)
    gb.add_notebook(name, name)
    for cell in ("s01-test", "s02-test", "q02-test"):
        gb.add_grade_cell(cell, name, name, max_score=1, cell_type="code")
    forms = {"E10001": {"s01": "processes-001", "s02": "audit-001"},
             "E10002": {"s01": "audit-002", "s02": "scope-terms-001"}}
    wrong = {"E10001": {"s02-test"}, "E10002": {"s01-test", "q02-test"}}
    for student, slots in forms.items():
        gb.add_student(student)
        gb.add_submission(name, student, timestamp=datetime(2026, 11, 30, 9, 0))
        for cell in ("s01-test", "s02-test", "q02-test"):
            grade = gb.find_grade(cell, name, name, student)
            grade.auto_score, grade.needs_manual_grade = (0 if cell in wrong[student] else 1), False
        folder = course / "autograded" / student / name
        folder.mkdir(parents=True)
        form = {"slots": [{"slot": s, "item": i, "order": "ABCD"} for s, i in slots.items()]}
        (folder / f"{name}.ipynb").write_text(json.dumps({"cells": [], "metadata": {"iso20k_form": form}}))
    gb.db.commit()
    clauses = {(name, "processes-001"): ["8.5.1"], (name, "audit-001"): ["9.2"], (name, "audit-002"): ["9.2"],
               (name, "scope-terms-001"): ["3"], (name, "q02"): ["8.5.1"], (name, "s01"): ["4.1"]}
    reader = Reader(progress_url, gradebook_url, course, MODULES, PASS, CHINA, {}, clauses, {name: {"q02"}})
    snap = reader.load()
    dept = {p.employee_id: p.department for p in snap.people}
    expected: dict = {}
    for student, slots in forms.items():
        for slot_cell, item in [*((f"{s}-test", i) for s, i in slots.items()), ("q02-test", "q02")]:
            for clause in clauses[(name, item)]:
                entry = expected.setdefault((dept[student], clause, "exam"), [0, 0])
                entry[0] += 1
                entry[1] += slot_cell in wrong[student]
    got = {k: v for k, v in snap.clause_results.items() if k[2] == "exam"}
    assert got == expected
    assert not any(k[1] == "4.1" for k in got)  # the slot's name is not an item
