"""Which people handed in a timed assessment late (after its minutes from the fetch plus grace),
as the audit trail recorded the hand-in: (employee id, track) -> minutes late, for the dashboard
and the trainers."""

from __future__ import annotations

from ..store import company
from ..tracks import TRACK_OF_ASSESSMENT
from .rules import id_in_roster


def late_marks(source, employee_ids) -> dict[tuple[str, str], float]:
    """(employee id, track) -> minutes late, for the newest hand-in of each timed assessment
    (``source``: a connection, engine or store of the progress store)."""
    roster_id = id_in_roster(employee_ids)
    out = {}
    for learner, assignment, minutes in company.late_hand_ins(source):
        track = TRACK_OF_ASSESSMENT.get(assignment)
        if track is not None:
            out[(roster_id(learner), track)] = minutes
    return out
