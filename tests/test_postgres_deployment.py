"""A company deployment on PostgreSQL: the progress store and nbgrader's gradebook both in a real
PostgreSQL server, written by the real demo (nbgrader's Gradebook API, a real autograde) and read
back by the dashboard with its plain SQL, giving what nbgrader's own API reads there."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from iso20k.grading.build import build_sources
from iso20k.grading.environment import nbgrader_env
from iso20k.settings import REPO_ROOT, reload_settings

TODAY = date(2026, 11, 24)
NBGRADER = str(Path(sys.executable).with_name("nbgrader"))


def _company(base: Path, monkeypatch, db_url: str | None, gradebook: str | None):
    """The demo company in a new course folder; returns the dashboard's data source on it."""
    from iso20k.dashboard import DataSource
    from iso20k.demo import build_demo

    course = base / "course"
    course.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for name, value in (("ISO20K_DB_URL", db_url), ("ISO20K_GRADEBOOK_URL", gradebook)):
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ISO20K_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("ISO20K_COURSE_ROOT", str(course))
    settings = reload_settings()
    build_sources(settings.exams_dir, course / "source", settings)
    build_demo(settings, employees=24, departments=3, today=TODAY, autograde_count=1, progress=False)
    return course, DataSource(settings)


@pytest.mark.slow
def test_progress_and_gradebook_in_postgresql_are_read_by_the_dashboard(tmp_path, monkeypatch, postgres_cluster):
    from iso20k.grading.environment import course_gradebook
    from iso20k.store import ProgressStore
    from iso20k.tracks import TRACK_OF_ASSESSMENT

    progress_url, gradebook_url = postgres_cluster.create_database(), postgres_cluster.create_database()
    course, source = _company(tmp_path, monkeypatch, progress_url, gradebook_url)
    # Nothing went to the SQLite files the course would otherwise use (the data folder keeps only
    # the learners' answer anchors, outside the database by design).
    assert not (course / "gradebook.db").exists() and not list(tmp_path.glob("data/*.sqlite*"))
    assert list(tmp_path.glob("data/audit-anchors/answers/*.json"))

    # nbgrader's own command line, run in the course folder, finds the same gradebook.
    listed = subprocess.run([NBGRADER, "db", "student", "list"], cwd=course, env=nbgrader_env(),
                            capture_output=True, text=True, check=True)
    assert "demo-learner" in listed.stdout and listed.stdout.count("\n") > 24

    # The dashboard's plain SQL gives what nbgrader's own Gradebook API and the store's API say.
    snap = source.full
    assert snap.notes == [] and len(snap.people) == 25
    expected = {}
    with course_gradebook(course) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                expected[(sub.student_id, TRACK_OF_ASSESSMENT[assignment.name])] = (
                    sub.timestamp.date(), max(0.0, sub.score - sub.late_submission_penalty),
                    sub.max_score, sub.needs_manual_grade)
    got = {key: (s.submitted_on, s.score, s.max_score, s.needs_manual) for key, s in snap.submissions.items()}
    assert len(expected) > 5 and got.keys() == expected.keys()
    for key, (day, score, max_score, manual) in expected.items():
        assert got[key] == (day, pytest.approx(score), pytest.approx(max_score), manual), key
    assert any(manual is False and score > 0 for _, score, _, manual in expected.values())
    store = ProgressStore(progress_url)
    completions = {(r["learner_id"], r["track"]) for r in _completions(store)}
    assert set(snap.completions) == completions and completions
    store.close()


def _completions(store):
    from sqlalchemy import select

    from iso20k.store import tables

    mc = tables.module_completions
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(mc))]


def test_dashboard_notices_a_change_in_postgresql(tmp_path, postgres_url):
    from iso20k.dashboard import DataSource
    from iso20k.demo import make_company
    from iso20k.roster import write_employees
    from iso20k.settings import Settings
    from iso20k.store import ProgressStore

    store = ProgressStore(postgres_url)
    write_employees(make_company(12, 2, TODAY), store)
    source = DataSource(Settings(db_url=postgres_url, course_root=tmp_path / "course"))
    assert len(source.full.people) == 12
    source.refresh()  # reading may tidy pages once (WAL written); then nothing moves
    assert not source.refresh()
    store.record_answer("E10001", "all-staff", "intro", "all-staff/intro/q01", "A", True, "en")
    assert source.refresh()  # noticed, and read
    assert not source.refresh()
    assert source.full.first_activity[("E10001", "all-staff")] == date.today()
    store.close()
