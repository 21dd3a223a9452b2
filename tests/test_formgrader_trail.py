"""A grade given by hand in formgrader, on a real JupyterLab with nbgrader's formgrader, reaches
the audit trail (through the iso20k.audit.formgrader_hook server extension) with old and new
score and the grader; the trail then still verifies against the gradebook."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
import warnings
from datetime import datetime

import pytest

from browser import TOKEN, jupyter_lab
from iso20k.audit import entries, record_from_trail_state, verify_trail
from iso20k.grading.config import gradebook_url
from iso20k.grading.environment import course_gradebook
from iso20k.launch import AUDIT_EXTENSION
from iso20k.settings import REPO_ROOT
from iso20k.store import ProgressStore
from nbgrader_course import new_course

pytestmark = pytest.mark.slow
A = "key-personnel-assessment"
STUDENT = "E900"


def put_grade(base: str, grade_id: str, manual_score, extra_credit=None) -> dict:
    request = urllib.request.Request(f"{base}/formgrader/api/grade/{grade_id}", method="PUT",
                                     data=json.dumps({"manual_score": manual_score, "extra_credit": extra_credit}).encode(),
                                     headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def test_a_manual_grade_in_formgrader_appears_in_the_trail(tmp_path):
    course = new_course(tmp_path / "course", REPO_ROOT / "exams")
    with warnings.catch_warnings(), course_gradebook(course) as gb:
        warnings.simplefilter("ignore")  # nbgrader's own autoflush warnings
        gb.update_or_create_student(STUDENT, first_name="伟", last_name="王")
        sub = gb.update_or_create_submission(A, STUDENT, timestamp=datetime(2026, 11, 20, 10, 0))
        for nb in sub.notebooks:
            for g in nb.grades:
                if g.cell.type == "GradeCell":
                    g.auto_score, g.needs_manual_grade = g.cell.max_score, False
                else:
                    g.needs_manual_grade = True
        gb.db.commit()
    store = ProgressStore(f"sqlite:///{tmp_path / 'data' / 'progress.sqlite'}")
    url = gradebook_url(course)
    assert record_from_trail_state(store, url, "setup", "grade-baseline", "test submission")
    assert verify_trail(store, url).ok

    with sqlite3.connect(course / "gradebook.db") as conn:
        task_id, task_name, task_max = conn.execute(
            "SELECT g.id, bc.name, t.max_score FROM grade g JOIN base_cell bc ON bc.id = g.cell_id "
            "JOIN task_cells t ON t.id = g.cell_id WHERE g.needs_manual_grade").fetchone()
        auto_id, auto_name = conn.execute(
            "SELECT g.id, bc.name FROM grade g JOIN base_cell bc ON bc.id = g.cell_id "
            "WHERE g.auto_score > 0 ORDER BY bc.name LIMIT 1").fetchone()

    env = {"ISO20K_DATA_DIR": str(tmp_path / "data"), "ISO20K_AUDIT_ACTOR": "grader-anna"}
    with jupyter_lab(course, tmp_path, env_updates=env,
                     extra_args=(f"--ServerApp.jpserver_extensions={AUDIT_EXTENSION}=True",)) as base:
        saved = put_grade(base, task_id, task_max - 1)
        assert saved["manual_score"] == task_max - 1
        put_grade(base, auto_id, 0)  # the grader overrides an automatic score
    log = (tmp_path / "lab-server.log").read_text()
    assert "recorded in the audit trail" in log

    manual = [e for e in entries(store) if e.action == "manual-grade"]
    assert [e.actor for e in manual] == ["grader-anna", "grader-anna"]
    assert [e.subject for e in manual] == [f"{STUDENT}/{A}"] * 2
    changes = [next(iter(e.details["grades"].items())) for e in manual]
    assert changes[0][0].endswith("/" + task_name) and changes[0][1] == [None, float(task_max - 1)]
    assert changes[1][0].endswith("/" + auto_name) and changes[1][1][1] == 0.0 and changes[1][1][0] > 0
    assert all(e.details["source"] == "formgrader" for e in manual)
    report = verify_trail(store, url)
    assert report.ok, report.text()


def test_on_the_hub_a_grade_the_trail_writer_does_not_record_is_not_saved(tmp_path):
    """Formgrader configured as on the hub (ISO20K_TRAIL_URL, no store URL) but without the hub's
    sign-in, so no trainer's token comes with the grade: whether the trail writer is down or up,
    the save fails loudly, the gradebook keeps its score, formgrader keeps working, and the
    grader's side never touches a progress store.  (The trail writer down while a trainer is
    signed in: tests/test_trail_writer.py, with nbgrader's own Gradebook.)"""
    import urllib.error

    from browser import free_port
    from trail_world import standard_tokens, trail_writer

    course = new_course(tmp_path / "course", REPO_ROOT / "exams")
    with warnings.catch_warnings(), course_gradebook(course) as gb:
        warnings.simplefilter("ignore")
        gb.update_or_create_student(STUDENT, first_name="A", last_name="B")
        gb.update_or_create_submission(A, STUDENT, timestamp=datetime(2026, 11, 20, 10, 0))
        gb.db.commit()
    with sqlite3.connect(course / "gradebook.db") as conn:
        (task_id,) = conn.execute("SELECT g.id FROM grade g JOIN task_cells t ON t.id = g.cell_id LIMIT 1").fetchone()
    port = free_port()
    grader_data = tmp_path / "grader-data"
    env = {"ISO20K_DATA_DIR": str(grader_data), "ISO20K_TRAIL_URL": f"http://127.0.0.1:{port}/services/records/",
           "JUPYTERHUB_API_TOKEN": "svc-formgrader", "ISO20K_DB_URL": ""}
    with jupyter_lab(course, tmp_path, env_updates=env,
                     extra_args=(f"--ServerApp.jpserver_extensions={AUDIT_EXTENSION}=True",)) as base:
        with pytest.raises(urllib.error.HTTPError) as refused:  # nothing listens at the trail writer's address
            put_grade(base, task_id, 3)
        assert refused.value.code == 500
        with trail_writer(tmp_path / "records-data", standard_tokens("gr-test"), port=port) as (_url, settings):
            with pytest.raises(urllib.error.HTTPError) as refused:  # up, but no trainer signed in through the hub
                put_grade(base, task_id, 4)
            assert refused.value.code == 500
            trail = ProgressStore(settings.effective_db_url)
            assert list(entries(trail)) == []
            trail.close()
        request = urllib.request.Request(f"{base}/formgrader/api/grade/{task_id}",
                                         headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=60) as reply:  # formgrader's session was rolled back
            assert json.loads(reply.read())["manual_score"] is None
    with sqlite3.connect(course / "gradebook.db") as conn:
        assert conn.execute("SELECT manual_score FROM grade WHERE id = ?", (task_id,)).fetchone() == (None,)
    log = (tmp_path / "lab-server.log").read_text()
    assert log.count("the grade change was NOT saved") == 2 and "no signed-in trainer" in log
    assert not grader_data.exists() or not any(grader_data.rglob("*.sqlite*"))
