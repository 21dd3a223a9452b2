"""Shuffled options, links back to the lesson, the learner JupyterLab configuration and the
"My training" summary, without a browser (tests/test_learner_browser.py drives them in one)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from iso20k.banks import load_catalog
from iso20k.lab_settings import DISABLED_LAB_PLUGINS, LAB_EXTENSIONS_DIR, SETTING_OVERRIDES, write_learner_lab_config
from iso20k.learner import training_summary
from iso20k.roster import write_employees
from iso20k.roster.validate import Employee
from iso20k.settings import REPO_ROOT
from iso20k.widgets import QuizSession, quiz
from iso20k.widgets.shuffle import ordering_start, shuffled

CATALOG = load_catalog(REPO_ROOT / "assessments")


# -- shuffled options ------------------------------------------------------------------------------

def test_option_order_is_the_same_in_another_process_whatever_the_hash_seed():
    code = ("from iso20k.widgets.shuffle import shuffled; "
            "print(shuffled(list('abcdef'), 'E042', 'all-staff/roadmap/q01'))")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2", "random")}
    assert len(outputs) == 1
    assert outputs.pop().strip() == str(shuffled(list("abcdef"), "E042", "all-staff/roadmap/q01"))


def test_orders_differ_between_learners_and_questions():
    ids = list("abcde")
    by_learner = {tuple(shuffled(ids, f"E{n:03d}", "all-staff/intro/q01")) for n in range(40)}
    by_question = {tuple(shuffled(ids, "E001", f"all-staff/intro/q{n:02d}")) for n in range(40)}
    assert len(by_learner) > 20 and len(by_question) > 20
    assert all(sorted(order) == ids for order in by_learner)


def test_an_ordering_question_never_starts_solved():
    for n in range(200):
        assert ordering_start(["a", "b"], ["a", "b"], f"E{n}", "x/y/q1") == ["b", "a"]


def test_widgets_show_the_learners_order_and_record_ids(store, banks_dir):
    alice, bob = QuizSession(store, "alice", banks_dir=banks_dir), QuizSession(store, "bob", banks_dir=banks_dir)
    orders = {}
    for session in (alice, bob):
        w = quiz("all-staff/sample/q01", session=session)
        orders[session.learner_id] = [o["id"] for o in w.input.options]
        assert orders[session.learner_id] == shuffled(["a", "b", "c"], session.learner_id, "all-staff/sample/q01")
        w.input.value = "b"  # the browser sends the option id, wherever it is shown
        w.check_button.click()
        assert w.last_correct is True
    assert [r["response"] for r in store.answers()] == ["b", "b"]
    matching = quiz("all-staff/sample/q05", session=alice)
    assert sorted(o["id"] for o in matching.input.options) == ["form", "manual"]


# -- from a mistake to the lesson -------------------------------------------------------------------

def test_a_wrong_answer_links_to_its_section_and_a_right_one_does_not(session):
    w = quiz("all-staff/sample/q01", section="Who does **what**: the review")
    w.select("a")
    w.check_button.click()
    assert "href='#Who-does-what:-the-review'" in w.feedback.value
    assert "data-iso20k-section='Who-does-what:-the-review'" in w.feedback.value
    assert "Read this part of the lesson again" in w.feedback.value
    session.set_language("zh")
    assert "请重读课文的这一部分" in w.feedback.value
    w.select("b")
    w.check_button.click()
    assert "data-iso20k-section" not in w.feedback.value


def test_every_built_question_cell_names_a_section():
    import nbformat

    nb = nbformat.read(REPO_ROOT / "course" / "all-staff" / "03-roadmap.zh.ipynb", as_version=4)
    calls = [c.source.strip() for c in nb.cells if c.cell_type == "code" and "quiz(" in c.source]
    assert calls and all(", section=" in call for call in calls)


# -- learner JupyterLab configuration ---------------------------------------------------------------

def test_learner_lab_config_files_and_launch(tmp_path):
    launch = write_learner_lab_config(tmp_path / "cfg")
    settings_dir = tmp_path / "cfg" / "settings"
    overrides = json.loads((settings_dir / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false", "checkForUpdates": False}
    page = json.loads((settings_dir / "page_config.json").read_text())
    assert set(page["disabledExtensions"]) == set(DISABLED_LAB_PLUGINS)
    server = json.loads((tmp_path / "cfg" / "jupyter_server_config.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] is False
    assert "nbgrader.server_extensions.assignment_list" not in server["ServerApp"]["jpserver_extensions"]
    tracker = overrides["@jupyterlab/notebook-extension:tracker"]
    assert tracker == {"kernelShutdown": True, "showEditorForReadOnlyMarkdown": False}
    assert launch.args == [f"--LabApp.app_settings_dir={settings_dir.resolve()}"]
    assert server["LabApp"]["extra_labextensions_path"] == [str(LAB_EXTENSIONS_DIR)]
    assert json.loads((LAB_EXTENSIONS_DIR / "iso20k-lessons" / "package.json").read_text())["name"] == "iso20k-lessons"
    env = launch.environ({"JUPYTER_CONFIG_PATH": "/etc/other", "HOME": "/h"})
    assert env["JUPYTER_CONFIG_PATH"].split(":") == [str((tmp_path / "cfg").resolve()), "/etc/other"]
    assert env["HOME"] == "/h"
    again = write_learner_lab_config(tmp_path / "cfg")  # rewriting is safe
    assert again == launch


def test_every_overridden_setting_exists_in_the_installed_jupyterlab():
    """A setting JupyterLab renamed would be ignored without a word: each override must name a
    property of the installed plugin's schema, with a value of its type."""
    from jupyter_core.paths import jupyter_path

    types = {"boolean": bool, "string": str}
    for plugin, values in SETTING_OVERRIDES.items():
        package, name = plugin.split(":")
        schemas = [Path(d) / package / f"{name}.json" for d in jupyter_path("lab", "schemas")]
        schema = next((json.loads(p.read_text()) for p in schemas if p.exists()), None)
        assert schema is not None, f"no schema for {plugin} in this JupyterLab"
        for key, value in values.items():
            assert key in schema["properties"], f"{plugin} has no setting {key!r}"
            assert isinstance(value, types[schema["properties"][key]["type"]]), (plugin, key)


