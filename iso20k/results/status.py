"""Each employee's status on each track they must take, as of a given day."""

from __future__ import annotations

from datetime import date

from .model import Person, Snapshot

#: Statuses from best to worst; charts stack them in this order.
STATUSES = ("passed", "submitted", "modules-done", "in-progress", "not-started", "failed", "overdue")


def status_of(snap: Snapshot, person: Person, track: str, as_of: date) -> str:
    """One of :data:`STATUSES`.

    - passed: the track's assessment is graded at or above the pass mark
    - submitted: the assessment is handed in and waits for grading (or for a written answer's mark)
    - failed: graded below the pass mark
    - modules-done: every lesson module of the track is complete, the assessment not handed in
    - in-progress: at least one quiz answered
    - not-started: nothing yet
    - overdue: past the due date and not passed (an assessment handed in on time and still
      waiting for the trainer is not the learner's delay, so it stays "submitted")

    Only what happened on or before ``as_of`` counts.  nbgrader does not record when a grade was
    given, so a graded submission counts from the day it was handed in.
    """
    eid = person.employee_id
    sub = snap.submission(eid, track, as_of)
    if sub is not None and sub.passed(snap.pass_marks.get(track, 1.0)):
        return "passed"
    due = person.due.get(track)
    waiting = sub is not None and (sub.score is None or sub.needs_manual)
    on_time = sub is not None and (due is None or sub.submitted_on is None or sub.submitted_on <= due)
    if due is not None and due < as_of and not (waiting and on_time):
        return "overdue"
    if sub is not None:
        return "submitted" if waiting else "failed"
    required = snap.modules.get(track, 0)
    done = snap.modules_done(eid, track, as_of)
    if required and done >= required:
        return "modules-done"
    first = snap.first_activity.get((eid, track))
    if done or (first is not None and first <= as_of):
        return "in-progress"
    return "not-started"


def statuses(snap: Snapshot, as_of: date) -> dict[tuple[str, str], str]:
    """(employee id, track) -> status for every enrolment of every active employee."""
    return {(p.employee_id, t): status_of(snap, p, t, as_of) for p in snap.people for t in p.due}
