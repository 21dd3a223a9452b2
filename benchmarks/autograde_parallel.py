#!/usr/bin/env python
"""Benchmark: plain ``nbgrader autograde`` (serial, a kernel per submission) versus
``iso20k autograde`` (answers read as data, judged in process) on the same generated
all-staff-exam submissions, in one run, with the two gradebooks compared row by row.

    .venv/bin/python benchmarks/autograde_parallel.py [--sizes 40 200] [--jobs 0] [--target 10]

Exits non-zero when the gradebooks differ or the speed-up at the largest size is below --target.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from nbgrader_course import fill, nbgrader, new_course, submit  # noqa: E402

from iso20k.grading.exam_model import load_exam  # noqa: E402
from iso20k.grading.parallel import autograde  # noqa: E402

FORMS = (str.lower, str.upper, lambda s: " ".join(s), lambda s: s.translate({c: c + 0xFEE0 for c in range(65, 91)}))


def gradebook(course: Path) -> list[tuple]:
    """Every grade, comment and submission row autograde writes, without the random ids."""
    with sqlite3.connect(course / "gradebook.db") as db:
        grades = db.execute(
            "select s.student_id, c.name, g.auto_score, g.manual_score, g.needs_manual_grade from grade g "
            "join submitted_notebook n on g.notebook_id = n.id join submitted_assignment s on n.assignment_id = s.id "
            "join base_cell c on g.cell_id = c.id").fetchall()
        comments = db.execute(
            "select s.student_id, c.name, m.auto_comment from comment m join submitted_notebook n on m.notebook_id = n.id "
            "join submitted_assignment s on n.assignment_id = s.id join base_cell c on m.cell_id = c.id").fetchall()
        subs = db.execute("select student_id, timestamp from submitted_assignment").fetchall()
    return sorted(grades) + sorted(comments) + sorted(subs)


def measure(size: int, exams: Path, jobs: int, work: Path) -> tuple[float, float, bool, str]:
    exam = load_exam(exams / "all-staff-exam.yaml")
    serial = new_course(work / f"serial-{size}", exams)
    release = json.loads((serial / "release" / exam.assignment / f"{exam.assignment}.ipynb").read_text())
    rng = random.Random(20000 + size)
    for n in range(size):
        skill = rng.random()
        answers = {i.id: rng.choice(FORMS)(i.answer if rng.random() < 0.3 + 0.7 * skill else rng.choice("ABCD"))
                   for i in exam.items if i.kind == "choice"}
        submit(serial, exam.assignment, f"E{n:04d}", fill(release, answers))
    mine = work / f"iso20k-{size}"
    shutil.copytree(serial, mine)
    t0 = time.perf_counter()
    nbgrader(serial, "autograde", exam.assignment, "--force")
    t_serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = autograde(mine, exam.assignment, jobs=jobs, progress=False)
    t_mine = time.perf_counter() - t0
    same = gradebook(serial) == gradebook(mine)
    return t_serial, t_mine, same, f"{summary.count('graded')} graded, mode {summary.mode}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 200], help="numbers of submissions")
    parser.add_argument("--jobs", type=int, default=0, help="iso20k autograde --jobs (0 = one per CPU core)")
    parser.add_argument("--target", type=float, default=10.0, help="speed-up required at the largest size")
    parser.add_argument("--exams", type=Path, default=REPO / "exams", help="folder of exam definitions")
    args = parser.parse_args()

    print("method: the same generated all-staff-exam submissions (answers in upper, lower, spaced and "
          "full-width letters) graded by plain 'nbgrader autograde' (serial, one kernel each) and by "
          f"iso20k autograde (jobs={args.jobs or 'cores'}) in two copies of one course; wall time of each; "
          "gradebooks compared row by row (grades, comments, submissions)")
    work = Path(tempfile.mkdtemp(prefix="iso20k-bench-"))
    ok = True
    try:
        ratio = 0.0
        for size in args.sizes:
            t_serial, t_mine, same, detail = measure(size, args.exams, args.jobs, work)
            ratio = t_serial / t_mine
            ok &= same
            print(f"{size:5d} submissions: nbgrader autograde {t_serial:7.1f} s | iso20k autograde {t_mine:6.1f} s "
                  f"({detail}) | speed-up {ratio:5.1f}x | identical gradebooks: {same}", flush=True)
        if ratio < args.target:
            print(f"below the target: {ratio:.1f}x < {args.target:g}x at {args.sizes[-1]} submissions")
            ok = False
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
