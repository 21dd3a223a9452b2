"""Who has earned a certificate: every lesson module of the track complete and the track's
assessment graded at or above its pass mark, read exactly as the dashboard reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..results import Snapshot
from ..settings import Settings
from ..store import ProgressStore
from .model import Certificate


@dataclass(frozen=True)
class Pass:
    employee_id: str
    name: str
    department: str
    track: str
    score: float
    max_score: float
    passed_on: date


def passes(snap: Snapshot, as_of: date) -> list[Pass]:
    """Every pass on or before ``as_of`` of an active employee who also completed the lessons."""
    people = {p.employee_id: p for p in snap.people}
    out = []
    for (eid, track), sub in sorted(snap.submissions.items()):
        person = people.get(eid)
        if person is None or sub.submitted_on is None or not snap.passed(eid, track, as_of):
            continue
        required = snap.modules.get(track, 0)
        if snap.modules_done(eid, track, as_of) < required:
            continue
        out.append(Pass(eid, person.name, person.department, track, sub.score, sub.max_score, sub.submitted_on))
    return out


def issue_due(store: ProgressStore, settings: Settings, snap: Snapshot, as_of: date, actor: str,
              now: datetime | None = None) -> list[Certificate]:
    """Issue a certificate for every pass that has none yet (a refresher pass after an earlier
    certificate gets a new one; the earlier one stays on record).  See
    :mod:`iso20k.certificates.workflow`, which every issuing path goes through."""
    from .workflow import issue_for

    return issue_for(store, settings, actor, as_of=as_of, record=snap, now=now)
