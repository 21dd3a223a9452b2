"""The competence matrix: for each employee, each required track's status on a given day.

- met: a valid certificate (or a qualifying pass whose certificate is not issued yet)
- due: not yet met and not late, or met but inside the warning window before expiry (refresher due)
- overdue: never met and past the roster's due date
- expired: the latest certificate has expired and no newer pass replaced it
A revoked certificate counts as never issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..certificates.eligibility import passes
from ..certificates.model import Certificate
from ..results import Snapshot, current_certificates
from ..tracks import ASSESSMENTS

STATUSES = ("met", "due", "overdue", "expired")
STATUS_ZH = {"met": "已满足", "due": "待完成", "overdue": "逾期", "expired": "已过期"}


@dataclass(frozen=True)
class Requirement:
    employee_id: str
    name: str
    department: str
    role: str
    track: str
    assessment: str
    status: str
    due: date | None
    certificate: str  # code of the certificate the status rests on, or ''
    passed_on: date | None
    valid_until: date | None
    detail: str


def competence_matrix(snap: Snapshot, certs: list[Certificate], rules: dict[str, tuple[str, ...]], as_of: date,
                      warning_days: int, department: str | None = None) -> list[Requirement]:
    current = current_certificates(certs, as_of, snap.zone)
    passed = {(p.employee_id, p.track): p for p in passes(snap, as_of)}
    out = []
    for person in snap.people:
        if department and person.department != department:
            continue
        tracks = list(rules.get(person.role, ())) + [t for t in person.due if t not in rules.get(person.role, ())]
        for track in tracks:
            due = person.due.get(track)
            cert = current.get((person.employee_id, track))
            fresh = passed.get((person.employee_id, track))
            code, passed_on, valid_until = "", None, None
            if cert is not None and (fresh is None or fresh.passed_on <= cert.passed_on):
                code, passed_on, valid_until = cert.code, cert.passed_on, cert.valid_until
                state = cert.state(as_of, warning_days, snap.zone)
                status, detail = {"valid": ("met", "certificate valid"),
                                  "expiring": ("due", f"refresher due: certificate expires {cert.valid_until}"),
                                  "expired": ("expired", f"certificate expired {cert.valid_until}")}[state]
            elif fresh is not None:
                status, detail, passed_on = "met", "passed; certificate not issued yet", fresh.passed_on
            elif due is not None and due < as_of:
                status, detail = "overdue", f"was due {due}"
            else:
                status, detail = "due", f"due {due}" if due else "no due date"
            out.append(Requirement(person.employee_id, person.name, person.department, person.role, track,
                                   ASSESSMENTS[track], status, due, code, passed_on, valid_until, detail))
    return out


def counts(rows: list[Requirement]) -> dict[str, int]:
    out = {s: 0 for s in STATUSES}
    for r in rows:
        out[r.status] += 1
    return out
