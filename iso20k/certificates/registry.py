"""Certificates in the progress store: issue (with the PDF exactly as issued and its SHA-256),
read, revoke.  Issuing and revoking each append to the audit trail in the same transaction."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from pathlib import Path

from ..results.rules import current_certificates
from ..settings import Settings
from ..store import ProgressStore
from ..store import certificates as stored
from ..store.trail import Entry
from .codes import new_code, normalise
from .model import Certificate, add_months
from .pdf import render

_FIELDS = stored.FIELDS


class CertificateError(RuntimeError):
    pass


class AlreadyIssued(CertificateError):
    """This pass has its certificate already (issued by another worker first)."""


def _aware(value):
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _row(row: dict) -> Certificate:
    data = dict(row)
    data["issued_at"], data["revoked_at"] = _aware(data["issued_at"]), _aware(data["revoked_at"])
    return Certificate(**data)


def certificates(store: ProgressStore, employee_id: str | None = None) -> list[Certificate]:
    """Every certificate (optionally of one employee), oldest pass first."""
    return [_row(r) for r in stored.rows(store, employee_id)]


def find(store: ProgressStore, code: str) -> Certificate | None:
    row = stored.row(store, code)
    return _row(row) if row else None


def pdf_bytes(store: ProgressStore, code: str) -> bytes | None:
    return stored.pdf(store, code)


def issue(store: ProgressStore, settings: Settings, *, employee_id: str, employee_name: str, department: str,
          track: str, score: float, max_score: float, passed_on: date, actor: str,
          now: datetime | None = None, font: Path | None = None, anchor: Path | None = None) -> tuple[Certificate, Entry]:
    """Issue one certificate: render the PDF, keep its bytes and hash, record it in the trail (the
    store moves the trail's anchor after the commit: its own, or ``anchor``)."""
    now = now or datetime.now(timezone.utc)
    valid_until = add_months(passed_on, settings.certificate_validity_months(track))
    company = f"{settings.company_name} / {settings.company_name_zh}"
    for _ in range(5):
        cert = Certificate(new_code(), employee_id, employee_name, department, track, float(score),
                           float(max_score), passed_on, valid_until, now, company, "")
        pdf = render(cert, settings, font, trail_head=stored.trail_head(store))
        digest = hashlib.sha256(pdf).hexdigest()
        cert = Certificate(**{**cert.__dict__, "sha256": digest})
        try:
            entry = stored.insert_issued(store, {f: getattr(cert, f) for f in _FIELDS}, pdf, actor, {
                "code": cert.code, "employee_id": employee_id, "employee_name": employee_name,
                "track": track, "score": cert.score, "max_score": cert.max_score,
                "passed_on": passed_on.isoformat(), "valid_until": valid_until.isoformat(),
                "sha256": digest}, anchor)
            return cert, entry
        except stored.IntegrityError as exc:
            if stored.exists(store, employee_id, track, passed_on):
                raise AlreadyIssued(f"{employee_id} already has a {track} certificate for the pass of "
                                       f"{passed_on}.") from exc
            continue  # a code collision: draw another
    raise CertificateError("could not draw an unused certificate code")


def revoke(store: ProgressStore, code: str, reason: str, actor: str,
           now: datetime | None = None, anchor: Path | None = None) -> tuple[Certificate, Entry]:
    """Revoke a certificate (it stays on record, marked revoked), with the reason, in the trail."""
    code = normalise(code)
    if not reason.strip():
        raise CertificateError("Give the reason for revoking (it goes into the audit trail).")
    now = now or datetime.now(timezone.utc)
    before, entry = stored.revoke(store, code, now, actor, reason.strip(), anchor)
    if before is None:
        raise CertificateError(f"No certificate has the code {code}.")
    if entry is None:
        raise CertificateError(f"Certificate {code} was already revoked on {before['revoked_at']}.")
    return find(store, code), entry


def latest_by_track(certs: list[Certificate], as_of: date, zone=None) -> dict[tuple[str, str], Certificate]:
    """Each (employee, track)'s current certificate on ``as_of``: revoked ones excluded, ties
    decided as :func:`iso20k.results.rules.current_certificate` decides them."""
    return current_certificates(certs, as_of, zone)


def remove_of(store: ProgressStore, employee_ids: list[str], actor: str, reason: str,
              anchor: Path | None = None) -> tuple[list[str], Entry | None]:
    """Delete every certificate of these employees, with one trail entry naming each code and the
    reason, in one transaction: only for the made-up demo company, whose people are rebuilt or
    removed (a real certificate is revoked, never deleted).  The codes removed and the entry."""
    return stored.remove_of(store, employee_ids, actor, reason, anchor)
