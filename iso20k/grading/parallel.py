"""``iso20k autograde``: grade a whole cohort's submissions side by side.

Worker processes (one per job) prepare and run submissions exactly as nbgrader would, each
with a fresh kernel, under a memory cap; a submission that overruns its time limit has its
worker stopped and replaced, and one broken submission never stops the batch.  As each run
finishes, nbgrader's own autograde saves its grades in this process (one submission at a time,
taking the worker's run instead of running the code again), so the gradebook gets exactly what
serial ``nbgrader autograde`` would give it.  Learners' code runs in the grading sandbox
(``sandbox.py``) unless the trainer explicitly grades without isolation."""

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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from .config import course_config
from .environment import ensure_bin_on_path, nbgrader_env, open_gradebook
from .limits import limited, stop_group
from .sandbox import SandboxPolicy, require_sandbox

STATUSES = ("graded", "failed", "timed out", "out of memory", "too much output")
#: Statuses whose run is complete enough to save grades from (the rest of the notebook ran).
SAVED = ("graded", "out of memory", "too much output")
WITHOUT_ISOLATION = ("WITHOUT ISOLATION: learners' code ran with the grader's rights and could read and "
                     "change the course folder and gradebook (--without-isolation)")


@dataclass
class Outcome:
    student: str
    status: str
    seconds: float
    tamper: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Summary:
    assignment: str
    outcomes: list[Outcome]
    seconds: float
    report_path: Path | None = None
    isolated: bool = True

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def tampered(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.tamper]

    def text(self) -> str:
        lines = [f"{self.assignment}: {len(self.outcomes)} submission(s) in {self.seconds:.1f}s — "
                 + ", ".join(f"{self.count(s)} {s}" for s in STATUSES) + f", {len(self.tampered)} tampered"]
        if not self.isolated:
            lines.append("  " + WITHOUT_ISOLATION)
        for o in self.outcomes:
            if o.status != "graded" or o.tamper or o.problems:
                detail = "; ".join(o.problems + o.tamper)
                lines.append(f"  {o.student}: {o.status}{' (tampered)' if o.tamper else ''}: {detail}")
        return "\n".join(lines)


def submissions(root: Path, assignment: str) -> list[str]:
    base = Path(root) / "submitted"
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
        root, assignment, out, _ = self.args
        started = time.monotonic()
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


class GradeSaver:
    """Saves grades with nbgrader's own Autograde converter, one submission at a time."""

    def __init__(self, root: Path, assignment: str, results: Path):
        from nbgrader.apps.api import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        ensure_bin_on_path()  # nbgrader may run alembic
        config = course_config(root, worker_results=str(results))
        self.assignment = assignment
        self.api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        self.root = root

    def save(self, student: str) -> str | None:
        """None when saved, else why not."""
        import warnings

        with warnings.catch_warnings():
            # nbgrader's own gradebook code triggers SQLAlchemy autoflush warnings; they are noise here.
            warnings.simplefilter("ignore")
            result = self.api.autograde(self.assignment, student, force=True, create=True)
        if result.get("success") and (Path(self.root) / "autograded" / student / self.assignment).is_dir():
            return None
        log = (result.get("log") or result.get("error") or "").strip().splitlines()
        errors = [line for line in log if "ERROR" in line] or log or ["unknown error"]
        return "nbgrader could not save grades: " + errors[-1][:300]


def record_ungraded(root: Path, assignment: str, students: list[str]) -> None:
    """Record submissions that could not be run, as nbgrader itself does for an unreadable file:
    the submission exists, its grades wait for a person (so it shows in formgrader)."""
    if not students:
        return
    from nbgrader.utils import parse_utc

    c = course_config(root)
    with open_gradebook(c.CourseDirectory.db_url, c.CourseDirectory.course_id) as gb:
        for student in students:
            stamp = Path(root) / "submitted" / student / assignment / "timestamp.txt"
            timestamp = parse_utc(stamp.read_text().strip()) if stamp.exists() else None
            gb.update_or_create_student(student)
            if timestamp:
                gb.update_or_create_submission(assignment, student, timestamp=timestamp)
            else:
                gb.update_or_create_submission(assignment, student)


def autograde(root: Path, assignment: str, jobs: int = 0, time_limit: int = 600, memory_mb: int = 2048,
              progress: bool = True, isolation: bool = True, sandbox: SandboxPolicy | None = None) -> Summary:
    """Grade every submission of ``assignment``.  With ``isolation`` (the default) learners' code
    runs in the sandbox, and SandboxUnavailable is raised, before anything is graded, if this
    machine cannot provide it.  ``sandbox`` defaults to the settings."""
    root = Path(root).resolve()
    if isolation:
        sandbox = sandbox or SandboxPolicy.from_settings()
        require_sandbox(sandbox)
    started = time.monotonic()
    students = submissions(root, assignment)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(students) or 1))
    results = Path(tempfile.mkdtemp(prefix=f"iso20k-grade-{assignment}-"))
    todo: queue.Queue = queue.Queue()
    for student in students:
        todo.put(student)
    ran: queue.Queue = queue.Queue()
    outcomes: list[Outcome] = []

    def work(slot: int) -> None:
        # One user id per job: a fork bomb in one submission cannot use up another's process limit.
        worker = Worker(root, assignment, results, memory_mb, sandbox.uid + slot if isolation else None)
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
        saver = GradeSaver(root, assignment, results)
        with tqdm(total=len(students), desc=f"grading {assignment}", unit="submission", disable=not progress) as bar:
            for _ in students:
                outcome = ran.get()
                if outcome.status in SAVED:
                    reason = saver.save(outcome.student)
                    if reason:
                        outcome.status, outcome.problems = "failed", outcome.problems + [reason]
                outcomes.append(outcome)
                bar.update(1)
        for t in threads:
            t.join()
        record_ungraded(root, assignment, [o.student for o in outcomes if o.status in ("failed", "timed out")])
    finally:
        shutil.rmtree(results, ignore_errors=True)
    outcomes.sort(key=lambda o: o.student)
    summary = Summary(assignment, outcomes, time.monotonic() - started, isolated=isolation)
    reports = root / "reports"
    reports.mkdir(exist_ok=True)
    summary.report_path = reports / f"{assignment}-autograde.json"
    summary.report_path.write_text(json.dumps(
        {"assignment": assignment, "seconds": summary.seconds, "jobs": jobs,
         "isolation": "bubblewrap" if isolation else "none (--without-isolation)",
         "outcomes": [asdict(o) for o in outcomes]}, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary
