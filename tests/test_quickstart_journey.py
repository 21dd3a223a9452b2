"""Issue 21: the quick start is the whole product.  From command 1's set-up (``scripts/start.sh``:
``iso20k demo --if-empty``, then ``iso20k dashboard``, ``iso20k lab --trainer``, ``iso20k
verify-server`` and ``iso20k lab`` for the learner; here on free ports and in temporary folders),
in real JupyterLab, formgrader, Voila and headless Chromium, once in English and once in Chinese:

- a learner (a manager, five of the six key-personnel lessons done earlier) completes the last
  lesson, fetches the key-personnel assessment from *Nbgrader ▸ Assignment List*, answers it and
  submits it there; the lab's file browser reaches none of the trainers' files;
- the trainer collects and autogrades (nbgrader's and iso20k's commands, as the formgrader's buttons
  would), sees every submission awaiting a grade in formgrader, grades the written task in
  formgrader in the browser, and releases the feedback;
- the learner fetches the feedback in the Assignment List and reads it; *My training* says passed;
- the certificate exists and the verification page says it is genuine;
- the manager's dashboard shows the pass and the certificate.

Expected texts come from the product's text catalogue, so a wording change follows."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from browser import chromium_page, free_port, stop, wait_for_http
from iso20k.settings import REPO_ROOT

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
ISO20K, NBGRADER = str(BIN / "iso20k"), str(BIN / "nbgrader")
TOKEN = "j0urney"
ASSIGNMENT = "key-personnel-assessment"
TRACK = "key-personnel"
COURSE = "iso20k-course"  # the course's folder in the learner's (as in a home on the hub)
LESSON = "key-personnel/01-leadership"  # the lesson each learner completes in the browser
DEPARTMENT = "旅程部 Journey Team"
LEARNERS = {"en": ("journey-en", "Journey Learner"), "zh": ("journey-zh", "旅程学员")}
WRITTEN = {"en": "Nonconformity: change CHG-2291 was deployed without approval (clause 8.5.1.3). "
                 "Root cause, correction and corrective action follow.",
           "zh": "不符合项：变更 CHG-2291 未经批准即实施（条款 8.5.1.3）。原因分析、纠正和纠正措施如下。"}
WRITTEN_SCORE = 8  # of 10, given in formgrader
TRAINERS_FILES = {"exams", "forms", "source", "release", "submitted", "autograded", "feedback", "gradebook.db",
                  "nbgrader_config.py", "assessments", "exchange"}


def t(message: str, language: str, **values) -> str:
    from iso20k.texts import t as translate

    return translate(message, language, **values)


# -- command 1's set-up ----------------------------------------------------------------------------

def _env(base: Path, ports: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ISO20K_", "JUPYTER", "XDG_"))}
    env.update({
        "ISO20K_ENV_FILE": "", "ISO20K_DATA_DIR": str(base / "data"), "ISO20K_COURSE_ROOT": str(base / "course"),
        "HOME": str(base / "home"), "PATH": f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}",
        "ISO20K_DASHBOARD_PORT": str(ports["dashboard"]), "ISO20K_TRAINER_LAB_PORT": str(ports["trainer"]),
        "ISO20K_VERIFY_PORT": str(ports["verify"]),
        "ISO20K_VERIFY_URL": f"http://127.0.0.1:{ports['verify']}/verify",
    })
    return env


def _add_journey_learners(env: dict) -> None:
    """Two managers of a department of their own, with every key-personnel lesson but the first
    done on earlier days (answered right, recorded as the lessons record them)."""
    from iso20k.banks import load_catalog
    from iso20k.demo.company import DEMO_DOMAIN
    from iso20k.demo.history import track_modules
    from iso20k.grading.config import gradebook_url
    from iso20k.grading.students import sync_students
    from iso20k.roster import write_employees
    from iso20k.roster.validate import Employee
    from iso20k.settings import Settings
    from iso20k.store import trail_writer

    settings = Settings(data_dir=Path(env["ISO20K_DATA_DIR"]), course_root=Path(env["ISO20K_COURSE_ROOT"]),
                        _env_file=None)
    store = trail_writer(settings)  # as the demo writes its history
    due = date.today() + timedelta(days=30)
    people = [Employee(eid, name, DEPARTMENT, "manager", f"{eid}@{DEMO_DOMAIN}", ("all-staff", TRACK),
                       {"all-staff": due, TRACK: due}) for eid, name in LEARNERS.values()]
    write_employees(people, store, partial=True)
    catalog = load_catalog(settings.keyed_banks_dir)
    lesson_module = LESSON.split("/")[1].split("-", 1)[1]
    earlier = datetime.now(timezone.utc) - timedelta(days=3)
    events = []
    for language, (eid, _name) in LEARNERS.items():
        for n, (module, questions) in enumerate(track_modules(catalog, TRACK)):
            if module == lesson_module:
                continue
            for k, qid in enumerate(questions):
                events.append(dict(learner_id=eid, track=TRACK, module=module, question_id=qid, correct=True,
                                   language=language, response={"earlier": "right answer"},
                                   answered_at=earlier + timedelta(minutes=10 * n + k)))
    store.record_history(events, catalog.module_questions())
    sync_students(store, gradebook_url(settings.course_root, settings))
    store.close()


def _serve(stack: ExitStack, argv: list[str], env: dict, log: Path, cwd: Path) -> subprocess.Popen:
    handle = open(log, "w")
    stack.callback(handle.close)
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT)
    stack.callback(stop, proc)
    return proc


@pytest.fixture(scope="module")
def quick_start(tmp_path_factory):
    base = tmp_path_factory.mktemp("quick-start")
    (base / "home").mkdir()
    course = base / "course"  # the checkout is the course folder of start.sh; here a copy of its files
    course.mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(REPO_ROOT / "source", course / "source")
    shutil.copytree(REPO_ROOT / "forms", course / "forms")  # the graders' keyed pools of the forms
    ports = {name: free_port() for name in ("dashboard", "trainer", "verify", "en", "zh")}
    env = _env(base, ports)
    started = time.monotonic()
    done = subprocess.run([ISO20K, "demo", "--if-empty", "--employees", "10", "--departments", "2"], env=env,
                          cwd=base, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    _add_journey_learners(env)
    timings = {"demo": time.monotonic() - started}
    with ExitStack() as stack:
        procs = {
            "dashboard": _serve(stack, [ISO20K, "dashboard"], env, base / "dashboard.log", base),
            "trainer": _serve(stack, [ISO20K, "lab", "--trainer", "--no-browser"], env, base / "trainer.log", base),
            "verify": _serve(stack, [ISO20K, "verify-server"], env, base / "verify.log", base),
        }
        for language, (eid, _name) in LEARNERS.items():
            procs[language] = _serve(stack, [ISO20K, "lab", "--learner", eid, "--no-browser"],
                                     {**env, "ISO20K_LAB_PORT": str(ports[language]), "JUPYTER_TOKEN": TOKEN},
                                     base / f"learner-{language}.log", base)
        urls = {name: f"http://127.0.0.1:{ports[name]}" for name in ports}
        trainer_token = None
        for name, ready in (("trainer", "/api/status"), ("en", "/api/status"), ("zh", "/api/status"),
                            ("verify", "/verify/"), ("dashboard", "/voila/static/voila.js")):
            if name == "trainer":
                wait_for_http(urls[name] + "/login", procs[name], timeout=120)
                trainer_token = (base / "data" / "trainer-lab-token").read_text().strip()
            else:
                wait_for_http(urls[name] + ready + (f"?token={TOKEN}" if name in LEARNERS else ""), procs[name],
                              timeout=120)
        deadline = time.monotonic() + 90  # the dashboard's first kernel
        while "page prepared" not in (base / "dashboard.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        timings["servers"] = time.monotonic() - started - timings["demo"]
        print(f"quick start set-up: {timings}")
        yield dict(base=base, env=env, urls=urls, trainer_token=trainer_token, course=course)


# -- the learner -----------------------------------------------------------------------------------

def _open_lab(page, url: str, path: str) -> None:
    page.goto(f"{url}/lab/tree/{path}?reset&token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)


def _show_questions(page, minimum: int) -> None:
    """Questions appear by themselves, or after the one step the page explains (Run ▸ Run All Cells)."""
    try:
        page.wait_for_function(f"document.querySelectorAll('.iso20k-question fieldset').length >= {minimum}",
                               timeout=8_000)
        return
    except Exception:
        pass
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^(Run|运行)$")).first.click()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^(Run All Cells|运行所有单元格)")).first.click()
    page.wait_for_function(f"document.querySelectorAll('.iso20k-question fieldset').length >= {minimum}",
                           timeout=90_000)
    page.wait_for_timeout(500)


def _show_my_training(page) -> None:
    """The start page's My training, there by itself or after Run ▸ Run All Cells (then scrolled
    back up to it, as a learner would)."""
    try:
        page.wait_for_selector(".iso20k-training", timeout=8_000)
        return
    except Exception:
        pass
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^(Run|运行)$")).first.click()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^(Run All Cells|运行所有单元格)")).first.click()
    deadline = time.monotonic() + 90
    while not page.locator(".iso20k-training").count():
        assert time.monotonic() < deadline, "My training never appeared"
        page.evaluate("() => document.querySelectorAll('.jp-WindowedPanel-outer, .jp-Notebook')"
                      ".forEach(e => { e.scrollTop = 0; })")
        page.wait_for_timeout(500)


def _answer(page, card, question, language: str) -> None:
    """Answer ``question`` right with the mouse, as a learner who knows it."""
    kind, answer = question.type, question.answer
    if kind in ("single", "scenario", "true_false"):
        wanted = {True: "true", False: "false"}.get(answer, answer) if kind == "true_false" else answer
        card.locator(f"input[value='{wanted}']").check()
    elif kind == "multiple":
        for box in card.locator("input[type=checkbox]").all():
            if box.get_attribute("value") in answer:
                box.check()
    elif kind == "ordering":
        for target, option in enumerate(answer):
            for _ in range(12):
                order = card.locator("li[data-option-id]").evaluate_all("els => els.map(e => e.dataset.optionId)")
                if order.index(option) <= target:
                    break
                card.locator(f"button.iso20k-move[data-dir='-1'][data-option-id='{option}']").click()
                page.wait_for_timeout(60)
    elif kind == "matching":
        for select in card.locator("select[data-option-id]").all():
            select.select_option(value=answer[select.get_attribute("data-option-id")])
    page.wait_for_timeout(300)  # ipywidgets sends the newest value before the click is handled
    card.get_by_role("button", name=t("Check answer", language)).click()
    card.locator("[role=status]", has_text=t("Correct!", language)).wait_for(timeout=30_000)


def _plain(text: str) -> str:
    """Text without Markdown marks, quotes and spaces: a prompt as written and as shown compare."""
    return re.sub(r"[\s*_`'\"“”‘’「」]", "", text)


def _which(card, questions, language: str):
    """The bank question a card on the page shows: the one whose prompt (else options) it shows most of."""
    card.scroll_into_view_if_needed()
    text = _plain(card.text_content())

    def shown(q) -> int:
        prompt = _plain(q.prompt.get(language))
        size = next((n for n in range(len(prompt), 0, -1) if prompt[:n] in text), 0)
        return size + sum(12 for o in (q.options or []) if _plain(o.get(language))[:12] in text)

    best = max(questions, key=shown)
    assert shown(best) >= 12, f"no question of the lesson matches the card: {text[:200]}"
    return best


def _complete_lesson(page, url: str, language: str) -> None:
    from iso20k.banks import load_catalog

    catalog = load_catalog(REPO_ROOT / "assessments")
    module = LESSON.split("/")[1].split("-", 1)[1]
    questions = [q for q in catalog.questions.values() if q.full_id.startswith(f"{TRACK}/{module}/")]
    _open_lab(page, url, f"{COURSE}/{LESSON}.{language}.ipynb")
    _show_questions(page, len(questions))
    cards = page.locator(".iso20k-question")
    for i in range(cards.count()):
        card = cards.nth(i)
        question = _which(card, questions, language)
        card.scroll_into_view_if_needed()
        _answer(page, card, question, language)


def _assignment_list(page):
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
    page.locator(".lm-Menu-item:visible", has_text="Assignment List").click()
    panel = page.locator(".jp-Activity:visible, .lm-DockPanel-widget:visible").filter(has_text=ASSIGNMENT).last
    panel.wait_for(timeout=60_000)
    return panel


def _row(panel, section: str):
    """The row of the assessment in one of the Assignment List's lists."""
    return panel.locator(f"#{section} .list_item, .{section} .list_item", has_text=ASSIGNMENT).first