def test_iso20k_lab_starts_jupyterlab_with_the_learner_config(tmp_path):
    """``iso20k lab`` writes the configuration and passes it on (checked without starting it)."""
    from iso20k.launch import lab_command, learner_lab_config_dir
    from iso20k.settings import Settings

    settings = Settings(data_dir=tmp_path)
    folder = learner_lab_config_dir(settings)
    assert folder == tmp_path / "lab-config"
    launch = write_learner_lab_config(folder)
    argv = lab_command(settings, open_browser=False, extra_args=launch.args)
    assert f"--LabApp.app_settings_dir={(folder / 'settings').resolve()}" in argv
    assert Settings(data_dir=tmp_path, lab_config_dir=tmp_path / "x").lab_config_dir == tmp_path / "x"


# -- My training ------------------------------------------------------------------------------------

def _enrol(store, employee_id: str, dues: dict) -> None:
    write_employees([Employee(employee_id, "Li Lei", "Service desk", "manager", None, tuple(dues), dict(dues))],
                    store)


def _complete(store, learner: str, module_key: str) -> None:
    bank = CATALOG.module(module_key)
    for q in bank.questions:
        store.record_answer(learner, bank.track, bank.module, q.full_id, q.answer, True, "en",
                            module_question_ids=[x.full_id for x in bank.questions])


