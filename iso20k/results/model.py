"""The company's record as read at one moment: people with their enrolments, lesson progress,
assessment submissions and pass marks."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timezone


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

    def modules_done(self, employee_id: str, track: str, as_of: date) -> int:
        return bisect_right(self.completions.get((employee_id, track), ()), as_of)

    def scoped(self, departments: frozenset[str] | None) -> "Snapshot":
        """Only the rows of ``departments`` (None: everything).  Every figure a page shows is
        computed from the scoped snapshot, so other departments' rows never reach it."""
        if departments is None:
            return self
        if not departments:  # nobody's rows: nothing to look through
            return Snapshot(modules=dict(self.modules), pass_marks=dict(self.pass_marks),
                            loaded_at=self.loaded_at, stamp=self.stamp, notes=list(self.notes))
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
            clause_results={k: v for k, v in self.clause_results.items() if k[0] in departments})
