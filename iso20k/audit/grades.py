"""Grades in nbgrader's gradebook, as the audit trail records them.

A grade is keyed ``assignment / student / notebook / cell`` and its score is what nbgrader counts:
the manual score when a grader gave one, else the automatic score, plus any extra credit.  The
trail records grades per submission: one entry with ``{key: [old, new]}`` for every grade that
changed.  Folding the trail's grade entries gives the scores the trail vouches for; the gradebook
must hold exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..results.gradebook import grade_rows
from ..results.rules import grade_score
from ..store import ProgressStore, make_engine
from ..store.engine import make_url
from ..store.trail import Entry, append_all, entries

GRADE_ACTIONS = ("grade", "regrade", "manual-grade", "grade-baseline", "grade-removed", "grade-accepted")


@dataclass(frozen=True)
class GradeKey:
    assignment: str
    student: str
    notebook: str
    cell: str

    @property
    def subject(self) -> str:
        return f"{self.student}/{self.assignment}"

    @property
    def name(self) -> str:
        return f"{self.notebook}/{self.cell}"

    def __str__(self) -> str:
        return f"{self.student} {self.assignment} {self.notebook}/{self.cell}"


#: A grade's score as nbgrader counts it: the one rule, :func:`iso20k.results.rules.grade_score`.
score_of = grade_score


def read_grades(gradebook_url: str, assignment: str | None = None) -> tuple[dict[GradeKey, float | None], dict[str, str]]:
    """Every grade's score, read-only, and each submission's timestamp (by ``student/assignment``)."""
    parsed = make_url(gradebook_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_file():
        return {}, {}
    engine = make_engine(gradebook_url, read_only=True)
    grades: dict[GradeKey, float | None] = {}
    stamps: dict[str, str] = {}
    try:
        with engine.connect() as conn:
            for name, student, notebook, cell, auto, manual, extra, stamp in grade_rows(conn, assignment):
                key = GradeKey(name, student, notebook, cell)
                grades[key] = score_of(auto, manual, extra)
                stamps[key.subject] = str(stamp) if stamp is not None else ""
    finally:
        engine.dispose()
    return grades, stamps


def trail_state(rows: list[Entry]) -> tuple[dict[GradeKey, tuple[float | None, int]], list[str]]:
    """The score the trail last recorded for each grade, with the entry that recorded it; and every
    entry whose 'old' score disagrees with what the trail held before it (a change made outside
    the trail before that entry)."""
    state: dict[GradeKey, tuple[float | None, int]] = {}
    problems: list[str] = []
    for e in rows:
        if e.action not in GRADE_ACTIONS:
            continue
        assignment, student = e.details.get("assignment"), e.details.get("student")
        for name, change in sorted((e.details.get("grades") or {}).items()):
            notebook, _, cell = name.partition("/")
            key = GradeKey(assignment, student, notebook, cell)
            old, new = change
            before = state.get(key, (None, 0))
            if e.action not in ("grade-baseline", "grade-accepted") and key in state and before[0] != old:
                problems.append(f"entry #{e.seq} ({e.action}) changed {key} from {old}, but the trail last "
                                f"recorded {before[0]} (entry #{before[1]}): the grade was changed outside "
                                "the trail before this entry")
            if e.action == "grade-removed":
                state.pop(key, None)
            else:
                state[key] = (new, e.seq)
    return state, problems


def differences(recorded: dict[GradeKey, tuple[float | None, int]],
                current: dict[GradeKey, float | None], assignment: str | None = None) -> list[str]:
    """Grades in the gradebook that differ from what the trail recorded."""
    out = []
    for key in sorted(set(recorded) | set(current), key=str):
        if assignment and key.assignment != assignment:
            continue
        if key not in current:
            out.append(f"gradebook: {key} is gone, but the trail recorded {recorded[key][0]} (entry "
                       f"#{recorded[key][1]}) and no removal: deleted outside the trail")
        elif key not in recorded:
            out.append(f"gradebook: {key} = {current[key]} was never recorded in the trail")
        elif recorded[key][0] != current[key]:
            out.append(f"gradebook: {key} is {current[key]}, but the trail's last record (entry "
                       f"#{recorded[key][1]}) says {recorded[key][0]}: changed without a trail entry")
    return out


def _group(before: dict[GradeKey, float | None], after: dict[GradeKey, float | None]):
    """Changed grades per (assignment, student, removed?): {name: [old, new]}."""
    out: dict[tuple[str, str, bool], dict[str, list]] = {}
    for key in set(before) | set(after):
        if key in before and key in after and before[key] == after[key]:
            continue
        gone = key not in after
        out.setdefault((key.assignment, key.student, gone), {})[key.name] = [before.get(key), after.get(key)]
    return out


def submissions_changed(before: dict[GradeKey, float | None], after: dict[GradeKey, float | None],
                        stamps: dict[str, str]) -> list[dict]:
    """The grade changes between ``before`` and ``after``, one item per submission:
    ``{"assignment", "student", "submission", "removed", "grades": {name: [old, new]}}`` (what is
    sent to the trail writer)."""
    return [{"assignment": assignment, "student": student, "removed": gone,
             "submission": stamps.get(f"{student}/{assignment}", ""), "grades": changes}
            for (assignment, student, gone), changes in sorted(_group(before, after).items())]


def entry_kind(source: str, removed: bool, grades: dict, action: str | None = None) -> str:
    """The trail's action for one submission's changes: a submission that had scores before is a
    regrade, a first score a grade, a grader's change a manual grade."""
    if removed:
        return "grade-removed"
    if action:
        return action
    if source == "formgrader":
        return "manual-grade"
    return "regrade" if any(old is not None for old, _ in grades.values()) else "grade"


