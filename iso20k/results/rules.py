"""The rules that decide what the company's record means, each written once.

Every face (the dashboard, My training, certificates, competence, xAPI, the evidence pack,
``nbgrader export``, the audit tools) asks these functions; none writes its own copy:

- :func:`grade_score` and :func:`submission_score`: what a grade and a hand-in score, as nbgrader
  counts it (``Grade.score``: the manual score if a grader gave one, else the automatic score,
  plus extra credit; a hand-in's score is the sum over its grades less its late penalty, never
  below zero).  Readers take the sums from nbgrader's own models (see :mod:`.gradebook`);
- :func:`passed`: a graded hand-in passes at or above the track's mark (a share of the points);
- :func:`~.moments.day_in`: the day a moment falls on, in the configured zone;
- :func:`current_certificate`: a person's certificate for a track on a day;
- :func:`hub_user_name` / :func:`id_in_roster`: hub (and nbgrader) user names and roster ids.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Callable, Iterable, Protocol

from .moments import configured_zone, day_in

#: Scores are sums of floats; a score this close below the mark is at the mark.
TOLERANCE = 1e-9


def grade_score(auto, manual, extra) -> float | None:
    """One grade's score as nbgrader counts it (``nbgrader.api.Grade.score``), None when the
    grade has neither an automatic nor a manual score yet (nbgrader then counts 0)."""
    base = manual if manual is not None else auto
    if base is None:
        return None
    return round(float(base) + float(extra or 0), 6)


def submission_score(raw: float | None, late_penalty: float | None) -> float:
    """A hand-in's score: nbgrader's ``SubmittedAssignment.score`` less its late penalty, not
    below zero (as ``nbgrader export`` and the formgrader count it)."""
    return max(0.0, float(raw or 0) - float(late_penalty or 0))


def passed(score: float | None, max_score: float | None, mark: float, needs_manual: bool = False) -> bool | None:
    """True or False once graded; None while not graded (no score, a written answer waiting for
    its mark, or an assessment without points).  ``mark`` is the share of the points needed."""
    if score is None or needs_manual or not max_score:
        return None
    return score >= mark * max_score - TOLERANCE


# -- certificates -----------------------------------------------------------------------------
class _Certificate(Protocol):
    code: str
    employee_id: str
    track: str
    passed_on: date
    issued_at: datetime
    revoked_at: datetime | None


def revoked_by(cert: _Certificate, as_of: date, zone=None) -> bool:
    """Whether ``cert`` was revoked on or before ``as_of`` (the revocation's day in ``zone``,
    default the configured zone)."""
    return cert.revoked_at is not None and day_in(cert.revoked_at, zone or configured_zone()) <= as_of


def current_certificate(certs: Iterable[_Certificate], as_of: date, zone=None):
    """The certificate a person holds for a track on ``as_of`` (``certs``: theirs for that track),
    or None: of those passed on or before ``as_of`` and not revoked by then, the latest pass; of
    two for the same pass day, the one issued later; of two issued at the same moment, the
    greater code.  A revoked certificate counts as never issued."""
    zone = zone or configured_zone()
    live = [c for c in certs if c.passed_on <= as_of and not revoked_by(c, as_of, zone)]
    return max(live, key=_order, default=None)


def _order(cert: _Certificate):
    issued = cert.issued_at
    if isinstance(issued, datetime) and issued.tzinfo is None:
        issued = issued.replace(tzinfo=timezone.utc)
    return (cert.passed_on, issued, cert.code)


def current_certificates(certs: Iterable[_Certificate], as_of: date, zone=None,
                         employees: set[str] | None = None) -> dict[tuple[str, str], _Certificate]:
    """(employee id, track) -> :func:`current_certificate`, for everyone (or ``employees``)."""
    grouped: dict[tuple[str, str], list] = {}
    for cert in certs:
        if employees is None or cert.employee_id in employees:
            grouped.setdefault((cert.employee_id, cert.track), []).append(cert)
    out, zone = {}, zone or configured_zone()
    for key, mine in grouped.items():
        cert = current_certificate(mine, as_of, zone)
        if cert is not None:
            out[key] = cert
    return out


# -- names ------------------------------------------------------------------------------------
def hub_user_name(employee_id: str) -> str:
    """The hub (operating-system, nbgrader student) name of an employee: JupyterHub lower-cases
    user names; the roster keeps employee ids as HR writes them (``E001``)."""
    return str(employee_id).strip().lower()


def id_in_roster(ids: Iterable[str]) -> Callable[[str], str]:
    """A function from a hub or nbgrader user name (or an employee id in any case) to the
    roster's employee id among ``ids``; names not in the roster are returned as they are.
    Employee ids are unique ignoring case (the roster import refuses others)."""
    by_name = {hub_user_name(i): i for i in ids}
    return lambda name: by_name.get(hub_user_name(name), name)
