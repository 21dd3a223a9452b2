"""The committed assessments: source/ matches exams/, release/ is exactly what nbgrader
generates from source/, and no answer key, hidden test or rubric reaches release/."""

from __future__ import annotations

import json
import shutil

import pytest

from iso20k.grading.build import build_sources
from iso20k.grading.exam_model import load_exams
from iso20k.settings import REPO_ROOT, Settings
from iso20k.tracks import ASSESSMENTS
from nbgrader_course import nbgrader

EXAMS = load_exams(REPO_ROOT / "exams")
BY_NAME = {e.assignment: e for e in EXAMS}


def test_one_assessment_per_track():
    assert set(BY_NAME) == set(ASSESSMENTS.values())


def test_all_staff_exam_follows_the_foundation_convention():
    exam = BY_NAME["all-staff-exam"]
    assert len(exam.items) == 40
    assert all(i.kind == "choice" and i.points == 1 for i in exam.items)
    assert Settings().pass_mark("all-staff") * exam.total_points == pytest.approx(26)


@pytest.mark.parametrize("name", ["key-personnel-assessment", "document-writing-assessment"])
def test_track_assessments_mix_auto_items_and_a_written_task(name):
    kinds = [i.kind for i in BY_NAME[name].items]
    assert kinds.count("written") == 1 and "order" in kinds and kinds.count("choice") >= 8


def test_source_notebooks_are_built_from_the_definitions():
    assert build_sources(REPO_ROOT / "exams", REPO_ROOT / "source", Settings(), check_only=True) == []


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    root = tmp_path_factory.mktemp("regen")
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(REPO_ROOT / "source", root / "source")
    for exam in EXAMS:
        nbgrader(root, "generate_assignment", exam.assignment, "--force")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_release_is_exactly_what_nbgrader_generates(regenerated, name):
    fresh = regenerated / "release" / name / f"{name}.ipynb"
    committed = REPO_ROOT / "release" / name / f"{name}.ipynb"
    assert committed.exists(), f"run: nbgrader generate_assignment {name} --force"
    assert json.loads(committed.read_text(encoding="utf-8")) == json.loads(fresh.read_text(encoding="utf-8")), \
        f"release/{name} is stale: run 'nbgrader generate_assignment {name} --force' and commit it"


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_release_reveals_no_key_hidden_test_or_rubric(name):
    text = (REPO_ROOT / "release" / name / f"{name}.ipynb").read_text(encoding="utf-8")
    for marker in ("BEGIN HIDDEN TESTS", "assert_key(answer", "BEGIN MARK SCHEME", "Rubric (graders only)"):
        assert marker not in text
    exam = BY_NAME[name]
    for item in exam.items:
        if item.rubric:
            for line in item.rubric.en.splitlines():
                if len(line.strip()) > 25:
                    assert line.strip() not in text
    sources = "".join("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "code")
    for item in exam.items:
        if item.answer:
            assert f"{item.answer!r})" not in sources


def test_answer_cells_start_empty_and_are_plain_to_fill(name="all-staff-exam"):
    nb = json.loads((REPO_ROOT / "release" / name / f"{name}.ipynb").read_text(encoding="utf-8"))
    answers = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).startswith("answer_")]
    assert len(answers) == 40
    assert all('= ""' in "".join(c["source"]) for c in answers)