def write_submissions(store: ProgressStore, submissions: list[dict], actor: str, source: str,
                      action: str | None = None, reason: str | None = None, extra: dict | None = None,
                      anchor: Path | None = None) -> list[Entry]:
    """Append one entry per submission item (see :func:`submissions_changed`), in one transaction
    (the store moves the trail's anchor after it; ``anchor`` names another file)."""
    items = []
    for item in submissions:
        assignment, student = item["assignment"], item["student"]
        details = {"assignment": assignment, "student": student, "source": source,
                   "submission": item.get("submission", ""), "grades": item["grades"]}
        if reason:
            details["reason"] = reason
        details.update(extra or {})
        kind = entry_kind(source, bool(item.get("removed")), item["grades"], action)
        items.append((actor, kind, f"{student}/{assignment}", details))
    return append_all(store, items, anchor)


def record_changes(store: ProgressStore, before: dict[GradeKey, float | None],
                   after: dict[GradeKey, float | None], stamps: dict[str, str], actor: str,
                   source: str, action: str | None = None, reason: str | None = None,
                   anchor: Path | None = None) -> list[Entry]:
    """Append one entry per submission whose grades changed between ``before`` and ``after``
    (``source``: 'autograde', 'formgrader', ...).  Without ``action``: a submission that had
    scores before is a regrade, a first score a grade, a grader's change a manual grade."""
    return write_submissions(store, submissions_changed(before, after, stamps), actor, source, action, reason,
                             anchor=anchor)


def untracked(store: ProgressStore, gradebook_url: str) -> tuple[dict, dict[GradeKey, float | None], dict[str, str]]:
    """The trail's grade state, the gradebook's grades and timestamps."""
    rows = list(entries(store))
    state, _ = trail_state(rows)
    current, stamps = read_grades(gradebook_url)
    return state, current, stamps


def record_from_trail_state(store: ProgressStore, gradebook_url: str, actor: str, action: str,
                            reason: str, students: set[str] | None = None) -> list[Entry]:
    """Write what the gradebook holds now where it differs from the trail, as ``action``
    ('grade-baseline' when the trail starts on an existing gradebook, 'grade-accepted' when a
    trainer accepts a change found by verify, with the reason); only for ``students`` if given."""
    state, current, stamps = untracked(store, gradebook_url)
    before = {key: value for key, (value, _) in state.items()}
    if students is not None:
        before = {k: v for k, v in before.items() if k.student in students}
        current = {k: v for k, v in current.items() if k.student in students}
    return record_changes(store, before, current, stamps, actor, action, action=action, reason=reason)