def test_training_summary_counts_modules_and_picks_the_next_step(store):
    today = date.today()  # answers are recorded now; statuses count what happened by "as of"
    _enrol(store, "E100", {"all-staff": today + timedelta(days=10), "key-personnel": today - timedelta(days=3)})
    _complete(store, "E100", "all-staff/intro")
    _complete(store, "E100", "all-staff/structure")
    q = CATALOG.module("key-personnel/leadership").questions[0]
    store.record_answer("E100", "key-personnel", "leadership", q.full_id, q.answer, True, "zh")
    s = training_summary(store, "E100", CATALOG, course_dir=REPO_ROOT / "course", as_of=today,
                         pass_marks={"all-staff": 0.65, "key-personnel": 0.7, "document-writing": 0.7})
    assert s.in_roster and s.name == "Li Lei"
    tracks = {t.track: t for t in s.tracks}
    assert set(tracks) == {"all-staff", "key-personnel"}
    staff, key = tracks["all-staff"], tracks["key-personnel"]
    all_staff = sum(1 for b in CATALOG.banks.values() if b.track == "all-staff")
    assert (staff.modules_done, staff.modules_left, len(staff.modules)) == (2, all_staff - 2, all_staff)
    assert [m.key for m in staff.modules][:3] == ["all-staff/intro", "all-staff/structure", "all-staff/roadmap"]
    assert staff.status == "in-progress" and key.status == "overdue"
    assert key.modules[0].correct == 1 and not key.modules[0].done
    assert staff.next_step.module.key == "all-staff/roadmap" and staff.next_step.module.notebook == "all-staff/03-roadmap"
    # Overdue key-personnel work comes first.
    assert s.next_step.track == "key-personnel" and s.next_step.module.key == "key-personnel/leadership"


def test_someone_not_in_the_roster_gets_the_all_staff_track(store):
    s = training_summary(store, "visitor", CATALOG, course_dir=REPO_ROOT / "course")
    assert not s.in_roster
    assert [t.track for t in s.tracks] == ["all-staff"] and s.tracks[0].due is None


def test_my_training_shows_the_due_steps_the_reminders_send(store):
    """The same words as the reminders (iso20k/results/due_steps.py): due in n days, due today,
    overdue since the day after the due date; nothing once passed."""
    from iso20k.widgets.training import render_summary

    today = date(2026, 12, 7)
    _enrol(store, "E201", {"all-staff": today - timedelta(days=3), "key-personnel": today})
    summary = training_summary(store, "E201", CATALOG, course_dir=REPO_ROOT / "course", as_of=today)
    html = render_summary(summary, "en")
    assert "overdue since 2026-12-05" in html and "due today" in html
    assert "自 2026-12-05 起逾期" in render_summary(summary, "zh") and "今天到期" in render_summary(summary, "zh")


def test_my_training_widget_draws_the_summary_in_the_learners_language(store, banks_dir):
    from iso20k.widgets.training import MyTraining

    _enrol(store, "E200", {"all-staff": date.today() + timedelta(days=5)})
    session = QuizSession(store, "E200", language="en")
    widget = MyTraining(session, load=lambda: training_summary(store, "E200", CATALOG,
                                                              course_dir=REPO_ROOT / "course"))
    html = widget.html.value
    all_staff = sum(1 for b in CATALOG.banks.values() if b.track == "all-staff")
    assert "My training" in html and "data-done='0'" in html and f"data-left='{all_staff}'" in html
    assert "all-staff/01-intro.en.ipynb" in html and "due in 5 days" in html  # the reminders' words
    session.set_language("zh")
    assert "我的培训" in widget.html.value and "all-staff/01-intro.zh.ipynb" in widget.html.value
    assert "将于 5 天后到期" in widget.html.value
    _complete(store, "E200", "all-staff/intro")
    widget.refresh_button.click()
    assert "data-done='1'" in widget.html.value and "all-staff/02-structure.zh.ipynb" in widget.html.value


