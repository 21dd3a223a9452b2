"""``iso20k demo``: fill the progress store and the gradebook with a made-up company so the
dashboard (and formgrader) can be tried before the real roster is imported."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..banks import load_catalog
from ..grading.config import gradebook_url
from ..grading.environment import course_gradebook
from ..grading.exam_model import load_exams
from ..grading.local_exchange import release_assessments
from ..grading.sandbox import SandboxUnavailable
from ..grading.students import sync_students
from ..roster import write_employees
from ..roster.validate import Employee
from ..settings import Settings, get_settings
from ..store import ProgressStore, trail_writer
from ..store.roster import active_outside_domain, delete_employees, ids_with_email_domain
from ..tracks import ASSESSMENTS
from .company import DEMO_DOMAIN, make_company
from .gradebook import ensure_assignments, hand_in, record_results, remove_demo_work
from .history import record_progress

#: The learner ``./scripts/start.sh`` signs in as: on the demo roster, progress never invented.
LAB_LEARNER = "demo-learner"
NCR_TEXT = ("**Nonconformity report NCR-07**\n\nEvidence: change CHG-2291 (firewall rule) was deployed on "
            "12 October without the approval the change procedure requires (clause 8.5.1.3); the CAB "
            "minutes of 11 October do not list it.\n\nRequirement: ISO/IEC 20000-1:2018 8.5.1.3 and "
            "procedure SMS-PR-08 section 5.\n\nSeverity: minor — one change, no service impact found.")
PROCEDURE_TEXT = ("**Procedure: handling a major incident (draft)**\n\n1. Purpose …\n2. Scope …\n"
                  "3. Responsibilities: service desk lead, incident manager …\n4. Steps …\n5. Records: "
                  "major incident report (form SMS-F-12).")


class DemoRefused(RuntimeError):
    pass


@dataclass
class DemoSummary:
    employees: int
    departments: int
    events: int
    results: int
    autograded: int
    seconds: float
    certificates: int = 0

    def __str__(self) -> str:
        return (f"Demo company ready in {self.seconds:.0f}s: {self.employees} employees in {self.departments} "
                f"departments, {self.events} quiz answers, {self.results} assessment results "
                f"({self.autograded} of them handed in and autograded by nbgrader), "
                f"{self.certificates} certificates for its passes.")


def real_people(store: ProgressStore) -> int:
    """How many people in the store are not demo employees."""
    return active_outside_domain(store, DEMO_DOMAIN)


def build_demo(settings: Settings | None = None, employees: int = 300, departments: int = 8,
               today: date | None = None, autograde_count: int = 6, force: bool = False,
               progress: bool = True, certificates: bool = True) -> DemoSummary:
    """Build (or rebuild) the demo company.  Refuses to mix with a real roster unless ``force``.
    ``autograde_count`` results are handed in and autograded for real, and with them every
    submission still awaiting its grade, so formgrader lists them all (none at all with 0).
    On one machine the assessments are released into nbgrader's exchange for the learners.
    Its passes get their certificates (unless ``certificates`` is false: a company whose
    certificates are still to be issued, as tests of issuing want)."""
    from ..grading.parallel import autograde

    started = time.monotonic()
    settings = settings or get_settings()
    today = today or date.today()
    course = Path(settings.course_root).resolve()
    store = trail_writer(settings)  # the answers' and the trail's anchors move with what it writes
    others = real_people(store)
    if others and not force:
        raise DemoRefused(
            f"The progress store ({settings.shown_db_url}) already holds a real roster of {others} "
            "people; the demo company would be mixed into it. Use another store for the demo "
            "(set ISO20K_DATA_DIR to an empty folder) or pass --force to add it anyway.")
    catalog = load_catalog(settings.banks_dir)
    people = make_company(employees, departments, today)
    lab = Employee(LAB_LEARNER, "演示学员 Demo Learner", people[-1].department, "staff",
                   f"{LAB_LEARNER}@{DEMO_DOMAIN}", ("all-staff",), {"all-staff": people[-1].due_dates["all-staff"]})
    ids = [p.employee_id for p in people]

    write_employees(people + [lab], store)
    store.forget(ids)
    _remove_certificates(store, settings, ids, "the demo company is rebuilt: its made-up people's certificates go")
    count, results = record_progress(store, people, catalog, today)

    ensure_assignments(course)
    remove_demo_work(course, ids)
    sync_students(store, gradebook_url(course, settings))
    rng = random.Random(7)
    exams = {e.assignment: e for e in load_exams(settings.exams_dir)}
    # A handful handed in and autograded for real, and every submission awaiting its grade (a
    # written task to mark): formgrader lists only hand-ins whose notebooks are on disk.
    real = _pick_handful(results, autograde_count)
    if autograde_count:  # 0: nothing handed in for real (a quick world for tests)
        real += [r for r in results if r.stage == "submitted" and r not in real]
    for r in real:
        hand_in(course, exams[ASSESSMENTS[r.track]], r, rng, NCR_TEXT if r.track == "key-personnel" else PROCEDURE_TEXT)
    record_results(course, [r for r in results if r not in real])
    for assignment in sorted({ASSESSMENTS[r.track] for r in real}):
        grade = dict(jobs=settings.grading_jobs, time_limit=settings.grading_time_limit_s,
                     memory_mb=settings.grading_memory_limit_mb, progress=progress)
        try:
            autograde(course, assignment, **grade)
        except SandboxUnavailable:
            # These notebooks were written just now by the demo itself, not by a learner: with
            # no sandbox on this machine they may be graded without one.
            autograde(course, assignment, isolation=False, **grade)
    _record_in_trail(store, course, "the demo company's made-up results", ids + [LAB_LEARNER])
    if settings.one_account_exchange:  # one machine: learners fetch the assessments from the Assignment List
        release_assessments(settings)
    issued = _issue_certificates(store, settings, ids, today) if certificates else []
    store.close()
    return DemoSummary(len(people) + 1, len({p.department for p in people}), count, len(results), len(real),
                       time.monotonic() - started, len(issued))


def remove_demo(settings: Settings | None = None) -> int:
    """Take the demo company out again: its employees, their progress, their submissions and
    grades, and their nbgrader student records.  Real people are not touched.  Returns how many."""
    settings = settings or get_settings()
    course = Path(settings.course_root).resolve()
    store = trail_writer(settings)  # the answers' and the trail's anchors move with what it writes
    ids = ids_with_email_domain(store, DEMO_DOMAIN)
    if settings.gradebook_url or (course / "gradebook.db").exists():
        remove_demo_work(course, ids)
        with course_gradebook(course) as gb:
            known = {s.id for s in gb.students}
            for sid in ids:
                if sid in known:
                    gb.remove_student(sid)
    _record_in_trail(store, course, "the demo company was removed", ids)
    _remove_certificates(store, settings, ids, "the demo company was removed")
    store.forget([i for i in ids if i != LAB_LEARNER])
    delete_employees(store, ids)
    store.close()
    return len(ids)


def _record_in_trail(store: ProgressStore, course: Path, reason: str, ids: list[str]) -> None:
    """The demo writes its grades straight into the gradebook: record its own people's grades (and
    nobody else's) in the audit trail."""
    from ..audit import record_from_trail_state

    if (course / "gradebook.db").exists():
        record_from_trail_state(store, gradebook_url(course), "iso20k demo", "grade-baseline", reason, set(ids))


def _remove_certificates(store: ProgressStore, settings: Settings, ids: list[str], reason: str) -> None:
    from ..certificates.registry import remove_of
    from ..store.trail import anchor_path

    remove_of(store, ids, "iso20k demo", reason, anchor=anchor_path(settings))  # the store moves the anchor


def _issue_certificates(store: ProgressStore, settings: Settings, ids: list[str], today: date) -> list:
    """The demo's passes get their certificates, as grading gives a real company's (the same
    workflow, recorded in the trail), dated by their passes; judged as of the demo's ``today``."""
    from ..certificates.workflow import issue_for
    from ..store.trail import anchor_path

    return issue_for(store, settings, "iso20k demo", ids, as_of=today, anchor=anchor_path(settings))


def _pick_handful(results, count: int) -> list:
    """A few all-staff exams (passed and failed) and a written assessment awaiting its mark."""
    wanted = [("all-staff", "passed"), ("all-staff", "failed"), ("all-staff", "passed"),
              ("key-personnel", "submitted"), ("all-staff", "passed"), ("document-writing", "submitted")]
    picked = []
    for track, stage in wanted[:count]:
        for r in results:
            if r.track == track and r.stage == stage and r not in picked:
                picked.append(r)
                break
    return picked
