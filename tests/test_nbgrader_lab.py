"""The whole loop through nbgrader's JupyterLab extensions on a real server: formgrader lists the
assessments, a learner fetches one from the Assignment List, fills it in, validates and submits;
the trainer collects and autogrades it.  A written task is graded in formgrader's grading view in
headless Chromium: the score box comes right after the learner's answer, the rubric is a box for
the trainer (not headings), MathJax loads from the server itself, and neither formgrader's pages
nor the feedback page ask any host but the server (requests are recorded; others are refused)."""

from __future__ import annotations

import getpass
import json
import re
import time
import urllib.parse
import urllib.request

import pytest

from browser import LOCAL_HOSTS, TOKEN, chromium_page, jupyter_lab, outside_requests
from form_answers import answer_form, sit
from iso20k.grading.parallel import autograde
from iso20k.settings import REPO_ROOT
from nbgrader_course import fill, grades, nbgrader, new_course, submit

pytestmark = pytest.mark.slow
A = "all-staff-exam"
W = "key-personnel-assessment"  # with a written task
STUDENT = "E900"
ANSWER = "Written answer of E900: clause 8.5.1 requires approval before implementation; 3 of 20 changes had none."


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    base = tmp_path_factory.mktemp("nbg-lab")
    course = new_course(base / "course", REPO_ROOT / "exams")
    nbgrader(course, "release_assignment", A)
    # the learner's fetch records the start of the sitting in this data folder; the grader reads it there
    with jupyter_lab(course, base, {"ISO20K_DATA_DIR": str(base / "data")}) as url:
        yield url, course


def call(base: str, endpoint: str, method: str = "GET", **params) -> tuple[int, str]:
    url = f"{base}{endpoint}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None,
                                     headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, response.read().decode("utf-8")


def test_formgrader_lists_the_assessments(lab):
    base, _ = lab
    status, page = call(base, "/formgrader")
    assert status == 200 and "formgrader" in page.lower()
    _, body = call(base, "/formgrader/api/assignments")
    names = {a["name"] for a in json.loads(body)}
    assert names >= {"all-staff-exam", "key-personnel-assessment", "document-writing-assessment"}


def test_learner_fetches_validates_submits_and_is_graded(lab, monkeypatch):
    base, course = lab
    monkeypatch.setenv("ISO20K_DATA_DIR", str(course.parent / "data"))  # the lab's: where the sitting is
    _, body = call(base, "/assignments", course_id="iso20k")
    listed = json.loads(body)
    assert listed["success"] and any(a["assignment_id"] == A and a["status"] == "released" for a in listed["value"])

    call(base, "/assignments/fetch", "POST", assignment_id=A, course_id="iso20k")
    [fetched] = [p for p in course.glob(f"**/{A}/{A}.ipynb")
                 if not {"release", "source", "exchange"} & set(p.relative_to(course).parts)]
    def validate() -> dict:
        _, body = call(base, "/assignments/validate", "POST", path=str(fetched.relative_to(course)))
        result = json.loads(body)
        assert result["success"], result
        return json.loads(result["value"]) if isinstance(result["value"], str) else result["value"]

    assert len(validate()["failed"]) == 40  # nothing filled in yet: every format check fails

    nb = json.loads(fetched.read_text(encoding="utf-8"))
    answers = answer_form(nb, course, A, "right", lower=True)  # the learner's own form, every answer right
    assert answers.total == 40
    fetched.write_text(json.dumps(fill(nb, answers.texts)), encoding="utf-8")

    value = validate()
    assert not value.get("failed") and not value.get("changed"), value

    call(base, "/assignments/submit", "POST", assignment_id=A, course_id="iso20k")
    nbgrader(course, "collect", A)
    learner = getpass.getuser()
    assert (course / "submitted" / learner / A / f"{A}.ipynb").exists()
    summary = autograde(course, A, jobs=1, progress=False)
    assert summary.count("graded") == 1 and not summary.tampered, summary.text()
    scores = grades(course, A)[learner]
    assert sum(score for score, _ in scores.values()) == answers.points == 40


@pytest.fixture(scope="module")
def written_submission(lab):
    """A key-personnel hand-in with a written answer, autograded: its written task waits for the
    trainer."""
    _, course = lab
    release = json.loads((course / "release" / W / f"{W}.ipynb").read_text(encoding="utf-8"))
    submit(course, W, STUDENT, fill(sit(release, course, W, STUDENT), {}, written=ANSWER))
    summary = autograde(course, W, jobs=1, progress=False)
    assert summary.count("graded") == 1, summary.text()


def api(base: str, endpoint: str):
    return json.loads(call(base, endpoint)[1])


def test_a_written_task_is_graded_beside_its_answer_with_the_rubric_and_no_internet(lab, written_submission):
    base, _ = lab
    [submission] = api(base, f"/formgrader/api/submitted_notebooks/{W}/{W}")
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

        for path in ("/formgrader/manage_assignments", f"/formgrader/manage_submissions/{W}", "/formgrader/gradebook",
                     f"/formgrader/gradebook/{W}/{W}", "/formgrader/manage_students", f"/formgrader/manage_students/{STUDENT}"):
            page.goto(f"{base}{path}?token={TOKEN}", wait_until="networkidle")
        page.goto(f"{base}/formgrader/submissions/{submission['id']}/?token={TOKEN}", wait_until="networkidle")
        answer = page.locator(".iso20k-answer", has_text=ANSWER)  # labelled as the learner's
        assert page.locator(".nbgrader_cell .nbgrader-label", has_text="Score and rubric").count() == 1
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


def test_the_feedback_page_asks_no_host_on_the_internet(lab, written_submission):
    """Feedback pages are static files a learner opens from their folder: MathJax is off there
    (no server address is known, no maths in the course), so they load nothing from outside."""
    base, course = lab
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from iso20k.grading.config import course_config

    config = course_config(course)  # what nbgrader_config.py gives nbgrader's own commands
    result = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config).generate_feedback(W, STUDENT, force=True)
    assert result["success"], result
    html = f"/files/feedback/{STUDENT}/{W}/{W}.html"
    with chromium_page() as page:  # fails on any request to the internet
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{base}{html}?token={TOKEN}", wait_until="networkidle")
        assert ANSWER in page.locator("body").inner_text()
        assert "Rubric (graders only)" not in page.locator("body").inner_text()
    assert requests and not outside_requests(requests)
    text = (course / html.removeprefix("/files/")).read_text(encoding="utf-8")
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', text)
