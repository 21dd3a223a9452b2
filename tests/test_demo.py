"""``iso20k demo`` and the dashboard notebook without a browser: real store, real nbgrader."""

from __future__ import annotations

import os
import sqlite3
from datetime import date

import nbformat
import pytest
from click.testing import CliRunner

from iso20k.cli import main
from iso20k.dashboard import Dashboard, DataSource, Identity
from iso20k.demo import DEMO_DOMAIN, make_company
from iso20k.roster import write_employees
from iso20k.roster.validate import Employee
from iso20k.settings import REPO_ROOT, Settings
from iso20k.store import ProgressStore
from test_notebooks import run_notebook

TODAY = date(2026, 11, 24)


def test_demo_company_is_realistic_and_repeatable():
    people = make_company(300, 8, TODAY)
    assert len(people) == 300 and len({p.department for p in people}) == 8
    assert len({p.employee_id for p in people}) == 300 and len({p.name for p in people}) == 300
    roles = {p.role for p in people}
    assert {"staff", "manager", "document-writer", "management-representative", "executive"} <= roles
    assert all(p.email.endswith("@" + DEMO_DOMAIN) for p in people)
    assert any(p.due_dates["all-staff"] < TODAY for p in people) and any(p.due_dates["all-staff"] > TODAY for p in people)
    assert make_company(300, 8, TODAY) == people
    assert len({p.department for p in make_company(1000, 40, TODAY)}) == 40


def test_demo_refuses_to_mix_with_a_real_roster(tmp_path):
    store = ProgressStore()
    write_employees([Employee("E1", "Real Person", "Ops", "staff", "real@company.cn", ("all-staff",)),
                     Employee("E2", "No Email", "Ops", "staff", None, ("all-staff",))], store)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code != 0
    assert "already holds a real roster of 2 people" in result.output and "--force" in result.output
    assert CliRunner().invoke(main, ["demo", "--if-empty"]).output.startswith("The roster is not empty")
    with sqlite3.connect(store.url.removeprefix("sqlite:///")) as db:
        assert db.execute("SELECT count(*) FROM employees").fetchone() == (2,)
        assert db.execute("SELECT count(*) FROM answers").fetchone() == (0,)


def test_empty_dashboard_explains_how_to_import_a_roster(tmp_path):
    settings = Settings(data_dir=tmp_path / "none", course_root=tmp_path / "no-course")
    dash = Dashboard(DataSource(settings), language="zh")
    assert dash.message.value == "" and dash.body.layout.display == "none"  # nobody looking yet
    dash.open_for(Identity("operator", operator=True))
    assert "iso20k import-roster" in dash.message.value and "尚未导入员工名单" in dash.message.value
    assert dash.body.layout.display == "none"
    assert not (tmp_path / "none").exists(), "the dashboard created the store it only reads"
    dash.lang.value = "en"
    assert "No roster yet" in dash.message.value


