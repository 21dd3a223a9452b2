"""What a manager asks next: will each department be trained by the certification audit at the
current pace, how completion grew over time, and which clauses people answer worst.

All computed from a view (already limited to what the viewer may see and to the filters)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from ..results.views import View
from ..results import Snapshot
# readiness for the audit is the record's (the reminders' digest shows the same figures)
from ..results.readiness import (  # noqa: F401 - re-exported
    PACE_DAYS, Readiness, Verdict, latest_due_dates, pass_days, readiness, verdict,
)

#: A clause needs this many answers before its share of wrong answers is shown.
MIN_ANSWERS = 5


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
