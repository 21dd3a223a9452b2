"""The figures for one choice of filters, for the dashboard and the evidence pack alike: headline,
department × track table, status counts per department, one department's employees, and
assessment scores."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from ..texts import t
from ..tracks import TRACKS, track_title
from .model import Person, Snapshot


@dataclass(frozen=True)
class Filters:
    as_of: date
    track: str = ""  # "" means every track
    department: str = ""
    role: str = ""


@dataclass
class TrackCell:
    enrolled: int = 0
    passed: int = 0
    overdue: int = 0
    counts: Counter = field(default_factory=Counter)

    @property
    def percent(self) -> float | None:
        return 100.0 * self.passed / self.enrolled if self.enrolled else None

    def add(self, status: str) -> None:
        self.enrolled += 1
        self.passed += status == "passed"
        self.overdue += status == "overdue"
        self.counts[status] += 1


@dataclass
class DepartmentRow:
    department: str
    employees: int = 0
    tracks: dict[str, TrackCell] = field(default_factory=dict)
    #: the day each passed enrolment in the row was passed (its assessment's hand-in day)
    pass_days: list[date] = field(default_factory=list)

    @property
    def required(self) -> int:
        return sum(cell.enrolled for cell in self.tracks.values())

    @property
    def passed(self) -> int:
        return sum(cell.passed for cell in self.tracks.values())

    def counts(self) -> Counter:
        total: Counter = Counter()
        for cell in self.tracks.values():
            total.update(cell.counts)
        return total


@dataclass
class View:
    filters: Filters
    tracks: list[str]
    people: list[Person]
    rows: list[DepartmentRow]
    total: DepartmentRow
    overdue_people: int
    drilldown: list[tuple[Person, dict[str, str]]]
    scores: dict[str, list[float]]
    #: per track, whether each score in :attr:`scores` passed (the pass rule's verdict, in order)
    scores_passed: dict[str, list[bool]] = field(default_factory=dict)

    @property
    def employees(self) -> int:
        return len(self.people)


def options(snap: Snapshot) -> tuple[list[str], list[str]]:
    """The departments and roles present in the roster, sorted."""
    return sorted({p.department for p in snap.people}), sorted({p.role for p in snap.people})


def build_view(snap: Snapshot, status: dict[tuple[str, str], str], filters: Filters) -> View:
    """Everything the page shows for ``filters``, in one pass over the people shown."""
    tracks = [filters.track] if filters.track else list(TRACKS)
    people = [p for p in snap.people
              if (not filters.department or p.department == filters.department)
              and (not filters.role or p.role == filters.role)
              and (not filters.track or filters.track in p.due)]
    rows: dict[str, DepartmentRow] = {}
    total = DepartmentRow("", tracks={t: TrackCell() for t in tracks})
    overdue_people = 0
    drilldown = []
    scores: dict[str, list[float]] = {t: [] for t in tracks}
    scores_passed: dict[str, list[bool]] = {t: [] for t in tracks}
    for p in people:
        row = rows.get(p.department)
        if row is None:
            row = rows[p.department] = DepartmentRow(p.department, tracks={t: TrackCell() for t in tracks})
        row.employees += 1
        total.employees += 1
        mine = {}
        for t in tracks:
            if t not in p.due:
                continue
            s = status[(p.employee_id, t)]
            mine[t] = s
            row.tracks[t].add(s)
            total.tracks[t].add(s)
            sub = snap.submissions.get((p.employee_id, t))
            if s == "passed" and sub is not None and sub.submitted_on is not None:
                row.pass_days.append(sub.submitted_on)
            if sub is not None and s in ("passed", "failed", "overdue") and sub.percent() is not None \
                    and not sub.needs_manual and (sub.submitted_on is None or sub.submitted_on <= filters.as_of):
                scores[t].append(sub.percent())
                scores_passed[t].append(bool(sub.passed(snap.pass_marks.get(t, 1.0))))
        overdue_people += "overdue" in mine.values()
        if filters.department:
            drilldown.append((p, mine))
    drilldown.sort(key=lambda item: (item[0].name, item[0].employee_id))
    return View(filters, tracks, people, [rows[d] for d in sorted(rows)], total, overdue_people,
                drilldown, scores, scores_passed)


# -- the department × track table as text (the dashboard's page and CSV, the evidence pack) --------
def percent_text(cell: TrackCell) -> str:
    return "—" if cell.percent is None else f"{cell.percent:.0f}%"


def department_cells(view: View, language: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows (the last row is the total) of the department × track table."""
    header = [t("Department", language), t("Employees", language)]
    for track in view.tracks:
        name = track_title(track, language, short=True)
        header += [t("{track} · required", language, track=name), t("{track} · trained", language, track=name),
                   t("{track} · % trained", language, track=name), t("{track} · overdue", language, track=name)]
    rows = []
    for row in view.rows + [view.total]:
        cells = [row.department or t("All shown", language), str(row.employees)]
        for track in view.tracks:
            c = row.tracks[track]
            cells += [str(c.enrolled), str(c.passed), percent_text(c), str(c.overdue)]
        rows.append(cells)
    return header, rows
