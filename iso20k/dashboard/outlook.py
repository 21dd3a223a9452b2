"""What a manager asks next: will each department be trained by the certification audit at the
current pace, how completion grew over time, and which clauses people answer worst.

All computed from a view (already limited to what the viewer may see and to the filters)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from ..results.views import View
from ..results import Snapshot

#: The completion pace is the passes of this many days before the "as of" day.
PACE_DAYS = 28
#: A clause needs this many answers before its share of wrong answers is shown.
MIN_ANSWERS = 5


def pass_days(view: View) -> list[date]:
    """The day each required track in the view was passed (its assessment's hand-in day)."""
    return sorted(day for row in view.rows for day in row.pass_days)


@dataclass(frozen=True)
class Readiness:
    department: str
    required: int
    passed: int
    per_week: float  # passes per week over the last PACE_DAYS days
    finish: date | None  # when everyone required will have passed at this pace (None: never)
    ready: bool | None  # on track for the target day (None: no target)
    #: the day it is measured against: the audit's, else the latest due date of the department's
    #: required tracks in the roster (None: neither)
    target: date | None = None

    @property
    def remaining(self) -> int:
        return self.required - self.passed


def latest_due_dates(view: View) -> dict[str, date]:
    """Per department in the view, the latest due date the roster gives its required tracks."""
    out: dict[str, date] = {}
    for p in view.people:
        for track in view.tracks:
            due = p.due.get(track)
            if due is not None and (p.department not in out or due > out[p.department]):
                out[p.department] = due
    return out


def readiness(view: View, audit: date | None) -> list[Readiness]:
    """Per department in the view: required and passed track enrolments, the recent pace, the
    day all would be passed at that pace, and whether that is by the audit (with no audit day:
    by the department's latest due date in the roster).  From the counts
    :func:`~iso20k.results.views.build_view` made, without going through the people again."""
    as_of = view.filters.as_of
    since = as_of - timedelta(days=PACE_DAYS)
    due = {} if audit is not None else latest_due_dates(view)
    out = []
    for row in view.rows:  # sorted by department
        required, passed = row.required, row.passed
        recent = sum(1 for day in row.pass_days if since < day <= as_of)
        per_day = recent / PACE_DAYS
        remaining = required - passed
        if remaining <= 0:
            finish = as_of
        elif recent:  # whole days, in integers: remaining / (recent / PACE_DAYS), rounded up
            finish = as_of + timedelta(days=-(-remaining * PACE_DAYS // recent))
        else:
            finish = None
        target = audit if audit is not None else due.get(row.department)
        ready = None if target is None else (finish is not None and (remaining <= 0 or finish <= target))
        out.append(Readiness(row.department, required, passed, per_day * 7, finish, ready, target))
    return out


@dataclass(frozen=True)
class Verdict:
    """The sentence above the readiness table: when all required training in the view is
    complete at the current pace, and whether that is in time for the audit."""
    complete: bool  # everything required is passed already
    finish: date | None  # the day all will be passed at this pace (None: never, see ``stalled``)
    stalled: list[str]  # departments with training left and no pass in the last PACE_DAYS days
    late: list[str]  # departments not on track for their target day
    audit: date | None


def verdict(rows: list[Readiness], audit: date | None) -> Verdict:
    left = [r for r in rows if r.remaining > 0]
    stalled = [r.department for r in left if r.finish is None]
    finish = None if stalled else max((r.finish for r in rows if r.finish), default=None)
    late = [r.department for r in rows if r.ready is False]
    return Verdict(not left, finish, stalled, late, audit)


def completion_history(view: View, points: int = 26) -> list[tuple[date, int, int]]:
    """(day, passed by then, required now) at weekly steps up to the "as of" day."""
    days = pass_days(view)
    required = sum(row.required for row in view.rows)
    as_of = view.filters.as_of
    start = min(days[0], as_of - timedelta(weeks=4)) if days else as_of - timedelta(weeks=4)
    step = max(1, -(-(as_of - start).days // (points - 1)))
    out, i, count = [], 0, 0
    day = start
    while True:
        while i < len(days) and days[i] <= day:
            i += 1
            count += 1
        out.append((day, count, required))
        if day >= as_of:
            break
        day = min(as_of, day + timedelta(days=step))
    return out


def clause_table(view: View, snap: Snapshot, limit: int = 10) -> list[tuple[str, int, int, Counter]]:
    """The clauses answered worst by the departments in the view, quizzes and exam items
    together: (clause, answers, wrong, answers by source), worst share first."""
    departments = {p.department for p in view.people}
    totals: dict[str, list] = {}
    for (department, clause, source), (n, wrong) in snap.clause_results.items():
        if department not in departments:
            continue
        entry = totals.setdefault(clause, [0, 0, Counter()])
        entry[0] += n
        entry[1] += wrong
        entry[2][source] += n
    rows = [(clause, n, wrong, sources) for clause, (n, wrong, sources) in totals.items() if n >= MIN_ANSWERS]
    rows.sort(key=lambda r: (-r[2] / r[1], -r[1], r[0]))
    return rows[:limit]
