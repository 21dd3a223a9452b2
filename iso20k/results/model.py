"""The company's record as read at one moment: people with their enrolments, lesson progress,
assessment submissions and pass marks."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo


@dataclass(frozen=True)
class Person:
    employee_id: str
    name: str
    department: str
    role: str
    due: dict[str, date | None]  # the tracks this person must take, with due dates


@dataclass(frozen=True)
class Submission:
    track: str
    submitted_on: date | None
    score: float | None  # None: not graded yet
    max_score: float
    needs_manual: bool

    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return 100.0 * self.score / self.max_score

    def passed(self, mark: float) -> bool | None:
        """True or False once graded, None while waiting (see :func:`~.rules.passed`)."""
        from .rules import passed

        return passed(self.score, self.max_score, mark, self.needs_manual)


@dataclass
class Snapshot:
    """Everything read from the databases at one moment."""

    people: list[Person] = field(default_factory=list)
    first_activity: dict[tuple[str, str], date] = field(default_factory=dict)
    completions: dict[tuple[str, str], list[date]] = field(default_factory=dict)
    modules: dict[str, int] = field(default_factory=dict)
    submissions: dict[tuple[str, str], Submission] = field(default_factory=dict)
    pass_marks: dict[str, float] = field(default_factory=dict)
    loaded_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    stamp: tuple = ()
    notes: list[str] = field(default_factory=list)  # what could not be read, for the page
    #: (department, clause) -> [answers or exam items, wrong ones, source ("quiz"/"exam")]
    clause_results: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    #: the zone whose days the dates above are (see :func:`~.moments.day_in`)
    zone: tzinfo = timezone.utc

    def modules_done(self, employee_id: str, track: str, as_of: date) -> int:
        return bisect_right(self.completions.get((employee_id, track), ()), as_of)

    def submission(self, employee_id: str, track: str, as_of: date) -> Submission | None:
        """The track's assessment as handed in on or before ``as_of`` (None: not by then).
        nbgrader does not record when a grade was given, so a grade counts from the hand-in day."""
        sub = self.submissions.get((employee_id, track))
        if sub is not None and sub.submitted_on is not None and sub.submitted_on > as_of:
            return None
        return sub

    def passed(self, employee_id: str, track: str, as_of: date) -> bool | None:
        """The track's assessment passed (True), failed (False), or not graded by ``as_of`` (None)."""
        sub = self.submission(employee_id, track, as_of)
        return None if sub is None else sub.passed(self.pass_marks.get(track, 1.0))

    def scoped(self, departments: frozenset[str] | None) -> "Snapshot":
        """Only the rows of ``departments`` (None: everything).  Every figure a page shows is
        computed from the scoped snapshot, so other departments' rows never reach it."""
        if departments is None:
            return self
        if not departments:  # nobody's rows: nothing to look through
            return Snapshot(modules=dict(self.modules), pass_marks=dict(self.pass_marks),
                            loaded_at=self.loaded_at, stamp=self.stamp, notes=list(self.notes), zone=self.zone)
        people = [p for p in self.people if p.department in departments]
        ids = {p.employee_id for p in people}
        return Snapshot(
            people=people,
            first_activity={k: v for k, v in self.first_activity.items() if k[0] in ids},
            completions={k: v for k, v in self.completions.items() if k[0] in ids},
            modules=dict(self.modules),
            submissions={k: v for k, v in self.submissions.items() if k[0] in ids},
            pass_marks=dict(self.pass_marks), loaded_at=self.loaded_at, stamp=self.stamp,
            notes=list(self.notes),
            clause_results={k: v for k, v in self.clause_results.items() if k[0] in departments},
            zone=self.zone)


def modules_per_track(catalog) -> dict[str, int]:
    """Lesson modules per track (from the question banks: one bank per module)."""
    from ..tracks import TRACKS

    counts = {track: 0 for track in TRACKS}
    for bank in catalog.banks.values():
        if bank.track in counts:
            counts[bank.track] += 1
    return counts
