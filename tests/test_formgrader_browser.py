"""Grading a written task in nbgrader's formgrader, in headless Chromium on a real trainer
JupyterLab over a real nbgrader course: the score box comes right after the learner's answer,
the rubric is a box for the trainer (not headings), MathJax loads from the server itself, and no
formgrader page asks any host but the server (requests are recorded; others are refused)."""

from __future__ import annotations

import json
import shutil
import time
import urllib.parse
import urllib.request

import pytest

from browser import LOCAL_HOSTS, TOKEN, chromium_page, jupyter_lab, outside_requests
from iso20k.grading.parallel import autograde
from iso20k.settings import REPO_ROOT
from nbgrader_course import fill, new_course, submit

pytestmark = pytest.mark.slow
A = "key-personnel-assessment"
STUDENT = "E900"
ANSWER = "Written answer of E900: clause 8.5.1 requires approval before implementation; 3 of 20 changes had none."


def api(base: str, endpoint: str):
    request = urllib.request.Request(f"{base}{endpoint}", headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def trainer_lab(tmp_path_factory):
    """A course with only the key-personnel assessment, one submission with a written answer,
    autograded (the written task then waits for the trainer), and a trainer JupyterLab on it."""
    base = tmp_path_factory.mktemp("formgrader-browser")
    exams = base / "exams"
    exams.mkdir()
    shutil.copy(REPO_ROOT / "exams" / f"{A}.yaml", exams)
    course = new_course(base / "course", exams)
    release = json.loads((course / "release" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
    submit(course, A, STUDENT, fill(release, {}, written=ANSWER))
    summary = autograde(course, A, jobs=1, progress=False)
    assert summary.count("graded") == 1, summary.text()
    with jupyter_lab(course, base) as url:
        yield url


def test_a_written_task_is_graded_beside_its_answer_with_the_rubric_and_no_internet(trainer_lab):
    base = trainer_lab
    [submission] = api(base, f"/formgrader/api/submitted_notebooks/{A}/{A}")
    requests, console_errors = [], []
    with chromium_page() as page:
        def refuse_outside(route):
            if urllib.parse.urlsplit(route.request.url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                route.abort()

        page.route("**/*", refuse_outside)
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        page.on("pageerror", lambda e: console_errors.append(str(e)))

        for path in ("/formgrader/manage_assignments", f"/formgrader/gradebook/{A}/{A}"):
            page.goto(f"{base}{path}?token={TOKEN}", wait_until="networkidle")
        page.goto(f"{base}/formgrader/submissions/{submission['id']}/?token={TOKEN}", wait_until="networkidle")
        answer = page.locator(".iso20k-answer", has_text=ANSWER)  # labelled as the learner's
        score = page.locator("input.score#t1-task")
        answer_box, score_box = answer.bounding_box(), score.bounding_box()
        gap = score_box["y"] - (answer_box["y"] + answer_box["height"])
        assert 0 <= gap <= 60, f"the score box is {gap:.0f} px after the answer"

        rubric = page.locator(".iso20k-rubric")
        assert rubric.count() == 1 and rubric.is_visible()
        assert "Rubric (graders only)" in rubric.inner_text() and "8.5.1" in rubric.inner_text()
        style = rubric.evaluate("e => { const s = getComputedStyle(e); "
                                "return [parseFloat(s.borderLeftWidth), s.backgroundColor]; }")
        assert style[0] >= 4 and style[1] != "rgba(0, 0, 0, 0)", style  # drawn as a box
        rubric_box = rubric.bounding_box()
        assert score_box["y"] < rubric_box["y"] < score_box["y"] + 200  # beside the score it guides
        headings = page.locator("h1, h2, h3, h4, h5, h6").all_inner_texts()
        assert not [h for h in headings if "MARK SCHEME" in h or "Rubric" in h or "评分标准" in h], headings
        assert "MARK SCHEME" not in page.locator("body").inner_text()

        # MathJax came from the server, and formgrader's own script works: a score typed in the
        # box is saved in the gradebook
        page.wait_for_function("window.MathJax && MathJax.loaded === true", timeout=10_000)
        score.fill("7")
        score.press("Enter")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            grades = api(base, f"/formgrader/api/grades?submission_id={submission['id']}")
            task = [g for g in grades if g["name"] == "t1-task"]
            if task and task[0]["manual_score"] == 7:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the score typed in formgrader was not saved: {task}")

    assert requests and not outside_requests(requests), f"requests to the internet: {outside_requests(requests)}"
    assert any("/static/jupyter_server_mathjax/MathJax.js" in u for u in requests)
    assert not [e for e in console_errors if "MathJax" in e], console_errors
