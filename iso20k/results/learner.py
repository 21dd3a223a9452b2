"""One learner's record, read without loading the company's: their roster entry, enrolments,
lesson progress and hand-ins, into a :class:`~.model.Snapshot` of that one person, so the rules
(:mod:`.status`, :mod:`.rules`) decide their status exactly as they decide it for the company."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..store import company
from ..tracks import TRACK_OF_ASSESSMENT, TRACKS
from . import gradebook
from .model import Person, Snapshot, Submission
from .moments import configured_zone, day_in
from .reader import read_only
from .rules import hub_user_name


@dataclass
class LearnerRecord:
    """One learner's snapshot, and what only My training shows (per module)."""

    snapshot: Snapshot
    person: Person
    in_roster: bool
    completed: dict[tuple[str, str], date] = field(default_factory=dict)  # (track, module) -> day
    correct: dict[str, set[str]] = field(default_factory=dict)  # "track/module" -> question ids


def read_learner(engine, learner_id: str, *, modules: dict[str, int], pass_marks: dict[str, float],
                 gradebook_url: str | None = None, course_root: Path | None = None, zone=None) -> LearnerRecord:
    """``learner_id``'s record from the progress store behind ``engine`` (and the gradebook at
    ``gradebook_url`` / hand-ins under ``course_root``, when given).  A learner who is not in the
    roster (yet) has the all-staff track without a due date, as everyone takes it."""
    zone = zone or configured_zone()
    rows = company.learner_progress(engine, learner_id)  # this learner's rows only
    name, due, correct = rows.name, dict(rows.due), rows.correct
    completed = {key: day_in(at, zone) for key, at in rows.completed.items()}
    first = {t: day_in(at, zone) for t, at in rows.first_answer.items()}
    if name is None:
        due = {"all-staff": None}
    person = Person(learner_id, name or learner_id, rows.department, rows.role,
                    {t: due[t] for t in TRACKS if t in due})
    snap = Snapshot(people=[person], modules={t: modules.get(t, 0) for t in TRACKS}, pass_marks=dict(pass_marks),
                    zone=zone)
    snap.first_activity = {(learner_id, t): d for t, d in first.items()}
    for (track, _module), day in completed.items():
        snap.completions.setdefault((learner_id, track), []).append(day)
    for days in snap.completions.values():
        days.sort()
    if gradebook_url:
        with read_only(gradebook_url, "gradebook", snap) as conn:
            if conn is not None:
                for h in gradebook.learner_hand_ins(conn, learner_id):
                    track = TRACK_OF_ASSESSMENT.get(h.assignment)
                    if track is not None:
                        snap.submissions[(learner_id, track)] = Submission(
                            track, day_in(h.timestamp, zone), h.score, h.max_score, h.needs_manual)
    if course_root is not None:
        names = (learner_id, hub_user_name(learner_id))  # on the hub nbgrader knows the user name
        for (_student, track), day in gradebook.collected(course_root, names, zone).items():
            snap.submissions.setdefault((learner_id, track), Submission(track, day, None, 0.0, True))
    return LearnerRecord(snap, person, name is not None, completed, correct)


def read_learners(engine, learner_ids, **kwargs) -> Snapshot:
    """The record of a few roster learners (:func:`read_learner` each; people not on the roster
    are left out) as one snapshot the company's rules read as they read the whole company's:
    what follows from one grade or one lesson, without loading the company."""
    parts = [read_learner(engine, lid, **kwargs) for lid in dict.fromkeys(learner_ids)]
    snap = Snapshot(modules=dict(kwargs["modules"]), pass_marks=dict(kwargs["pass_marks"]),
                    zone=kwargs.get("zone") or configured_zone())
    for part in parts:
        if not part.in_roster:
            continue
        one = part.snapshot
        snap.people.append(part.person)
        snap.first_activity.update(one.first_activity)
        snap.completions.update(one.completions)
        snap.submissions.update(one.submissions)
        snap.notes.extend(one.notes)
    return snap
