"""Grade an assessment answered with data: no kernel, no learner code, nbgrader's own autograde.

For every submission, nbgrader's Autograde runs with the answer-judging pipeline
(``config.use_answer_judging``): it copies the submission to ``autograded/``, restores protected
cells, takes the answers as data, judges them with the course's own test code and saves the
grades in its gradebook.  A large cohort is split between a few processes (``jobs``), each
grading its share one submission after another; a student's grades depend only on their own
submission, so the same submissions always give the same gradebook and the same report.

    python -m iso20k.grading.answer_grading COURSE_FOLDER ASSIGNMENT   (students on stdin;
    one JSON outcome per line on stdout)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from .course_folder import Course, load_course
from .outcome import Outcome

#: Submissions per process below which a cohort is graded in this process alone.
PER_PROCESS = 10
#: Seconds a grading process may take per submission before it is stopped (it needs well under one).
SECONDS_EACH = 60


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


def _findings(results: Path, student: str, notebooks: list[str]) -> list[str]:
    """What the answer-judging pipeline found in a student's notebooks, each line naming its notebook."""
    tamper = []
    for name in notebooks:
        path = results / student / f"{name}.json"
        if not path.exists():
            continue
        record = json.loads(path.read_text(encoding="utf-8"))
        tamper += [f"{name}: {f}" for f in record.get("findings", record.get("protected", []))]
    return tamper


def _late(results: Path, student: str, notebooks: list[str]) -> list[str]:
    """The time-limit notes of a student's hand-in (a timed per-learner form handed in late)."""
    notes = []
    for name in notebooks:
        path = results / student / f"{name}.json"
        if path.exists():
            notes += json.loads(path.read_text(encoding="utf-8")).get("late", [])
    return list(dict.fromkeys(notes))


def grade_answers(course: Course, assignment: str, students: list[str], jobs: int = 1,
                  progress: bool = True) -> list[Outcome]:
    """Grade ``students``' submissions of ``assignment``, in up to ``jobs`` processes; one Outcome each."""
    processes = min(jobs, len(students) // PER_PROCESS)
    if processes <= 1:
        return grade_here(course, assignment, students, progress)
    shares = [students[i::processes] for i in range(processes)]
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    with tqdm(total=len(students), desc=f"grading {assignment}", unit="submission", disable=not progress) as bar:
        def run(share: list[str]) -> None:
            got = grade_elsewhere(course, assignment, share)
            with lock:
                outcomes.extend(got)
                bar.update(len(got))

        threads = [threading.Thread(target=run, args=(share,)) for share in shares]
        for t in threads:
            t.start()
        for t in threads:
            t.join()  # grade_elsewhere never waits past its own time limit
    return outcomes


def grade_elsewhere(course: Course, assignment: str, students: list[str]) -> list[Outcome]:
    """Grade ``students`` in a process of its own; every wait is bounded, and a process that dies
    or overruns gives each of its submissions not yet graded a failed outcome with the reason."""
    from .environment import nbgrader_env

    cmd = [sys.executable, "-m", "iso20k.grading.answer_grading", str(course.folder), assignment]
    limit = 60 + SECONDS_EACH * len(students)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=course.folder, env=nbgrader_env())
    try:
        out, err = proc.communicate("\n".join(students) + "\n", timeout=limit)
        why = None if proc.returncode == 0 else f"the grading process ended with status {proc.returncode}: " + \
            ((err or "").strip().splitlines() or ["no message"])[-1][:200]
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        why = f"the grading process was stopped after {limit}s"
    outcomes = []
    for line in (out or "").splitlines():
        try:
            outcomes.append(Outcome(**json.loads(line)))
        except (ValueError, TypeError):
            continue  # half a line from a process that died: that submission counts as failed below
    done = {o.student for o in outcomes}
    outcomes += [Outcome(s, "failed", 0.0, problems=[why or "the grading process gave no result"])
                 for s in students if s not in done]
    return outcomes


def grade_here(course: Course, assignment: str, students: list[str], progress: bool = True,
               report=None) -> list[Outcome]:
    """Grade ``students``' submissions of ``assignment`` in this process, one after another."""
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
        if course.db_url.startswith("sqlite:") and "?" not in course.db_url:
            # Several grading processes may write the gradebook at once: wait for each other's
            # (short) transactions instead of failing.
            config.CourseDirectory.db_url = course.db_url + "?timeout=120"
        saver = GradeSaver(course, assignment, config)
        for student in tqdm(students, desc=f"grading {assignment}", unit="submission", disable=not progress):
            started = time.monotonic()
            submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
            unreadable = [problem for name in notebooks if (problem := unreadable_notebook(submitted / f"{name}.ipynb"))]
            reason = unreadable[0] if unreadable else saver.save(student)
            tamper = _findings(results, student, notebooks)
            problems = [f"{name}.ipynb was not submitted" for name in notebooks
                         if not (submitted / f"{name}.ipynb").exists()] + _late(results, student, notebooks)
            if reason:
                problems.insert(0, reason)
            outcomes.append(Outcome(student, "failed" if reason else "graded", time.monotonic() - started,
                                    tamper, problems))
            if report is not None:
                report(outcomes[-1])
    finally:
        shutil.rmtree(results, ignore_errors=True)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    folder, assignment = (argv or sys.argv[1:])[:2]
    students = [line.strip() for line in sys.stdin if line.strip()]
    # Outcomes go to a private copy of stdout: nothing else this process prints can pass for one.
    answers = open(os.dup(1), "w", buffering=1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)

    def report(outcome: Outcome) -> None:
        print(json.dumps(asdict(outcome), ensure_ascii=False), file=answers, flush=True)

    grade_here(load_course(folder), assignment, students, progress=False, report=report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