@pytest.mark.slow
def test_training_summary_reads_assessment_results_from_a_real_gradebook(tmp_path):
    import sqlite3

    from dashboard_world import make_world
    from iso20k.store import ProgressStore
    from iso20k.tracks import ASSESSMENTS

    settings, _env, _summary = make_world(tmp_path, employees=30, departments=2, autograde_count=0)
    grades = sqlite3.connect(tmp_path / "course" / "gradebook.db")
    rows = grades.execute("SELECT s.student_id, a.name FROM submitted_assignment s "
                          "JOIN assignment a ON a.id = s.assignment_id ORDER BY s.student_id").fetchall()
    assert rows
    student, assignment = rows[0]
    store = ProgressStore(settings.effective_db_url)
    s = training_summary(store, student, CATALOG, course_dir=REPO_ROOT / "course",
                         gradebook_url=f"sqlite:///{tmp_path / 'course' / 'gradebook.db'}",
                         course_root=tmp_path / "course")
    track = next(t for t in s.tracks if ASSESSMENTS[t.track] == assignment)
    assert track.assessment is not None and track.assessment.assignment == assignment
    # The dashboard, reading the whole gradebook its own way, sees the same score and status.
    from iso20k.results import load_snapshot
    from iso20k.results import status_of

    snap = load_snapshot(settings.effective_db_url, f"sqlite:///{tmp_path / 'course' / 'gradebook.db'}",
                         tmp_path / "course", {t: len(track.modules) if t == track.track else 0 for t in ASSESSMENTS},
                         {t: settings.pass_mark(t) for t in ASSESSMENTS})
    sub = snap.submissions[(student, track.track)]
    assert track.assessment.score == pytest.approx(sub.score) and track.assessment.max_score == pytest.approx(sub.max_score)
    person = next(p for p in snap.people if p.employee_id == student)
    snap.modules = {t: len(x.modules) for t in ASSESSMENTS for x in s.tracks if x.track == t}
    assert track.status == status_of(snap, person, track.track, date.today())
    assert datetime.now(timezone.utc)


def test_a_hand_in_under_the_hub_user_name_counts_for_the_employee(store, tmp_path):
    """On the hub, nbgrader knows each learner by their user name: the employee id in lower case.
    "My training" and the dashboard still credit the graded exam and a fresh hand-in to E300."""
    import shutil
    import warnings

    from iso20k.results import load_snapshot
    from iso20k.grading.config import gradebook_url
    from iso20k.grading.environment import course_gradebook
    from nbgrader_course import new_course

    _enrol(store, "E300", {"all-staff": date.today() + timedelta(days=5),
                           "key-personnel": date.today() + timedelta(days=5)})
    course = new_course(tmp_path / "course", REPO_ROOT / "exams")
    with warnings.catch_warnings(), course_gradebook(course) as gb:
        warnings.simplefilter("ignore")  # nbgrader's own autoflush warnings
        gb.update_or_create_student("e300")
        sub = gb.update_or_create_submission("all-staff-exam", "e300", timestamp=datetime(2026, 11, 20, 10, 0))
        for nb in sub.notebooks:
            for g in nb.grades:
                g.auto_score, g.needs_manual_grade = g.cell.max_score, False
        gb.db.commit()
    handed_in = course / "submitted" / "e300" / "key-personnel-assessment"  # collected, not yet graded
    handed_in.mkdir(parents=True)
    (handed_in / "timestamp.txt").write_text("2026-11-21 09:00:00.000000 UTC")
    url = gradebook_url(course)
    marks = {"all-staff": 0.65, "key-personnel": 0.7, "document-writing": 0.7}
    s = training_summary(store, "E300", CATALOG, course_dir=REPO_ROOT / "course", gradebook_url=url,
                         course_root=course, pass_marks=marks)
    assert {t.track: t.status for t in s.tracks} == {"all-staff": "passed", "key-personnel": "submitted"}
    snap = load_snapshot(store.url, url, course, {"all-staff": 5, "key-personnel": 5}, marks)
    assert {k for k in snap.submissions if k[0].casefold() == "e300"} == {("E300", "all-staff"),
                                                                          ("E300", "key-personnel")}
    shutil.rmtree(course)
