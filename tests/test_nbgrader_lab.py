"""The whole loop through nbgrader's JupyterLab extensions on a real server: formgrader lists the
assessments, a learner fetches one from the Assignment List, fills it in, validates and submits;
the trainer collects and autogrades it."""

from __future__ import annotations

import getpass
import json
import urllib.parse
import urllib.request

import pytest

from browser import TOKEN, jupyter_lab
from iso20k.grading.exam_model import load_exam
from iso20k.grading.parallel import autograde
from iso20k.settings import REPO_ROOT
from nbgrader_course import grades, nbgrader, new_course

pytestmark = pytest.mark.slow
A = "all-staff-exam"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    base = tmp_path_factory.mktemp("nbg-lab")
    course = new_course(base / "course", REPO_ROOT / "exams")
    nbgrader(course, "release_assignment", A)
    with jupyter_lab(course, base) as url:
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


def test_learner_fetches_validates_submits_and_is_graded(lab):
    base, course = lab
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

    exam = load_exam(REPO_ROOT / "exams" / f"{A}.yaml")
    nb = json.loads(fetched.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        for item in exam.items:
            if src.startswith(f'answer_{item.id} = ""'):
                cell["source"] = f'answer_{item.id} = "{item.answer.lower()}"'
    fetched.write_text(json.dumps(nb), encoding="utf-8")

    value = validate()
    assert not value.get("failed") and not value.get("changed"), value

    call(base, "/assignments/submit", "POST", assignment_id=A, course_id="iso20k")
    nbgrader(course, "collect", A)
    learner = getpass.getuser()
    assert (course / "submitted" / learner / A / f"{A}.ipynb").exists()
    summary = autograde(course, A, jobs=1, progress=False)
    assert summary.count("graded") == 1 and not summary.tampered, summary.text()
    scores = grades(course, A)[learner]
    assert sum(score for score, _ in scores.values()) == 40
