"""The real nbgrader pipeline on a temporary course: serial ``nbgrader autograde`` and
``iso20k autograde`` on the same submissions, honest and broken, then feedback.  The exam is
answered with data, so iso20k reads the answers; the time and memory limits are tested on a
practical task, whose learners' code runs in the sandbox."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from iso20k.grading.parallel import autograde
from nbgrader_course import PRACTICAL, add_practical, fill, fill_practical, grades, nbgrader, new_course, submit

pytestmark = pytest.mark.slow
FIXTURE_EXAMS = Path(__file__).parent / "fixtures" / "exams"
A = "all-staff-exam"
RIGHT = {"q01": "b", "q02": "Ｄ", "q03": "B A D C"}  # lower case, full-width, spaces: all accepted


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    """Two identical courses with the same submissions: one graded serially by nbgrader's own
    autograde command (with the course's configuration), one by iso20k autograde."""
    base = tmp_path_factory.mktemp("grading")
    serial = new_course(base / "serial", FIXTURE_EXAMS)
    release = json.loads((serial / "release" / A / f"{A}.ipynb").read_text())
    tampered = fill(release, {"q01": "A", "q02": "D", "q03": "BADC"})
    for cell in tampered["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "q01-test":
            cell["source"] = "pass  # nothing to test here"
    deleted = fill(release, RIGHT)
    deleted["cells"] = [c for c in deleted["cells"]
                        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "q02-test"]
    submissions = {
        "all-right": fill(release, RIGHT, written="Clause 8.5.1 requires approval; CHG-101 had none."),
        "all-wrong": fill(release, {"q01": "A", "q02": "A", "q03": "ABCD"}),
        "partly": fill(release, {"q01": "B", "q02": "C", "q03": "ABCD"}),
        "tampered": tampered,
        "deleted-cell": deleted,
        "infinite-loop": fill(release, {"!q01": 'answer_q01 = "B"\nwhile True:\n    pass', "q02": "D", "q03": "BADC"}),
        "not-json": b"this is not a notebook {",
        "empty": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
    }
    for student, content in submissions.items():
        submit(serial, A, student, content)
    parallel = base / "parallel"
    shutil.copytree(serial, parallel)
    env = {"ISO20K_GRADING_CELL_TIMEOUT_S": "5"}
    nbgrader(serial, "autograde", A, "--force", env=env, check=False)  # exits 1: not-json cannot be graded
    import os
    os.environ["ISO20K_GRADING_CELL_TIMEOUT_S"] = "5"
    try:
        summary = autograde(parallel, A, jobs=2, time_limit=120, memory_mb=2048, progress=False)
    finally:
        del os.environ["ISO20K_GRADING_CELL_TIMEOUT_S"]
    return serial, parallel, summary


def by_student(summary):
    return {o.student: o for o in summary.outcomes}


def test_exact_scores(courses):
    _, parallel, _ = courses
    g = grades(parallel, A)
    auto = {s: {k: v[0] for k, v in items.items() if k != "t1-task"} for s, items in g.items()}
    assert auto["all-right"] == {"q01-test": 1.0, "q02-test": 1.0, "q03-test": 2.0}
    assert auto["all-wrong"] == {"q01-test": 0.0, "q02-test": 0.0, "q03-test": 0.0}
    assert auto["partly"] == {"q01-test": 1.0, "q02-test": 0.0, "q03-test": 0.0}
    assert auto["tampered"]["q01-test"] == 0.0  # the altered test was restored and run as written
    assert auto["infinite-loop"] == {"q01-test": 1.0, "q02-test": 1.0, "q03-test": 2.0}
    assert g["all-right"]["t1-task"] == (None, True)  # the written task waits for a person


def test_parallel_and_serial_gradebooks_are_identical(courses):
    """nbgrader's own autograde (the formgrader button) judges answers as iso20k autograde does."""
    serial, parallel, _ = courses
    mine, theirs = grades(parallel, A), grades(serial, A)
    assert mine == theirs
    # A deleted test is judged anyway (nbgrader's kernel path left it ungraded): each scores what its answers deserve.
    assert mine["deleted-cell"]["q02-test"] == (1.0, False)
    assert {k: v for k, v in mine["empty"].items() if k != "t1-task"} == {
        "q01-test": (0.0, False), "q02-test": (0.0, False), "q03-test": (0.0, False)}


def test_the_batch_completes_and_reports_every_kind_of_problem(courses):
    _, _, summary = courses
    outcome = by_student(summary)
    assert len(outcome) == 8
    assert outcome["not-json"].status == "failed" and "not a readable notebook" in outcome["not-json"].problems[0]
    assert {s for s, o in outcome.items() if o.status == "graded"} >= {"all-right", "all-wrong", "partly", "tampered",
                                                                        "deleted-cell", "infinite-loop"}
    assert outcome["tampered"].tamper == ["all-staff-exam: protected cell 'q01-test' was changed"]
    assert outcome["deleted-cell"].tamper == ["all-staff-exam: protected cell 'q02-test' was deleted"]
    assert any("line 2 is not an answer ('while True:')" in t for t in outcome["infinite-loop"].tamper)
    assert any("was deleted" in t for t in outcome["empty"].tamper)
    assert not outcome["all-right"].tamper and not outcome["partly"].tamper
    text = summary.text()
    assert "8 submission(s)" in text and "tampered" in text and "no learner code was run" in text
    report = json.loads(summary.report_path.read_text())
    assert {o["student"] for o in report["outcomes"]} == set(outcome)


def practical_course(serial: Path, folder: Path):
    course = folder
    shutil.copytree(serial, course, ignore=shutil.ignore_patterns("autograded", "feedback", "submitted", "reports"))
    add_practical(course)
    return course, json.loads((course / "release" / PRACTICAL / f"{PRACTICAL}.ipynb").read_text())


def test_a_submission_over_its_time_limit_is_stopped_and_the_rest_graded(courses, tmp_path, monkeypatch):
    serial, _, _ = courses
    monkeypatch.setenv("ISO20K_GRADING_CELL_TIMEOUT_S", "900")  # the submission's limit stops it, not the cell's
    course, release = practical_course(serial, tmp_path / "c")
    submit(course, PRACTICAL, "slow", fill_practical(release, 'import time\ntime.sleep(600)\nanswer_q01 = "B"', {}))
    submit(course, PRACTICAL, "quick", fill_practical(release, 'answer_q01 = "B"', RIGHT))
    summary = autograde(course, PRACTICAL, jobs=2, time_limit=30, memory_mb=2048, progress=False)
    assert summary.mode == "sandbox"
    outcome = by_student(summary)
    assert outcome["slow"].status == "timed out"
    assert outcome["quick"].status == "graded"
    assert grades(course, PRACTICAL)["quick"]["q03-test"] == (2.0, False)
    assert grades(course, PRACTICAL)["slow"]["q03-test"] == (None, True)  # recorded, left for the trainer


def test_feedback_never_shows_hidden_tests_or_rubrics(courses):
    _, parallel, _ = courses
    nbgrader(parallel, "generate_feedback", A, "--force", check=False)
    pages = list((parallel / "feedback").rglob("*.html"))
    assert len(pages) >= 6
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for secret in ("assert_key(answer_q01", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "requirement cited", "&#39;BADC&#39;", "'BADC'"):
            assert secret not in html, f"{page}: contains {secret!r}"
    right = (parallel / "feedback" / "all-right" / A / f"{A}.html").read_text(encoding="utf-8")
    assert "q03-test: passed" in right
    wrong = (parallel / "feedback" / "all-wrong" / A / f"{A}.html").read_text(encoding="utf-8")
    assert "q01-test: not passed" in wrong


def test_graders_see_the_rubric_learners_never_do(courses):
    serial, parallel, _ = courses
    graded = (parallel / "autograded" / "all-right" / A / f"{A}.ipynb").read_text(encoding="utf-8")
    assert "Rubric (graders only)" in graded and "requirement cited" in graded  # what formgrader shows
    for learner_copy in (serial / "release" / A / f"{A}.ipynb", serial / "submitted" / "all-right" / A / f"{A}.ipynb"):
        assert "requirement cited" not in learner_copy.read_text(encoding="utf-8")


def test_export_adds_track_pass_mark_and_result(courses, tmp_path):
    import csv

    _, parallel, _ = courses
    out = tmp_path / "grades.csv"
    nbgrader(parallel, "export", "--to", str(out))
    rows = {r["student_id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows["all-right"]["track"] == "all-staff" and rows["all-right"]["pass_mark"] == "0.65"
    assert rows["all-right"]["result"] == "awaiting grading"  # the written task is not marked yet


def test_item_analysis_reads_the_gradebook(courses):
    from iso20k.grading.item_analysis import analyse

    _, parallel, _ = courses
    stats = {s.item: s for s in analyse(f"sqlite:///{parallel / 'gradebook.db'}", A)}
    assert set(stats) == {"q01-test", "q02-test", "q03-test"}
    per_student = grades(parallel, A)
    q1 = [v["q01-test"][0] or 0 for v in per_student.values() if "q01-test" in v]
    assert stats["q01-test"].facility == pytest.approx(sum(q1) / len(q1))
    assert stats["q03-test"].discrimination is not None and stats["q03-test"].discrimination > 0


def test_a_submission_over_its_memory_limit_is_marked_and_the_rest_graded(courses, tmp_path):
    serial, _, _ = courses
    course, release = practical_course(serial, tmp_path / "m")
    submit(course, PRACTICAL, "greedy", fill_practical(release, 'hog = bytearray(3 * 1024 ** 3)\nanswer_q01 = "B"',
                                                       {"q02": "D", "q03": "BADC"}))
    submit(course, PRACTICAL, "modest", fill_practical(release, 'answer_q01 = "B"', RIGHT))
    summary = autograde(course, PRACTICAL, jobs=2, time_limit=120, memory_mb=1024, progress=False)
    outcome = by_student(summary)
    assert outcome["greedy"].status == "out of memory"
    assert outcome["modest"].status == "graded"
    g = grades(course, PRACTICAL)
    assert g["modest"]["q01-test"] == (1.0, False)
    assert g["greedy"]["q01-test"] == (0.0, False)  # the allocation failed before the answer was set
    assert g["greedy"]["q02-test"] == (1.0, False)  # the rest of the notebook still ran


def test_a_worker_that_breaks_gives_a_failed_outcome_with_the_reason_at_once(courses, tmp_path):
    """A worker whose pipe broke (here: closed under it) must not leave autograde waiting."""
    import time

    from iso20k.grading.parallel import Worker

    serial, _, _ = courses
    course, release = practical_course(serial, tmp_path / "w")
    submit(course, PRACTICAL, "someone", fill_practical(release, 'answer_q01 = "B"', RIGHT))
    out = tmp_path / "out"
    out.mkdir()
    worker = Worker(course, PRACTICAL, out, 1024)
    worker._start()
    worker.proc.stdin.close()
    started = time.monotonic()
    outcome = worker.run("someone", time_limit=600)
    assert time.monotonic() - started < 30
    assert outcome.status == "failed" and "the grading worker failed" in outcome.problems[0], outcome
    assert worker.proc is None  # stopped; the next submission gets a fresh worker
