#!/usr/bin/env python
"""Benchmark: the record's two gradebook reading paths at company scale, on SQLite.

Builds nbgrader's gradebook for N employees (default 10,000: 30,000 graded hand-ins and 660,000
grades, as benchmarks/dashboard_scale.py does) in a folder given (or a temporary one), then times,
in this process, with whatever ``iso20k`` is importable (run it once with the code before and once
after a change, e.g. ``PYTHONPATH=<old checkout>``, against the same ``--folder``):

- the company path: the dashboard reader's full gradebook read (``Reader._read_gradebook``);
- the one-learner path: My training's read of one learner's hand-ins
  (``training_summary`` for one employee, gradebook part only: median of 20 learners).

    .venv/bin/python benchmarks/record_paths.py --folder /tmp/gb --employees 10000
    PYTHONPATH=/tmp/old .venv/bin/python benchmarks/record_paths.py --folder /tmp/gb
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
import warnings
from datetime import date, datetime
from pathlib import Path


def build(folder: Path, employees: int) -> None:
    from nbgrader import api

    from iso20k.demo.gradebook import ensure_assignments
    from iso20k.grading.build import build_sources
    from iso20k.settings import REPO_ROOT, Settings
    from iso20k.store import make_engine
    from iso20k.tracks import ASSESSMENTS

    build_sources(REPO_ROOT / "exams", folder / "source", Settings())
    ensure_assignments(folder)
    engine = make_engine(f"sqlite:///{folder / 'gradebook.db'}")
    rng = random.Random(3)
    ids = [f"E{n:05d}" for n in range(employees)]
    with engine.begin() as conn:
        cells = {}
        for name in ASSESSMENTS.values():
            nb = conn.execute(api.Notebook.__table__.select().join(api.Assignment.__table__)
                              .where(api.Assignment.__table__.c.name == name)).fetchall()[0]
            rows = conn.execute(api.BaseCell.__table__.select().where(api.BaseCell.__table__.c.notebook_id == nb.id))
            graded = [c for c in rows if c.type in ("GradeCell", "TaskCell")]
            maxima = {r.id: r.max_score for t in (api.GradeCell, api.TaskCell) for r in conn.execute(t.__table__.select())}
            cells[name] = (nb.assignment_id, nb.id, [(c.id, maxima[c.id]) for c in graded])
        conn.execute(api.Student.__table__.insert(), [{"id": i.lower()} for i in ids])
        subs, nbs, grades = [], [], []
        stamp = datetime.combine(date(2026, 11, 30), datetime.min.time())
        for eid in ids:
            for name, (assignment_id, notebook_id, graded) in cells.items():
                sid, nid = f"s{eid}{name[:3]}", f"n{eid}{name[:3]}"
                subs.append({"id": sid, "assignment_id": assignment_id, "student_id": eid.lower(), "timestamp": stamp})
                nbs.append({"id": nid, "assignment_id": sid, "notebook_id": notebook_id,
                            "late_submission_penalty": None, "flagged": False})
                skill = rng.random()
                for cid, max_score in graded:
                    grades.append({"id": uuid.uuid4().hex, "notebook_id": nid, "cell_id": cid,
                                   "auto_score": max_score if rng.random() < 0.4 + 0.6 * skill else 0.0,
                                   "manual_score": None, "extra_credit": None, "needs_manual_grade": False})
        conn.execute(api.SubmittedAssignment.__table__.insert(), subs)
        conn.execute(api.SubmittedNotebook.__table__.insert(), nbs)
        for start in range(0, len(grades), 50_000):
            conn.execute(api.Grade.__table__.insert(), grades[start:start + 50_000])
    engine.dispose()
    (folder / "employees.txt").write_text("\n".join(ids))
    print(f"built: {len(subs)} hand-ins, {len(grades)} grades")


def measure(folder: Path) -> None:
    import iso20k
    from iso20k.results import Person, Reader, Snapshot
    from iso20k.tracks import TRACKS

    ids = (folder / "employees.txt").read_text().split()
    url = f"sqlite:///{folder / 'gradebook.db'}"
    from iso20k.dashboard.app import exam_item_clauses
    from iso20k.settings import get_settings

    reader = Reader("sqlite:///" + str(folder / "none.sqlite"), url, folder, {t: 1 for t in TRACKS},
                    {t: 0.7 for t in TRACKS}, item_clauses=exam_item_clauses(get_settings()))
    reader._read_gradebook(Snapshot())  # imports (nbgrader's models) are not the reading
    times = []
    for _ in range(3):
        snap = Snapshot(people=[Person(i, i, "D", "staff", {t: None for t in TRACKS}) for i in ids])
        started = time.perf_counter()
        reader._read_gradebook(snap)
        times.append(time.perf_counter() - started)
    graded = sum(1 for s in snap.submissions.values() if s.score is not None)
    print(f"{iso20k.__file__}: company path, {graded} hand-ins: "
          f"median {statistics.median(times):.2f} s of {[round(t, 2) for t in times]}")

    from iso20k.store import ProgressStore

    store = ProgressStore("sqlite:///" + str(folder / "progress.sqlite"))
    from iso20k.banks import load_catalog
    from iso20k.learner import training_summary
    from iso20k.settings import get_settings

    catalog = load_catalog(get_settings().banks_dir)
    rng = random.Random(5)
    times = []
    for eid in rng.sample(ids, 20):
        started = time.perf_counter()
        summary = training_summary(store, eid, catalog, gradebook_url=url, course_root=folder,
                                   pass_marks={t: 0.7 for t in TRACKS}, as_of=date(2026, 12, 1))
        times.append(time.perf_counter() - started)
        assert summary.tracks[0].assessment is not None, eid
    print(f"{iso20k.__file__}: one learner (My training, whole summary): median {1000 * statistics.median(times):.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--employees", type=int, default=10_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if not (args.folder / "gradebook.db").is_file():
        args.folder.mkdir(parents=True, exist_ok=True)
        build(args.folder, args.employees)
    measure(args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