@pytest.mark.slow
def test_dashboard_notebook_runs_top_to_bottom_on_a_fresh_kernel(tmp_path):
    store = ProgressStore(f"sqlite:///{tmp_path / 'progress.sqlite'}")
    write_employees(make_company(20, 3, date.today()), store)
    store.close()
    before = (tmp_path / "progress.sqlite").read_bytes()
    nb = nbformat.read(REPO_ROOT / "dashboard" / "training-dashboard.ipynb", as_version=4)
    run_notebook(nb, {"ISO20K_DATA_DIR": str(tmp_path), "ISO20K_COURSE_ROOT": str(tmp_path / "course")},
                 REPO_ROOT / "dashboard")
    outputs = [o for c in nb.cells for o in c.outputs]
    assert not [o for o in outputs if o.output_type in ("error", "stream")]
    assert [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert (tmp_path / "progress.sqlite").read_bytes() == before, "the dashboard wrote to the store"
    # SQLite may leave an empty write-ahead log beside a WAL database a reader opened; nothing else.
    assert set(os.listdir(tmp_path)) <= {"progress.sqlite", "progress.sqlite-wal", "progress.sqlite-shm"}
    wal = tmp_path / "progress.sqlite-wal"
    assert not wal.exists() or wal.stat().st_size == 0


@pytest.mark.slow
def test_demo_builds_through_nbgrader_and_can_be_removed_leaving_real_people(tmp_path, monkeypatch):
    from dashboard_world import make_world
    from iso20k.grading.environment import course_gradebook
    from iso20k.settings import reload_settings

    monkeypatch.setenv("ISO20K_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ISO20K_COURSE_ROOT", str(tmp_path / "course"))
    settings = reload_settings()
    store = ProgressStore()
    write_employees([Employee("R1", "Real Person", "Ops", "staff", "r1@company.cn", ("all-staff",))], store)
    store.record_answer("R1", "all-staff", "intro", "all-staff/intro/q01", "A", True, "en")
    _, _, summary = make_world(tmp_path, employees=30, departments=3, autograde_count=2, force=True)
    course = settings.course_root
    with course_gradebook(course) as gb:
        assert len(gb.students) == 31 and sum(a.num_submissions for a in gb.assignments) == summary.results
        awaiting = {(s.assignment.name, s.student.id) for a in gb.assignments for s in a.submissions
                    if s.needs_manual_grade}
    assert awaiting, "the demo has written tasks awaiting their grade"
    # Two learners, and every submission awaiting its grade, really went through nbgrader autograde,
    # so formgrader (which lists only submissions on disk) shows every one a trainer has to grade.
    assert summary.employees == 31 and summary.autograded == 2 + len(awaiting) and summary.events > 100
    autograded = {(p.name, p.parent.name) for p in course.glob("autograded/*/*")}
    assert len(autograded) == summary.autograded and awaiting <= autograded

    result = CliRunner().invoke(main, ["demo", "--remove"])
    assert result.exit_code == 0, result.output
    assert "31 made-up employees" in result.output
    with sqlite3.connect(tmp_path / "data" / "progress.sqlite") as db:
        assert db.execute("SELECT employee_id FROM employees").fetchall() == [("R1",)]
        assert db.execute("SELECT DISTINCT learner_id FROM answers").fetchall() == [("R1",)]
        assert db.execute("SELECT count(*) FROM enrolments").fetchone() == (1,)
    with course_gradebook(course) as gb:
        assert gb.students == [] and sum(a.num_submissions for a in gb.assignments) == 0
    assert not list(course.glob("submitted/*")) and not list(course.glob("autograded/*"))


@pytest.mark.parametrize("share", [0.0, 0.62, 0.72, 1.0])
def test_demo_answers_each_learners_own_form_with_its_intended_share_right(share):
    """The demo's hand-ins answer the learner's own form (forms are on by default): the share meant
    right is right, judged from the pool items' keys and the options' order on the form (not
    through the form's own keys), so a person meant to pass passes and one meant to fail fails."""
    import random

    from iso20k.demo.gradebook import answers_for, learners_form
    from iso20k.grading.exam_model import load_exam
    from iso20k.grading.forms import LETTERS

    exam = load_exam(REPO_ROOT / "exams" / "all-staff-exam.yaml")
    marks = Settings(_env_file=None).pass_mark("all-staff")
    seen = set()
    for learner in ("E10001", "E10002", "E10003"):
        form, pool = learners_form(REPO_ROOT, exam, learner)
        assert form is not None and len(form.slots) == 40
        seen.add(tuple(s.item for s in form.slots))
        answers = answers_for(exam, share, random.Random(learner), form, pool)
        assert set(answers) == {s.name for s in form.slots}
        right = sum(s.order[LETTERS.index(answers[s.name])] == pool.items[s.item].answer for s in form.slots)
        assert right == round(share * 40)
        assert (right >= marks * 40) == (share >= 0.72)
    assert len(seen) == 3  # three learners, three forms
