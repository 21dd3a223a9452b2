"""Who has earned a certificate: every lesson module of the track complete and the track's
assessment graded at or above its pass mark, read exactly as the dashboard reads them."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..results import Snapshot
from ..settings import Settings
from ..store import ProgressStore
from .fonts import prepare_subset
from .model import Certificate
from .pdf import FIXED_TEXT
from .registry import certificates, issue


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
    certificate gets a new one; the earlier one stays on record)."""
    have: dict[tuple[str, str], date] = {}
    for cert in certificates(store):
        key = (cert.employee_id, cert.track)
        have[key] = max(have.get(key, cert.passed_on), cert.passed_on)
    todo = [p for p in passes(snap, as_of)
            if have.get((p.employee_id, p.track)) is None or p.passed_on > have[(p.employee_id, p.track)]]
    issued = []
    if not todo:
        return issued
    with tempfile.TemporaryDirectory(prefix="iso20k-font-") as folder:
        text = FIXED_TEXT + "".join(p.name + p.department + p.employee_id for p in todo) + \
            settings.company_name + settings.company_name_zh + settings.verify_url
        font = prepare_subset(settings.certificate_font, text, Path(folder))
        for p in todo:
            cert, _ = issue(store, settings, employee_id=p.employee_id, employee_name=p.name,
                            department=p.department, track=p.track, score=p.score, max_score=p.max_score,
                            passed_on=p.passed_on, actor=actor, now=now, font=font)
            issued.append(cert)
    return issued
