"""``iso20k autograde``: grade a whole cohort's submissions side by side.

Each submission is prepared and run by a worker process of its own (memory cap, wall-time
limit, its own kernel); one broken submission never stops the batch.  Afterwards, nbgrader's
own ``autograde`` saves the grades in the grader process, taking each worker's run instead of
running the code again (``UseWorkerExecution``), so the gradebook gets exactly what serial
``nbgrader autograde`` would give it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from .limits import limited, stop_group

STATUSES = ("graded", "failed", "timed out", "out of memory")


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

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def tampered(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.tamper]

    def text(self) -> str:
        lines = [f"{self.assignment}: {len(self.outcomes)} submission(s) in {self.seconds:.1f}s — "
                 + ", ".join(f"{self.count(s)} {s}" for s in STATUSES) + f", {len(self.tampered)} tampered"]
        for o in self.outcomes:
            if o.status != "graded" or o.tamper:
                detail = "; ".join(o.problems + o.tamper)
                lines.append(f"  {o.student}: {o.status}{' (tampered)' if o.tamper else ''}: {detail}")
        return "\n".join(lines)


def submissions(root: Path, assignment: str) -> list[str]:
    base = Path(root) / "submitted"
    return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir()) if base.is_dir() else []


def nbgrader_env(extra: dict | None = None) -> dict:
    """Environment for nbgrader commands: this Python's bin folder first (nbgrader runs alembic)."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(extra or {})
    return env


def _run_worker(root: Path, assignment: str, student: str, out: Path, time_limit: int, memory_mb: int) -> Outcome:
    started = time.monotonic()
    cmd = [sys.executable, "-m", "iso20k.grading.worker", str(root), assignment, student, str(out)]
    proc = subprocess.Popen(cmd, cwd=root, env=nbgrader_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=limited(memory_mb))
    try:
        _, err = proc.communicate(timeout=time_limit)
    except subprocess.TimeoutExpired:
        stop_group(proc)
        shutil.rmtree(out / student, ignore_errors=True)
        return Outcome(student, "timed out", time.monotonic() - started,
                       problems=[f"stopped after the {time_limit}s limit"])
    report_file = out / f"{student}.json"
    if not report_file.exists():
        tail = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or ["no report"]
        status = "out of memory" if "MemoryError" in tail[0] else "failed"
        return Outcome(student, status, time.monotonic() - started, problems=[f"worker ended: {tail[0][:300]}"])
    report = json.loads(report_file.read_text(encoding="utf-8"))
    return Outcome(student, report["status"], time.monotonic() - started, report["tamper"], report["problems"])


def save_grades(root: Path, assignment: str, students: list[str], results: Path) -> dict[str, str]:
    """Run nbgrader's own autograde for ``students``, using the workers' runs.  Returns the
    students nbgrader could not grade, with the reason."""
    if not students:
        return {}
    everyone = submissions(root, assignment)
    exclude = ",".join(s for s in everyone if s not in students)
    cmd = [os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde", assignment, "--force"]
    if exclude:
        cmd.append(f"--CourseDirectory.student_id_exclude={exclude}")
    proc = subprocess.run(cmd, cwd=root, env=nbgrader_env({"ISO20K_WORKER_RESULTS": str(results)}),
                          capture_output=True, text=True)
    failed = {}
    for student in students:
        if not (Path(root) / "autograded" / student / assignment).is_dir():
            failed[student] = "nbgrader could not save grades: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:300]
    return failed


def record_ungraded(root: Path, assignment: str, students: list[str]) -> None:
    """Record submissions that could not be run, as nbgrader itself does for an unreadable file:
    the submission exists, its grades wait for a person (so it shows in formgrader)."""
    if not students:
        return
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc
    from traitlets.config import Config

    from .config import apply_course_config

    c = Config()
    apply_course_config(c, str(root))
    with Gradebook(c.CourseDirectory.db_url, c.CourseDirectory.course_id) as gb:
        for student in students:
            stamp = Path(root) / "submitted" / student / assignment / "timestamp.txt"
            timestamp = parse_utc(stamp.read_text().strip()) if stamp.exists() else None
            gb.update_or_create_student(student)
            if timestamp:
                gb.update_or_create_submission(assignment, student, timestamp=timestamp)
            else:
                gb.update_or_create_submission(assignment, student)


def autograde(root: Path, assignment: str, jobs: int = 0, time_limit: int = 600, memory_mb: int = 2048,
              progress: bool = True) -> Summary:
    root = Path(root).resolve()
    started = time.monotonic()
    students = submissions(root, assignment)
    jobs = jobs or os.cpu_count() or 1
    results = Path(tempfile.mkdtemp(prefix=f"iso20k-grade-{assignment}-"))
    outcomes: list[Outcome] = []
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool, \
                tqdm(total=len(students), desc=f"grading {assignment}", unit="submission", disable=not progress) as bar:
            futures = [pool.submit(_run_worker, root, assignment, s, results, time_limit, memory_mb) for s in students]
            for future in as_completed(futures):
                outcomes.append(future.result())
                bar.update(1)
        runnable = [o.student for o in outcomes if o.status in ("graded", "out of memory")]
        for student, reason in save_grades(root, assignment, runnable, results).items():
            outcome = next(o for o in outcomes if o.student == student)
            outcome.status, outcome.problems = "failed", outcome.problems + [reason]
        record_ungraded(root, assignment, [o.student for o in outcomes if o.status in ("failed", "timed out")])
    finally:
        shutil.rmtree(results, ignore_errors=True)
    outcomes.sort(key=lambda o: o.student)
    summary = Summary(assignment, outcomes, time.monotonic() - started)
    reports = root / "reports"
    reports.mkdir(exist_ok=True)
    summary.report_path = reports / f"{assignment}-autograde.json"
    summary.report_path.write_text(json.dumps(
        {"assignment": assignment, "seconds": summary.seconds, "jobs": jobs,
         "outcomes": [asdict(o) for o in outcomes]}, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary
