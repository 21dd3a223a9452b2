#!/usr/bin/env python
"""Benchmark: plain ``nbgrader autograde`` versus ``iso20k autograde --jobs N`` on the same
generated all-staff-exam submissions, in one run, with the gradebooks compared.

    .venv/bin/python benchmarks/autograde_parallel.py [--submissions 40] [--jobs 2] [--without-isolation]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from nbgrader_course import fill, grades, nbgrader, new_course, submit  # noqa: E402

from iso20k.grading.exam_model import load_exam  # noqa: E402
from iso20k.grading.parallel import autograde  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=0, help="0 = one per CPU core")
    parser.add_argument("--repeat", type=int, default=1, help="rounds per mode; the best time of each is kept")
    parser.add_argument("--exams", type=Path, default=REPO / "exams", help="folder of exam definitions")
    parser.add_argument("--without-isolation", action="store_true",
                        help="run iso20k autograde without the grading sandbox (to measure its cost)")
    args = parser.parse_args()

    exam = load_exam(args.exams / "all-staff-exam.yaml")
    work = Path(tempfile.mkdtemp(prefix="iso20k-bench-"))
    try:
        serial = new_course(work / "serial", args.exams)
        release = json.loads((serial / "release" / exam.assignment / f"{exam.assignment}.ipynb").read_text())
        rng = random.Random(20000)
        for n in range(args.submissions):
            skill = rng.random()
            answers = {i.id: (i.answer if rng.random() < 0.3 + 0.7 * skill else rng.choice("ABCD"))
                       for i in exam.items if i.kind == "choice"}
            submit(serial, exam.assignment, f"E{n:04d}", fill(release, answers))
        pristine = work / "pristine"
        shutil.copytree(serial, pristine)
        parallel = work / "parallel"
        t_serial = t_parallel = float("inf")
        for _ in range(args.repeat):
            for course in (serial, parallel):
                shutil.rmtree(course, ignore_errors=True)
                shutil.copytree(pristine, course)
            t0 = time.perf_counter()
            nbgrader(serial, "autograde", exam.assignment, "--force")
            t_serial = min(t_serial, time.perf_counter() - t0)
            t0 = time.perf_counter()
            summary = autograde(parallel, exam.assignment, jobs=args.jobs, progress=False,
                                isolation=not args.without_isolation)
            t_parallel = min(t_parallel, time.perf_counter() - t0)

        same = grades(serial, exam.assignment) == grades(parallel, exam.assignment)
        print(f"submissions: {args.submissions}  jobs: {args.jobs or 'cores'}  graded: {summary.count('graded')}  "
              f"best of {args.repeat}  sandbox: {'off' if args.without_isolation else 'on'}")
        print(f"nbgrader autograde (serial): {t_serial:8.1f} s")
        print(f"iso20k autograde (parallel): {t_parallel:8.1f} s")
        print(f"speed-up: {t_serial / t_parallel:.2f}x   identical grades: {same}")
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