def _type_into_active_cell(page, text: str) -> None:
    page.keyboard.press("Enter")  # edit mode
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)
    page.keyboard.press("Escape")


def _take_exam(page, url: str, language: str, folder: Path, course: Path) -> None:
    """Fetch from the Assignment List, answer every item of the learner's own form right and the
    written task, cell by cell with the keyboard, save, submit from the Assignment List."""
    from form_answers import answer_form

    panel = _assignment_list(page)
    _row(panel, "released_assignments_list").get_by_role("button", name="Fetch").click()
    _row(panel, "fetched_assignments_list").wait_for(timeout=60_000)
    fetched = folder / "iso20k" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    cells = json.loads(fetched.read_text(encoding="utf-8"))["cells"]
    answers = answer_form({"cells": cells, "metadata": json.loads(fetched.read_text(encoding="utf-8"))["metadata"]},
                          course, ASSIGNMENT, "right").texts
    _open_lab(page, url, f"iso20k/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    # the exam's Chinese keeps its lang in JupyterLab (whose own page is lang="en")
    page.locator('.jp-RenderedMarkdown [lang="zh-Hans"]', has_text="答题方法").wait_for(timeout=30_000)
    page.locator(".jp-Cell").first.click()
    page.keyboard.press("Escape")  # command mode: J moves to the next cell, Enter edits it
    answered, written = set(), False
    for index, cell in enumerate(cells):
        if index:
            page.keyboard.press("j")
        source = "".join(cell["source"])
        found = re.match(r'answer_(\w+) = ""', source)
        if "show_time_left()" in source:
            _time_left_is_shown(page)
        if found and found.group(1) in answers:
            _type_into_active_cell(page, f'answer_{found.group(1)} = "{answers[found.group(1)]}"')
            answered.add(found.group(1))
        elif cell["cell_type"] == "markdown" and "Double-click here" in source:
            _type_into_active_cell(page, WRITTEN[language])
            page.keyboard.press("Control+Enter")  # shows it as text again
            written = True
    assert answered == set(answers) and written, f"answer cells not found: {set(answers) - answered}"
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
    saved = json.loads(fetched.read_text(encoding="utf-8"))["cells"]
    assert any(WRITTEN[language] in "".join(c["source"]) for c in saved), "the written answer was not saved"
    assert sum(bool(re.match(r'answer_\w+ = "[A-F]+"', "".join(c["source"]))) for c in saved) == len(answers)
    panel = _assignment_list(page)
    _row(panel, "fetched_assignments_list").get_by_role("button", name="Submit").click()
    _row(panel, "submitted_assignments_list").wait_for(timeout=60_000)


def _time_left_is_shown(page) -> None:
    """Run the exam's time-left cell (the active one): the minutes the fetch started count down,
    in English and in Chinese, each under its own lang."""
    # a key pressed before the notebook's kernel is connected runs nothing: wait for it first
    page.locator('.jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status="idle"]') \
        .wait_for(timeout=60_000)
    page.keyboard.press("Control+Enter")  # runs the cell, stays on it
    timer = page.locator(".iso20k-time-left")
    timer.wait_for(timeout=60_000)
    from iso20k.grading.exam_model import load_exam

    limit = load_exam(REPO_ROOT / "exams" / f"{ASSIGNMENT}.yaml").minutes
    left = "|".join(str(limit - k) for k in range(3))  # the fetch was a moment ago
    english = timer.locator('span[lang="en"]').inner_text()
    chinese = timer.locator('span[lang="zh-Hans"]').inner_text()
    assert re.fullmatch(rf"Time left: ({left}) min \(hand in by \d\d:\d\d\)\.", english), english
    assert re.fullmatch(rf"剩余时间：({left}) 分钟（请在 \d\d:\d\d 前提交）。", chinese), chinese


def _file_browser_names(url: str, folder: str = "") -> set[str]:
    request = urllib.request.Request(f"{url}/api/contents/{folder}", headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return {item["name"] for item in json.load(reply)["content"]}


# -- the trainer -----------------------------------------------------------------------------------

def _run(argv: list[str], env: dict, cwd: Path) -> str:
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _formgrader_api(world, path: str):
    request = urllib.request.Request(f"{world['urls']['trainer']}/formgrader/api/{path}",
                                     headers={"Authorization": f"token {world['trainer_token']}"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.load(reply)


def _awaiting_in_gradebook(course: Path, assignment: str) -> set[str]:
    with sqlite3.connect(course / "gradebook.db") as db:
        return {row[0] for row in db.execute("""
            SELECT DISTINCT s.student_id FROM submitted_assignment s JOIN assignment a ON a.id = s.assignment_id
            JOIN submitted_notebook n ON n.assignment_id = s.id JOIN grade g ON g.notebook_id = n.id
            WHERE a.name = ? AND g.needs_manual_grade""", (assignment,))}


def _trainer_logs_in(page, world) -> None:
    """As start.sh tells the trainer: the printed address, the token from the file it names."""
    page.goto(f"{world['urls']['trainer']}/formgrader")
    page.locator("input[type=password]").first.fill(world["trainer_token"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/formgrader**", timeout=60_000)
    page.wait_for_selector("text=Manage Assignments", timeout=60_000)


def _manual_scores(course: Path, student: str) -> list:
    with sqlite3.connect(f"file:{course / 'gradebook.db'}?mode=ro", uri=True) as db:
        return [row[0] for row in db.execute("""
            SELECT g.manual_score FROM grade g JOIN submitted_notebook n ON n.id = g.notebook_id
            JOIN submitted_assignment s ON s.id = n.assignment_id WHERE s.student_id = ?
            AND g.manual_score IS NOT NULL""", (student,))]


def _grade_written_task(page, world, submission_id: str, student: str, score: int) -> None:
    """In formgrader's grading page: the written task's score box (the task cell's grade id ends
    in '-task'), typed in; formgrader saves it when the box loses focus."""
    page.goto(f"{world['urls']['trainer']}/formgrader/submissions/{submission_id}/")
    box = page.locator("input.score[id$='-task']")
    box.wait_for(timeout=60_000)
    box.scroll_into_view_if_needed()
    box.fill(str(score))
    box.press("Tab")
    deadline = time.monotonic() + 30
    while _manual_scores(world["course"], student) != [score]:
        assert time.monotonic() < deadline, f"formgrader did not save the score of {student}"
        time.sleep(0.3)


# -- the journey -----------------------------------------------------------------------------------

def learner_takes_lesson_and_exam(page, world, language: str) -> None:
    eid = LEARNERS[language][0]
    url = world["urls"][language]
    assert _file_browser_names(url) == {COURSE}  # the lab's root: the learner's own folder
    names = _file_browser_names(url, COURSE)
    assert "START_HERE.ipynb" in names and TRACK in names, names
    assert not names & TRAINERS_FILES, f"the learner's file browser reaches {names & TRAINERS_FILES}"
    _complete_lesson(page, url, language)
    _take_exam(page, url, language, Path(world["env"]["ISO20K_DATA_DIR"]) / "learners" / eid, world["course"])


def trainer_grades(page, world) -> None:
    """Collect and autograde (as formgrader's Collect button and 'iso20k autograde'), grade both
    written tasks in formgrader in the browser, generate and release the feedback."""
    env, course = world["env"], world["course"]
    _run([NBGRADER, "collect", ASSIGNMENT], env, course)
    _run([ISO20K, "autograde", ASSIGNMENT], env, course)
    ids = [eid for eid, _ in LEARNERS.values()]
    awaiting = _awaiting_in_gradebook(course, ASSIGNMENT)
    assert set(ids) <= awaiting
    listed = _formgrader_api(world, f"submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
    in_formgrader = {s["student"] for s in listed if s["needs_manual_grade"]}
    assert in_formgrader == awaiting, "formgrader lists every submission awaiting its grade"
    _trainer_logs_in(page, world)
    for eid in ids:
        [mine] = [s for s in listed if s["student"] == eid]
        _grade_written_task(page, world, mine["id"], eid, WRITTEN_SCORE)
    _run([NBGRADER, "generate_feedback", ASSIGNMENT, "--student", "journey-*"], env, course)
    _run([NBGRADER, "release_feedback", ASSIGNMENT, "--student", "journey-*"], env, course)


def learner_sees_feedback_pass_and_certificate(page, world, language: str) -> None:
    eid, name = LEARNERS[language]
    url = world["urls"][language]
    folder = Path(world["env"]["ISO20K_DATA_DIR"]) / "learners" / eid
    _open_lab(page, url, f"{COURSE}/START_HERE.ipynb")
    _show_my_training(page)
    if language == "zh":
        page.locator(".widget-toggle-button", has_text="简体中文").click()
    row = page.locator(".iso20k-training tr", has_text=_track_title(language)).first
    row.wait_for(timeout=30_000)
    assert t("Passed", language) in row.inner_text(), row.inner_text()

    panel = _assignment_list(page)
    submitted = _row(panel, "submitted_assignments_list")
    submitted.get_by_role("button", name="Fetch Feedback").click()
    submitted.get_by_text("view feedback").wait_for(timeout=60_000)
    [feedback] = folder.glob(f"iso20k/{ASSIGNMENT}/feedback/*/{ASSIGNMENT}.html")
    page.goto(f"{url}/files/{feedback.relative_to(folder).as_posix()}?token={TOKEN}")
    shown = page.inner_text("body")
    score, total = _expected_score()
    assert f"{score:g}" in shown and f"{total:g}" in shown, shown[:500]

    page.goto(f"{world['urls']['verify']}/verify/{_certificate(world, eid)}")
    shown = page.inner_text("body")
    assert t("Genuine", language) in shown and name in shown, shown[:500]


def manager_sees_passes_and_certificates(page, world) -> None:
    page.goto(world["urls"]["dashboard"] + "/")
    page.wait_for_selector("table.iso20k-table[data-view=departments]", timeout=90_000)
    for language in LEARNERS:
        if language == "zh":
            page.click("button:text-is('简体中文')")
            page.wait_for_function("(text) => document.body.innerText.includes(text)",
                                   arg=t("Department", "zh"), timeout=30_000)
        page.locator(".widget-dropdown", has=page.locator(f"label:text-is('{t('Department', language)}')")) \
            .locator("select").select_option(label=DEPARTMENT)
        people = page.locator("table.iso20k-table[data-view=people]")
        people.wait_for(timeout=30_000)
        for eid, _name in LEARNERS.values():
            row = people.locator("tr", has_text=eid).inner_text()
            assert t("Passed", language) in row, row
        try:  # the department's two certificates (the panel is redrawn with the list)
            page.wait_for_function("""() => /(^|\\D)2(\\D|$)/.test(
                (document.querySelector('[data-figure=certificates]') || {}).innerText || '')""", timeout=30_000)
        except Exception:
            raise AssertionError(page.locator("[data-figure=certificates]").inner_text()) from None


def test_a_learner_a_trainer_and_a_manager_on_one_machine_in_english_and_chinese(quick_start):
    world, timings, started = quick_start, {}, time.monotonic()
    with chromium_page() as page:  # one browser tab, as one person after another uses it
        for language in LEARNERS:
            learner_takes_lesson_and_exam(page, world, language)
        assert not (world["course"] / "course").exists()
        timings["learners"] = time.monotonic() - started
        trainer_grades(page, world)
        timings["trainer"] = time.monotonic() - started - sum(timings.values())
        for language in LEARNERS:
            learner_sees_feedback_pass_and_certificate(page, world, language)
        timings["results"] = time.monotonic() - started - sum(timings.values())
        manager_sees_passes_and_certificates(page, world)
        timings["manager"] = time.monotonic() - started - sum(timings.values())
    print(f"journey: {timings}")


def _expected_score() -> tuple[float, float]:
    """Every letter right and WRITTEN_SCORE for the written task, out of the assessment's points."""
    from iso20k.grading.exam_model import load_exam

    exam = load_exam(REPO_ROOT / "exams" / f"{ASSIGNMENT}.yaml")  # a form's points, as the course builds it
    return exam.auto_points + WRITTEN_SCORE, exam.total_points


def _track_title(language: str) -> str:
    from iso20k.tracks import track_title

    return track_title(TRACK, language)


def _certificate(world, employee_id: str) -> str:
    with sqlite3.connect(Path(world["env"]["ISO20K_DATA_DIR"]) / "progress.sqlite") as db:
        rows = db.execute("SELECT code FROM certificates WHERE employee_id = ? AND track = ?",
                          (employee_id, TRACK)).fetchall()
    assert len(rows) == 1, f"{employee_id} has {len(rows)} key-personnel certificates"
    return rows[0][0]
