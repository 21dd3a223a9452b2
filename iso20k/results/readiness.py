"""Readiness for the certification audit: per department, required and passed track enrolments,
the recent pace of passes, the day all would be passed at that pace, and whether that is by the
audit day (or, without one, the department's latest due date); and the verdict above the table.
The dashboard's outlook and the training office's weekly digest show these figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..texts import t
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


def readiness_cells(rows: list[Readiness], audit: date | None, lang: str) -> tuple[list[str], list[list[str]]]:
    """The readiness table as text in ``lang``: header and one row per department (the dashboard's
    outlook and the weekly digest show it alike)."""
    header = [t("Department", lang), t("required", lang), t("trained", lang),
              t("passed per week (last 4 weeks)", lang), t("all trained by, at this pace", lang),
              t("ready by {audit}?", lang, audit=audit.isoformat()) if audit
              else t("ready by the due date?", lang)]
    cells = []
    for r in rows:
        if r.ready is None:
            ready = t("no due date", lang)
        elif audit is not None:
            ready = t("on track", lang) if r.ready else t("NOT on track", lang)
        else:
            ready = t("{verdict} (due {date})", lang, verdict=t("on track", lang) if r.ready
                      else t("NOT on track", lang), date=r.target.isoformat())
        cells.append([r.department, str(r.required), str(r.passed), f"{r.per_week:.1f}",
                      r.finish.isoformat() if r.finish else t("not at this pace", lang), ready])
    return header, cells
