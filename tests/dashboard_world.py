"""A demo company in temporary folders (progress store + real nbgrader course), a real Voila
dashboard serving it, and an independent reading of the same databases to check the page."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from browser import free_port, stop, wait_for_http
from iso20k.grading.build import build_sources
from iso20k.settings import REPO_ROOT, Settings

ISO20K = str(Path(sys.executable).with_name("iso20k"))
PASS = {"all-staff": 0.65, "key-personnel": 0.70, "document-writing": 0.70}
ASSIGNMENT_TRACK = {"all-staff-exam": "all-staff", "key-personnel-assessment": "key-personnel",
                    "document-writing-assessment": "document-writing"}


def make_world(base: Path, employees: int = 80, departments: int = 5, autograde_count: int = 2,
               force: bool = False, certificates: bool = True):
    """Folders and settings of a demo company built by the real ``build_demo``."""
    from iso20k.demo import build_demo

    course = base / "course"
    course.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    env = {"ISO20K_DATA_DIR": str(base / "data"), "ISO20K_COURSE_ROOT": str(course)}
    settings = Settings(data_dir=base / "data", course_root=course)
    build_sources(settings.exams_dir, course / "source", settings)
    summary = build_demo(settings, employees=employees, departments=departments,
                         autograde_count=autograde_count, progress=False, force=force, certificates=certificates)
    return settings, env, summary


def database_files(settings: Settings) -> list[Path]:
    return [Path(settings.data_dir) / "progress.sqlite", Path(settings.course_root) / "gradebook.db"]


def fingerprint(settings: Settings) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in database_files(settings)}


@contextmanager
def dashboard(env: dict, log_path: Path, extra: tuple = ()):
    """``iso20k dashboard`` as a real process; yields its base URL once its kernel pool is ready."""
    import os

    port = free_port()
    full_env = {**os.environ, **env}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([ISO20K, "dashboard", "--port", str(port), *extra], env=full_env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}/"
            wait_for_http(base + "voila/static/voila.js", proc)  # static: does not use up a kernel
            deadline = time.monotonic() + 90
            while "page prepared" not in log_path.read_text() and time.monotonic() < deadline:
                time.sleep(0.3)
            yield base
        finally:
            stop(proc)


def expected_table(settings: Settings, today: date) -> dict[str, dict]:
    """Department -> {employees, track -> (required, trained, overdue)}, read with plain SQL,
    without the dashboard's code: the figures the page must show."""
    progress = sqlite3.connect(f"file:{Path(settings.data_dir) / 'progress.sqlite'}?mode=ro", uri=True)
    grades = sqlite3.connect(f"file:{Path(settings.course_root) / 'gradebook.db'}?mode=ro", uri=True)
    max_score = dict(grades.execute("""
        SELECT a.name, SUM(c.max_score) FROM assignment a JOIN notebook n ON n.assignment_id = a.id
        JOIN base_cell b ON b.notebook_id = n.id
        JOIN (SELECT id, max_score FROM grade_cells UNION ALL SELECT id, max_score FROM task_cells) c ON c.id = b.id
        GROUP BY a.name"""))
    results = {}
    for name, student, stamp, score, manual in grades.execute("""
            SELECT a.name, s.student_id, s.timestamp, SUM(COALESCE(g.manual_score, g.auto_score, 0)),
                   MAX(g.needs_manual_grade)
            FROM submitted_assignment s JOIN assignment a ON a.id = s.assignment_id
            JOIN submitted_notebook n ON n.assignment_id = s.id JOIN grade g ON g.notebook_id = n.id
            GROUP BY s.id"""):
        results[(student, ASSIGNMENT_TRACK[name])] = (datetime.fromisoformat(stamp[:19]).date(),
                                                      score, bool(manual), max_score[name])
    table: dict[str, dict] = defaultdict(lambda: {"employees": 0})
    people = progress.execute("SELECT employee_id, department FROM employees WHERE active").fetchall()
    due = defaultdict(dict)
    for eid, track, day in progress.execute("SELECT employee_id, track, due_date FROM enrolments"):
        due[eid][track] = date.fromisoformat(day) if day else None
    for eid, dept in people:
        row = table[dept]
        row["employees"] += 1
        for track, day in due[eid].items():
            required, trained, overdue = row.get(track, (0, 0, 0))
            result = results.get((eid, track))
            passed = bool(result and not result[2] and result[1] >= PASS[track] * result[3] - 1e-9)
            waiting_on_time = bool(result and result[2] and (day is None or result[0] <= day))
            late = day is not None and day < today and not passed and not waiting_on_time
            row[track] = (required + 1, trained + passed, overdue + late)
    return dict(table)
