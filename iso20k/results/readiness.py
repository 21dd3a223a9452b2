"""Readiness for the certification audit: per department, required and passed track enrolments,
the recent pace of passes, the day all would be passed at that pace, and whether that is by the
audit day.  The dashboard's outlook and the training office's weekly digest show these figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .views import View

#: The completion pace is the passes of this many days before the "as of" day.
PACE_DAYS = 28
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
    ready: bool | None  # on track for the audit date (None: no audit date set)

    @property
    def remaining(self) -> int:
        return self.required - self.passed


def readiness(view: View, audit: date | None) -> list[Readiness]:
    """Per department in the view: required and passed track enrolments, the recent pace, the
    day all would be passed at that pace, and whether that is by the audit.  From the counts
    :func:`~iso20k.results.views.build_view` made, without going through the people again."""
    as_of = view.filters.as_of
    since = as_of - timedelta(days=PACE_DAYS)
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
        ready = None if audit is None else (finish is not None and finish <= audit)
        out.append(Readiness(row.department, required, passed, per_day * 7, finish, ready))
    return out
