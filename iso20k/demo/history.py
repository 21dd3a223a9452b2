"""A believable training history for the demo company: how far each employee got on each track,
the quiz answers that got them there, and their assessment results."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from ..banks import Catalog
from ..roster.validate import Employee
from ..store import ProgressStore

STAGES = ("not-started", "in-progress", "modules-done", "submitted", "passed", "failed")

#: Share of people at each stage, per track; "late" is the first wave, whose all-staff track is due.
PROFILES = {
    ("all-staff", True): (0.03, 0.06, 0.04, 0.02, 0.80, 0.05),
    ("all-staff", False): (0.20, 0.30, 0.12, 0.04, 0.30, 0.04),
    ("key-personnel", True): (0.08, 0.22, 0.10, 0.15, 0.40, 0.05),
    ("key-personnel", False): (0.15, 0.30, 0.10, 0.15, 0.25, 0.05),
    ("document-writing", True): (0.10, 0.30, 0.10, 0.15, 0.30, 0.05),
    ("document-writing", False): (0.15, 0.35, 0.10, 0.15, 0.20, 0.05),
}


@dataclass(frozen=True)
class Result:
    """An assessment outcome to record: score as a share of the points; ``None`` = not graded."""

    employee_id: str
    track: str
    stage: str
    submitted_at: datetime
    share: float | None


def track_modules(catalog: Catalog, track: str) -> list[tuple[str, list[str]]]:
    """(module, question full ids) of a track, in the banks' order."""
    return [(b.module, [q.full_id for q in b.questions])
            for _, b in sorted(catalog.banks.items()) if b.track == track]


def _stamp(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=timezone.utc) + timedelta(minutes=minutes)


def plan_history(people: list[Employee], catalog: Catalog, today: date, seed: int = 20000,
                 late_departments: set[str] | None = None) -> tuple[list[dict], list[Result]]:
    """Quiz answers (events for the progress store) and assessment results for ``people``."""
    rng = random.Random(seed + 1)
    # Who got how far draws from its own stream, so that adding a module or a question to the
    # course changes the answers drawn, not which stage each demo employee has reached.
    stages = random.Random(seed + 2)
    late_departments = late_departments or set()
    events: list[dict] = []
    results: list[Result] = []
    for person in people:
        language = "zh" if stages.random() < 0.7 else "en"
        for track in person.tracks:
            stage = stages.choices(STAGES, PROFILES[(track, person.department in late_departments)])[0]
            modules = track_modules(catalog, track)
            if stage == "not-started" or not modules:
                continue
            done = len(modules) if stage != "in-progress" else rng.randrange(0, len(modules))
            day = today - timedelta(days=rng.randint(len(modules) + 8, 70))
            for index, (module, questions) in enumerate(modules[:done + (stage == "in-progress")]):
                partial = index == done  # the module an in-progress learner is part-way through
                asked = questions[:rng.randint(1, max(1, len(questions) - 1))] if partial else questions
                minute = rng.randint(0, 240)
                for qid in asked:
                    tries = 2 if rng.random() < 0.25 else 1
                    for attempt in range(tries):
                        minute += rng.randint(1, 4)
                        correct = attempt == tries - 1
                        events.append(dict(learner_id=person.employee_id, track=track, module=module,
                                           question_id=qid, correct=correct, language=language,
                                           response={"demo": "right answer" if correct else "wrong answer"},
                                           answered_at=_stamp(day, minute)))
                day = min(today, day + timedelta(days=rng.randint(1, 3)))
            if stage in ("submitted", "passed", "failed"):
                at = _stamp(min(today, day + timedelta(days=1)), rng.randint(0, 400))
                share = {"submitted": None, "passed": rng.uniform(0.72, 1.0),
                         "failed": rng.uniform(0.3, 0.62)}[stage]
                results.append(Result(person.employee_id, track, stage, at, share))
    return events, results


def record_progress(store: ProgressStore, people: list[Employee], catalog: Catalog,
                    today: date) -> tuple[int, list[Result]]:
    """Plan the history of ``people`` and write their quiz answers through the progress store
    (departments whose all-staff training is already due are the first, further-on wave).
    Returns how many answers were written, and the assessment results still to record."""
    late = {p.department for p in people if p.due_dates.get("all-staff") and p.due_dates["all-staff"] < today}
    events, results = plan_history(people, catalog, today, late_departments=late)
    return store.record_history(events, catalog.module_questions()), results
