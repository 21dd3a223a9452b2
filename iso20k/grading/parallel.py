"""``iso20k autograde``: grade a whole cohort's submissions.

Assessments answered with data (every one in this course) are graded without running any
learner code: ``answer_grading.py``.  An assessment whose learners write code goes through the
sandbox path below: worker processes (one per job) prepare and run submissions exactly as
nbgrader would, each with a fresh kernel in the bubblewrap sandbox (``sandbox.py``), under a
memory cap; a submission that overruns its time limit has its worker stopped and replaced, and
one broken submission (or a worker that dies) never stops the batch.  As each run finishes,
nbgrader's own autograde saves its grades in this process (one submission at a time, taking the
worker's run instead of running the code again), so the gradebook gets exactly what serial
``nbgrader autograde`` would give it."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from .config import use_worker_results
from .course_folder import Course, load_course
from .environment import nbgrader_env, open_gradebook
from .limits import limited, stop_group
from .outcome import MODES, Outcome, Summary
from .sandbox import SandboxPolicy, require_sandbox

#: Statuses whose run is complete enough to save grades from (the rest of the notebook ran).
SAVED = ("graded", "out of memory", "too much output")
#: Seconds allowed, beyond a submission's time limit, for a worker to answer before it counts as dead.
GRACE_S = 30


def submissions(course: Course, assignment: str) -> list[str]:
    """Students with a submitted folder for ``assignment``, in order."""
    coursedir = course.coursedir()
    base = Path(coursedir.format_path(coursedir.submitted_directory, ".", ".")).resolve()
    return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir()) if base.is_dir() else []


class Worker:
    """One long-lived grading worker process (Python and nbgrader imported once)."""

    def __init__(self, root: Path, assignment: str, out: Path, memory_mb: int, sandbox_uid: int | None = None):
        self.args = (root, assignment, out, memory_mb)
        self.isolation = "none" if sandbox_uid is None else str(sandbox_uid)
        self.proc: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()

    def _start(self) -> None:
        root, assignment, out, memory_mb = self.args
        cmd = [sys.executable, "-m", "iso20k.grading.worker", str(root), assignment, str(out), self.isolation]
        # Working copies and kernel run folders go below ``out``, removed at the end of the batch
        # even when a worker had to be stopped.
        tmp = out / "tmp"
        tmp.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(cmd, cwd=root, env=nbgrader_env({"TMPDIR": str(tmp)}), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     preexec_fn=limited(memory_mb))
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()

    @staticmethod
    def _read(proc: subprocess.Popen, lines: queue.Queue) -> None:
        for line in proc.stdout:
            lines.put(line.strip())
        lines.put(None)  # the worker ended

    def run(self, student: str, time_limit: int) -> Outcome:
        """Grade one submission in this worker; never raises and never waits past the time limit."""
        started = time.monotonic()
        try:
            return self._run(student, time_limit, started)
        except Exception as exc:  # a broken pipe, an unreadable report: the worker is replaced
            self.stop()
            return Outcome(student, "failed", time.monotonic() - started,
                           problems=[f"the grading worker failed ({type(exc).__name__}: {exc})"[:300]])

    def _run(self, student: str, time_limit: int, started: float) -> Outcome:
        out = self.args[2]
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        self.proc.stdin.write(student + "\n")
        self.proc.stdin.flush()
        try:
            answer = self.lines.get(timeout=time_limit)
        except queue.Empty:
            self.stop()
            shutil.rmtree(out / student, ignore_errors=True)
            return Outcome(student, "timed out", time.monotonic() - started,
                           problems=[f"stopped after the {time_limit}s limit"])
        report_file = out / f"{student}.json"
        if answer != f"done {student}" or not report_file.exists():
            self.stop()
            return Outcome(student, "failed", time.monotonic() - started,
                           problems=["the grading worker ended unexpectedly"])
        report = json.loads(report_file.read_text(encoding="utf-8"))
        return Outcome(student, report["status"], time.monotonic() - started, report["tamper"], report["problems"])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_group(self.proc)
        self.proc = None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                stop_group(self.proc)


def record_ungraded(course: Course, assignment: str, students: list[str]) -> None:
    """Record submissions that could not be run, as nbgrader itself does for an unreadable file:
    the submission exists, its grades wait for a person (so it shows in formgrader)."""
    if not students:
        return
    from nbgrader.utils import parse_utc

    coursedir = course.coursedir()
    with open_gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for student in students:
            stamp = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment)) / "timestamp.txt"
            timestamp = parse_utc(stamp.read_text().strip()) if stamp.exists() else None
            gb.update_or_create_student(student)
            if timestamp:
                gb.update_or_create_submission(assignment, student, timestamp=timestamp)
            else:
                gb.update_or_create_submission(assignment, student)


def autograde(root: Path | None, assignment: str, jobs: int = 0, time_limit: int = 600, memory_mb: int = 2048,
              progress: bool = True, isolation: bool = True, sandbox: SandboxPolicy | None = None) -> Summary:
    """Grade every submission of ``assignment`` in the nbgrader course ``root`` (None: the course
    nbgrader finds in the current folder).  An assessment answered with data is judged without
    running learners' code.  Otherwise, with ``isolation`` (the default), learners' code runs in
    the sandbox, and SandboxUnavailable is raised, before anything is graded, if this machine
    cannot provide it.  ``sandbox`` defaults to the settings."""
    from .answer_grading import code_needed, grade_answers

    course = load_course(root)
    started = time.monotonic()
    students = submissions(course, assignment)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(students) or 1))
    if code_needed(course, assignment) is None:
        mode = "answers"
        outcomes = grade_answers(course, assignment, students, jobs=jobs, progress=progress)
    else:
        mode = "sandbox" if isolation else "unisolated"
        if isolation:
            sandbox = sandbox or SandboxPolicy.from_settings()
            require_sandbox(sandbox)
        outcomes = _grade_in_workers(course, assignment, students, jobs, time_limit, memory_mb, progress,
                                     sandbox if isolation else None)
    record_ungraded(course, assignment, [o.student for o in outcomes if o.status in ("failed", "timed out")])
    outcomes.sort(key=lambda o: o.student)
    summary = Summary(assignment, outcomes, time.monotonic() - started, isolated=mode != "unisolated", mode=mode)
    reports = course.root / "reports"
    reports.mkdir(exist_ok=True)
    summary.report_path = reports / f"{assignment}-autograde.json"
    summary.report_path.write_text(json.dumps(
        {"assignment": assignment, "seconds": summary.seconds, "jobs": jobs, "mode": mode,
         "isolation": "bubblewrap" if mode == "sandbox" else MODES[mode],
         "outcomes": [asdict(o) for o in outcomes]}, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def _grade_in_workers(course: Course, assignment: str, students: list[str], jobs: int, time_limit: int,
                      memory_mb: int, progress: bool, sandbox: SandboxPolicy | None) -> list[Outcome]:
    """The sandbox path: run submissions in worker processes, save grades here as each finishes."""
    from .saver import GradeSaver

    root = course.root
    results = Path(tempfile.mkdtemp(prefix=f"iso20k-grade-{assignment}-"))
    todo: queue.Queue = queue.Queue()
    for student in students:
        todo.put(student)
    ran: queue.Queue = queue.Queue()
    outcomes: list[Outcome] = []

    def work(slot: int) -> None:
        # One user id per job: a fork bomb in one submission cannot use up another's process limit.
        worker = Worker(root, assignment, results, memory_mb, None if sandbox is None else sandbox.uid + slot)
        try:
            while True:
                try:
                    student = todo.get_nowait()
                except queue.Empty:
                    return
                ran.put(worker.run(student, time_limit))
        finally:
            worker.close()

    threads = [threading.Thread(target=work, args=(slot,), daemon=True) for slot in range(jobs)]
    try:
        for t in threads:
            t.start()
        config = course.config.copy()
        use_worker_results(config, str(results))
        saver = GradeSaver(course, assignment, config)
        waiting = set(students)
        with tqdm(total=len(students), desc=f"grading {assignment}", unit="submission", disable=not progress) as bar:
            while waiting:
                try:
                    outcome = ran.get(timeout=time_limit + GRACE_S)
                except queue.Empty:
                    if any(t.is_alive() for t in threads):
                        continue  # every worker stops its submission at the time limit; none is stuck
                    break  # every worker thread ended: nothing more will come
                waiting.discard(outcome.student)
                if outcome.status in SAVED:
                    reason = saver.save(outcome.student)
                    if reason:
                        outcome.status, outcome.problems = "failed", outcome.problems + [reason]
                outcomes.append(outcome)
                bar.update(1)
        for student in sorted(waiting):
            outcomes.append(Outcome(student, "failed", 0.0, problems=["no grading worker was left to grade it"]))
        for t in threads:
            t.join(timeout=GRACE_S)
    finally:
        shutil.rmtree(results, ignore_errors=True)
    return outcomes
