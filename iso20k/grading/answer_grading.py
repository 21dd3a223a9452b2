"""Grade an assessment answered with data: no kernel, no learner code, nbgrader's own autograde.

For every submission, nbgrader's Autograde runs in this process with the answer-judging pipeline
(``config.use_answer_judging``): it copies the submission to ``autograded/``, restores protected
cells, takes the answers as data, judges them with the course's own test code and saves the
grades in its gradebook.  Submissions are graded one after another, in student order, so the
same submissions always give the same gradebook and the same report."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

from .course_folder import Course
from .outcome import Outcome


def code_needed(course: Course, assignment: str) -> str | None:
    """None when every notebook of ``assignment`` can be judged from its answers alone, else why
    learners' code has to run (then it is graded in the sandbox)."""
    from .answer_preprocessors import trusted_notebook

    coursedir = course.coursedir()
    release = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    notebooks = sorted(release.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"{release}: no notebooks; run 'nbgrader generate_assignment {assignment}' first")
    reasons = []
    for path in notebooks:
        resources = {"nbgrader": {"db_url": course.db_url, "assignment": assignment, "notebook": path.stem}}
        trusted = trusted_notebook(course.config, resources)
        if trusted.needs_code:
            reasons.append(f"{path.stem}: {trusted.needs_code}")
    return "; ".join(reasons) or None


def unreadable_notebook(path: Path) -> str | None:
    """Why a submitted notebook cannot be graded at all, or None (a missing one scores zero)."""
    import nbformat

    if not path.exists():
        return None
    try:
        nbformat.read(path, as_version=4)
    except Exception as exc:  # not JSON, not a notebook: reported, never fatal for the batch
        return f"{path.name} is not a readable notebook ({type(exc).__name__}: {exc})"[:300]
    return None


def _findings(results: Path, student: str, notebooks: list[str]) -> tuple[list[str], list[str]]:
    tamper, problems = [], []
    for name in notebooks:
        path = results / student / f"{name}.json"
        if not path.exists():
            continue
        record = json.loads(path.read_text(encoding="utf-8"))
        tamper += [f"{name}: {f}" for f in record.get("findings", record.get("protected", []))]
    return tamper, problems


def grade_answers(course: Course, assignment: str, students: list[str], progress: bool = True) -> list[Outcome]:
    """Grade ``students``' submissions of ``assignment``; one Outcome each, in the same order."""
    from .config import use_answer_judging
    from .saver import GradeSaver

    coursedir = course.coursedir()
    release = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    notebooks = sorted(p.stem for p in release.glob("*.ipynb"))
    results = Path(tempfile.mkdtemp(prefix=f"iso20k-answers-{assignment}-"))
    outcomes = []
    try:
        config = course.config.copy()
        use_answer_judging(config, str(results))
        saver = GradeSaver(course, assignment, config)
        for student in tqdm(students, desc=f"grading {assignment}", unit="submission", disable=not progress):
            started = time.monotonic()
            submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
            unreadable = [problem for name in notebooks if (problem := unreadable_notebook(submitted / f"{name}.ipynb"))]
            reason = unreadable[0] if unreadable else saver.save(student)
            tamper, problems = _findings(results, student, notebooks)
            problems += [f"{name}.ipynb was not submitted" for name in notebooks
                         if not (submitted / f"{name}.ipynb").exists()]
            if reason:
                problems.insert(0, reason)
            outcomes.append(Outcome(student, "failed" if reason else "graded", time.monotonic() - started,
                                    tamper, problems))
    finally:
        shutil.rmtree(results, ignore_errors=True)
    return outcomes
