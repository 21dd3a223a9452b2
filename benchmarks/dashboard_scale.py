#!/usr/bin/env python
"""Benchmark: the training dashboard at company scale, against a bare one-widget Voila page
served the same way, in one run, in headless Chromium.

Generates a company (default 10,000 employees in 40 departments, about 500,000 quiz answers,
30,000 graded submissions), then measures

- page time: from the request to the fully rendered page (the dashboard's tables and charts,
  or the bare page's one widget), median of --rounds fresh browser contexts, each page served
  by a prepared (preheated) kernel;
- filter time: from choosing another department / role / track to the updated table, median.

    .venv/bin/python benchmarks/dashboard_scale.py [--employees 10000] [--departments 40] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from browser import CHROMIUM, CHROMIUM_ARGS, free_port, stop, wait_for_http  # noqa: E402

from iso20k.banks import load_catalog  # noqa: E402
from iso20k.dashboard import dashboard_server  # noqa: E402
from iso20k.demo.company import make_company  # noqa: E402
from iso20k.demo.gradebook import ensure_assignments  # noqa: E402
from iso20k.demo.history import record_progress  # noqa: E402
from iso20k.grading.build import build_sources  # noqa: E402
from iso20k.grading.config import gradebook_url  # noqa: E402
from iso20k.roster import write_employees  # noqa: E402
from iso20k.settings import Settings  # noqa: E402
from iso20k.store import ProgressStore, make_engine  # noqa: E402
from iso20k.tracks import ASSESSMENTS  # noqa: E402

BARE = {"cells": [{"cell_type": "code", "execution_count": None, "id": "bare", "metadata": {}, "outputs": [],
                   "source": ["import sys\n", "import ipywidgets as w\n",
                              "print('[iso20k dashboard] page prepared', file=sys.__stderr__, flush=True)\n",
                              "w.HTML('<p id=\"bare-ready\">ready</p>')"]}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}
DASHBOARD_READY = ".iso20k-scores"
BARE_READY = "#bare-ready"


def build_company(settings: Settings, employees: int, departments: int) -> dict:
    """Roster and progress through the progress store; 3 graded submissions per employee
    (one per assessment) inserted in bulk into a gradebook nbgrader created."""
    from nbgrader import api

    started = time.monotonic()
    today = date.today()
    people = make_company(employees, departments, today)
    catalog = load_catalog(settings.banks_dir)
    store = ProgressStore(settings.effective_db_url)
    write_employees(people, store)
    n_events, _ = record_progress(store, people, catalog, today)
    store.close()

    course = Path(settings.course_root)
    ensure_assignments(course)
    engine = make_engine(gradebook_url(course))
    rng = random.Random(3)
    with engine.begin() as conn:
        cells = {}
        for name in ASSESSMENTS.values():
            rows = conn.execute(api.Notebook.__table__.select().join(
                api.Assignment.__table__).where(api.Assignment.__table__.c.name == name)).fetchall()
            nb = rows[0]
            cell_rows = conn.execute(api.BaseCell.__table__.select().where(
                api.BaseCell.__table__.c.notebook_id == nb.id)).fetchall()
            graded = [c for c in cell_rows if c.type in ("GradeCell", "TaskCell")]
            max_scores = {r.id: r.max_score for t in (api.GradeCell, api.TaskCell)
                          for r in conn.execute(t.__table__.select())}
            cells[name] = (nb.assignment_id, nb.id, [(c.id, max_scores[c.id]) for c in graded])
        conn.execute(api.Student.__table__.insert(), [{"id": p.employee_id} for p in people])
        subs, nbs, grades = [], [], []
        stamp = datetime.combine(today, datetime.min.time())
        for p in people:
            for name, (assignment_id, notebook_id, graded) in cells.items():
                sid, nid = f"s{p.employee_id}{name[:3]}", f"n{p.employee_id}{name[:3]}"
                subs.append({"id": sid, "assignment_id": assignment_id, "student_id": p.employee_id,
                             "timestamp": stamp})
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
    return {"employees": len(people), "departments": len({p.department for p in people}), "events": n_events,
            "submissions": len(subs), "grades": len(grades), "seconds": time.monotonic() - started}


class Server:
    def __init__(self, settings: Settings, notebook: Path, log: Path):
        self.port = free_port()
        server = dashboard_server(settings, notebook=notebook, port=self.port)
        self.log = log
        self.out = open(log, "w")
        self.proc = subprocess.Popen(server.argv, env=server.env, cwd=notebook.parent, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}/"
        wait_for_http(self.url + "voila/static/voila.js", self.proc, timeout=120)

    def pools_filled(self) -> int:
        """Kernels that have finished preparing the page (Voila logs "filled" when a kernel
        starts, before the notebook has run; the notebook logs when the page is prepared)."""
        return self.log.read_text().count("[iso20k dashboard] page prepared")

    def wait_for_pool(self, count: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while self.pools_filled() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"kernel pool not refilled; see {self.log}")
            time.sleep(0.2)
        time.sleep(0.3)

    def close(self) -> None:
        stop(self.proc)
        self.out.close()


def page_time(browser, server: Server, ready: str, fills: int) -> float:
    server.wait_for_pool(fills)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(server.url)
    page.wait_for_selector(ready, timeout=120_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    elapsed = time.perf_counter() - started
    context.close()
    return elapsed


CHANGE = """async ([label, index]) => {
  const box = [...document.querySelectorAll('.widget-dropdown')].find(
      d => d.querySelector('label') && d.querySelector('label').textContent.trim() === label);
  const select = box.querySelector('select');
  const before = +document.querySelector('.iso20k-departments').dataset.version;
  const target = index % select.options.length;
  if (select.selectedIndex === target) return null;  // nothing would change
  const t0 = performance.now();
  select.selectedIndex = target;
  select.dispatchEvent(new Event('change', {bubbles: true}));
  const updated = await new Promise(resolve => {
    const check = () => {
      const t = document.querySelector('.iso20k-departments');
      if (t && +t.dataset.version > before) resolve(true);
      else if (performance.now() - t0 > 10000) resolve(false);
      else requestAnimationFrame(check);
    };
    check();
  });
  if (!updated) throw new Error(`no update 10 s after choosing ${label} #${target}`);
  await new Promise(r => requestAnimationFrame(r));
  return performance.now() - t0;
}"""


def filter_times(browser, server: Server, fills: int, changes: int) -> list[float]:
    server.wait_for_pool(fills)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server.url)
    page.wait_for_selector(DASHBOARD_READY, timeout=120_000)
    times = []
    plan = [("Department", i + 1) for i in range(changes // 2)] + [("Role", i + 1) for i in range(changes // 4)]
    plan += [("Track", i + 1) for i in range(changes - len(plan))]
    for label, index in plan:
        if label == "Track":  # back to all departments and roles first, so the table stays full
            page.evaluate(CHANGE, ["Department", 0])
            page.evaluate(CHANGE, ["Role", 0])
        took = page.evaluate(CHANGE, [label, index])
        if took is not None:
            times.append(took / 1000)
    page.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--departments", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=7, help="page loads per page kind")
    parser.add_argument("--changes", type=int, default=30, help="filter changes measured")
    parser.add_argument("--keep", action="store_true", help="keep the generated company folder")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="iso20k-dash-bench-"))
    try:
        course = work / "course"
        course.mkdir()
        shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
        settings = Settings(data_dir=work / "data", course_root=course, dashboard_cull_idle_s=60)
        build_sources(settings.exams_dir, course / "source", settings)
        built = build_company(settings, args.employees, args.departments)
        print(f"company: {built['employees']} employees, {built['departments']} departments, "
              f"{built['events']} quiz answers, {built['submissions']} graded submissions "
              f"({built['grades']} grades) in {built['seconds']:.0f}s")
        bare_nb = work / "bare" / "bare.ipynb"
        bare_nb.parent.mkdir()
        bare_nb.write_text(json.dumps(BARE))
        os.environ.update({"ISO20K_DATA_DIR": str(settings.data_dir), "ISO20K_COURSE_ROOT": str(course)})
        dash = Server(settings, REPO / "dashboard" / "training-dashboard.ipynb", work / "dashboard.log")
        bare = Server(settings, bare_nb, work / "bare.log")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                t_dash, t_bare = [], []
                for n in range(args.rounds + 1):  # round 0 warms the browser's and the OS's caches
                    d = page_time(browser, dash, DASHBOARD_READY, n + 1)
                    b = page_time(browser, bare, BARE_READY, n + 1)
                    if n:
                        t_dash.append(d)
                        t_bare.append(b)
                changes = filter_times(browser, dash, args.rounds + 2, args.changes)
                browser.close()
        finally:
            dash.close()
            bare.close()
        md, mb, mf = statistics.median(t_dash), statistics.median(t_bare), statistics.median(changes)
        print(f"page, bare one-widget Voila page: median {mb * 1000:.0f} ms over {len(t_bare)} loads")
        print(f"page, dashboard:                  median {md * 1000:.0f} ms over {len(t_dash)} loads")
        print(f"ratio dashboard / bare page: {md / mb:.2f}x (target: at most 1.25x)")
        print(f"filter change: median {mf * 1000:.0f} ms, slowest {max(changes) * 1000:.0f} ms over "
              f"{len(changes)} changes (target: median under 100 ms)")
        ok = md / mb <= 1.25 and mf < 0.100
        print("targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
