#!/usr/bin/env python
"""Benchmark: ``iso20k autograde`` grading per-learner forms (each learner fetched their own form
through the course's exchange; answers read as data and judged against each learner's form)
versus plain serial ``nbgrader autograde`` (a kernel per submission) on one fixed form, with the
same right/wrong pattern per question position in both, and the meaning of the grades compared:
every learner's score and which positions they got right must be the same in both gradebooks.

    .venv/bin/python benchmarks/autograde_parallel.py [--sizes 200 1000] [--jobs 0] [--serial-limit 0]

The exam is generated (``tests/form_pool.py``): 36 drawn single-answer items from a pool of 120
plus one fixed ordering item.  ``--serial-limit N`` grades at most N submissions with plain
nbgrader and scales its time linearly to the size (said so in the output); 0 grades them all.
Exits non-zero when the grades' meaning differs or 1,000 submissions take 60 s or more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from form_pool import A, answer_texts, fetch_in_process, reference_keys, release_in_process, write_exams  # noqa: E402
from nbgrader_course import fill, nbgrader, new_course, submit  # noqa: E402

FORMS = (str.lower, str.upper, lambda s: " ".join(s), lambda s: s.translate({c: c + 0xFEE0 for c in range(65, 91)}))


def fixed_exam(exams: Path, form_nb: dict, folder: Path) -> Path:
    """The exam file of one fixed form: the items ``form_nb`` shows, in its order, with its option
    orders and keys, then the fixed items; no blueprint (plain nbgrader grades it)."""
    raw = yaml.safe_load((exams / f"{A}.yaml").read_text(encoding="utf-8"))
    pool = {}
    for path in [exams / f"{A}.yaml", *sorted((exams / "pool" / A).glob("*.yaml"))]:
        for it in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            pool[it["id"]] = it
    items = []
    for n, slot in enumerate(form_nb["metadata"]["iso20k_form"]["slots"], 1):
        it = dict(pool[slot["item"]])
        options = [it["options"]["ABCD".index(c)] for c in slot["order"]]
        items.append({**it, "id": f"f{n:02d}", "options": options, "answer": "ABCD"[slot["order"].index(it["answer"])]})
    items += [it for it in raw["items"] if it["kind"] != "choice"]
    folder.mkdir(parents=True, exist_ok=True)
    exam = {k: v for k, v in raw.items() if k != "blueprint"} | {"items": items}
    (folder / f"{A}.yaml").write_text(yaml.safe_dump(exam, allow_unicode=True), encoding="utf-8")
    return folder


def meaning(course: Path, slot_prefix: str) -> dict[str, tuple]:
    """learner -> (total, positions right): what the grades say, whatever the items were."""
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute(
            "select s.student_id, c.name, coalesce(g.manual_score, g.auto_score) from grade g "
            "join submitted_notebook n on g.notebook_id = n.id join submitted_assignment s on n.assignment_id = s.id "
            "join base_cell c on g.cell_id = c.id").fetchall()
    out: dict[str, list] = {}
    for student, cell, score in rows:
        entry = out.setdefault(student, [0.0, set()])
        entry[0] += score or 0
        if cell.startswith(slot_prefix) and score:
            entry[1].add(int(cell[1:3]))
        elif not cell.startswith(slot_prefix) and score:
            entry[1].add(cell)
    return {s: (round(t, 3), frozenset(p)) for s, (t, p) in out.items()}


def measure(size: int, jobs: int, serial_limit: int, work: Path) -> dict:
    from iso20k.grading.form_grading import forget
    from iso20k.grading.parallel import autograde
    from iso20k.settings import reload_settings

    exams = write_exams(work / "exams", per_cell=30, scale=6)
    env = {"ISO20K_EXAM_FORMS": "1", "ISO20K_DATA_DIR": str(work / "data"), "ISO20K_ENV_FILE": ""}
    os.environ.update(env)
    reload_settings()
    forms = new_course(work / "forms", exams)
    release_in_process(forms, env)
    os.environ.update(env)
    rng = random.Random(20000 + size)
    patterns = {}
    texts = answer_texts(exams)
    # The first learner fetches through nbgrader's exchange (FormFetch); the rest get exactly what
    # it would write (their sitting opened in the trail, their form drawn into the release
    # notebook) without a copy of the folder each, so 1,000 are prepared in reasonable time.
    from iso20k.grading.form_notebook import RELEASED_POOL, apply_form, read_released_pool
    from iso20k.grading.forms import draw_form
    from iso20k.grading.sittings import start_or_resume
    from iso20k.store import trail_writer

    settings = reload_settings()
    pool = read_released_pool(forms / "release" / A / RELEASED_POOL)
    release_nb = json.loads((forms / "release" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
    store = trail_writer(settings)
    t0 = time.perf_counter()
    for n in range(size):
        learner = f"e{n:04d}"
        if n == 0:
            home = work / "learners" / learner
            fetch_in_process(forms, learner, home, env)
            nb = json.loads((home / "iso20k" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
        else:
            sitting, _ = start_or_resume(settings, learner, A, pool.exam.minutes, store=store)
            nb = apply_form(json.loads(json.dumps(release_nb)), draw_form(pool, learner, sitting.attempt), pool,
                            sitting.as_dict())
        keys = reference_keys(nb, exams, texts)
        skill = rng.random()
        right = {slot: rng.random() < 0.3 + 0.7 * skill for slot in keys}
        style = rng.choice(FORMS)
        answers = {s: style(k if right[s] else rng.choice([x for x in "ABCD" if x != k])) for s, k in keys.items()}
        answers["q02"] = style("CAB" if skill > 0.5 else "ABC")
        patterns[learner] = (right, answers["q02"], style)
        submit(forms, A, learner, fill(nb, answers),
               timestamp=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        if n == 0:
            first = nb
    store.close()
    fetch_s = time.perf_counter() - t0
    os.environ["ISO20K_EXAM_FORMS"] = "0"
    reload_settings()
    fixed = new_course(work / "fixed", fixed_exam(exams, first, work / "fixed-exams"))
    release = json.loads((fixed / "release" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
    fixed_exam_items = yaml.safe_load((work / "fixed-exams" / f"{A}.yaml").read_text(encoding="utf-8"))["items"]
    key = {it["id"]: it["answer"] for it in fixed_exam_items if it["kind"] == "choice"}
    serial_n = min(size, serial_limit) if serial_limit else size
    for learner, (right, q02, style) in sorted(patterns.items())[:serial_n]:
        answers = {f"f{slot[1:]}": style(key[f"f{slot[1:]}"] if ok else
                                         next(x for x in "ABCD" if x != key[f"f{slot[1:]}"]))
                   for slot, ok in right.items()}
        answers["q02"] = q02
        submit(fixed, A, learner, fill(release, answers))
    t0 = time.perf_counter()
    nbgrader(fixed, "autograde", A, "--force")
    t_serial = (time.perf_counter() - t0) * size / serial_n
    os.environ["ISO20K_EXAM_FORMS"] = "1"
    reload_settings()
    forget()
    t0 = time.perf_counter()
    summary = autograde(forms, A, jobs=jobs, progress=False)
    t_forms = time.perf_counter() - t0
    mine, theirs = meaning(forms, "s"), meaning(fixed, "f")
    same = all(mine.get(s) == theirs[s] for s in theirs) and len(theirs) == serial_n
    return {"size": size, "serial_s": t_serial, "serial_graded": serial_n, "forms_s": t_forms, "fetch_s": fetch_s,
            "same": same, "graded": summary.count("graded"), "late_or_findings": sum(bool(o.tamper) for o in summary.outcomes)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000], help="numbers of submissions")
    parser.add_argument("--jobs", type=int, default=0, help="iso20k autograde --jobs (0 = one per CPU core)")
    parser.add_argument("--serial-limit", type=int, default=0,
                        help="grade at most this many with plain nbgrader and scale its time (0 = all)")
    parser.add_argument("--aim", type=float, default=60.0, help="seconds 1,000 form submissions may take")
    args = parser.parse_args()
    print(f"method: {__doc__.split(chr(10))[0]} ... ; machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    ok = True
    for size in args.sizes:
        work = Path(tempfile.mkdtemp(prefix=f"iso20k-bench-{size}-"))
        try:
            r = measure(size, args.jobs, args.serial_limit, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        scaled = "" if r["serial_graded"] == size else f" (measured on {r['serial_graded']}, scaled)"
        print(f"{size:5d} submissions: plain nbgrader autograde, one fixed form, serial {r['serial_s']:7.1f} s{scaled} | "
              f"iso20k autograde, per-learner forms {r['forms_s']:6.1f} s ({r['graded']} graded) | speed-up "
              f"{r['serial_s'] / r['forms_s']:5.1f}x | same meaning of grades: {r['same']} | "
              f"(preparing {size} forms and hand-ins took {r['fetch_s']:.1f} s)", flush=True)
        ok &= r["same"] and r["graded"] == size and r["late_or_findings"] == 0
        if size >= 1000 and r["forms_s"] * 1000 / size >= args.aim:
            print(f"above the aim: {r['forms_s']:.1f} s for {size} submissions")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
