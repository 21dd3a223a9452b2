"""Certificates in the progress store: issue (with the PDF exactly as issued and its SHA-256),
read, revoke.  Issuing and revoking each append to the audit trail in the same transaction."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..audit.chain import Entry, append_in
from ..results.rules import current_certificates
from ..settings import Settings
from ..store import ProgressStore, tables
from .codes import new_code, normalise
from .model import Certificate, add_months
from .pdf import render

_FIELDS = ("code", "employee_id", "employee_name", "department", "track", "score", "max_score", "passed_on",
           "valid_until", "issued_at", "company", "sha256", "revoked_at", "revoked_by", "revoke_reason")


class CertificateError(RuntimeError):
    pass


class AlreadyIssued(CertificateError):
    """This pass has its certificate already (issued by another worker first)."""


def _aware(value):
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _row(row) -> Certificate:
    data = {f: getattr(row, f) for f in _FIELDS}
    data["issued_at"], data["revoked_at"] = _aware(data["issued_at"]), _aware(data["revoked_at"])
    return Certificate(**data)


def certificates(store: ProgressStore, employee_id: str | None = None) -> list[Certificate]:
    """Every certificate (optionally of one employee), oldest pass first."""
    c = tables.certificates
    query = select(*[c.c[f] for f in _FIELDS]).order_by(c.c.passed_on, c.c.issued_at)
    if employee_id:
        query = query.where(c.c.employee_id == employee_id)
    with store.engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def find(store: ProgressStore, code: str) -> Certificate | None:
    c = tables.certificates
    with store.engine.connect() as conn:
        row = conn.execute(select(*[c.c[f] for f in _FIELDS]).where(c.c.code == code)).first()
    return _row(row) if row else None


def pdf_bytes(store: ProgressStore, code: str) -> bytes | None:
    c = tables.certificates
    with store.engine.connect() as conn:
        return conn.execute(select(c.c.pdf).where(c.c.code == code)).scalar()


def issue(store: ProgressStore, settings: Settings, *, employee_id: str, employee_name: str, department: str,
          track: str, score: float, max_score: float, passed_on: date, actor: str,
          now: datetime | None = None, font: Path | None = None) -> tuple[Certificate, Entry]:
    """Issue one certificate: render the PDF, keep its bytes and hash, record it in the trail."""
    now = now or datetime.now(timezone.utc)
    valid_until = add_months(passed_on, settings.certificate_validity_months(track))
    company = f"{settings.company_name} / {settings.company_name_zh}"
    for _ in range(5):
        cert = Certificate(new_code(), employee_id, employee_name, department, track, float(score),
                           float(max_score), passed_on, valid_until, now, company, "")
        pdf = render(cert, settings, font, trail_head=_trail_head(store))
        digest = hashlib.sha256(pdf).hexdigest()
        cert = Certificate(**{**cert.__dict__, "sha256": digest})
        try:
            with store.engine.begin() as conn:
                conn.execute(insert(tables.certificates).values(pdf=pdf, **{f: getattr(cert, f) for f in _FIELDS}))
                entry = append_in(conn, actor, "certificate-issued", f"{employee_id}/{track}", {
                    "code": cert.code, "employee_id": employee_id, "employee_name": employee_name,
                    "track": track, "score": cert.score, "max_score": cert.max_score,
                    "passed_on": passed_on.isoformat(), "valid_until": valid_until.isoformat(),
                    "sha256": digest})
            return cert, entry
        except IntegrityError as exc:
            if _exists(store, employee_id, track, passed_on):
                raise AlreadyIssued(f"{employee_id} already has a {track} certificate for the pass of "
                                       f"{passed_on}.") from exc
            continue  # a code collision: draw another
    raise CertificateError("could not draw an unused certificate code")


def _trail_head(store: ProgressStore) -> tuple[int, str] | None:
    """The trail's newest entry now (an entry appended before the certificate's own is fine: the
    certificate then fixes an earlier head, which the auditor checks the same way)."""
    t = tables.audit_trail
    with store.engine.connect() as conn:
        row = conn.execute(select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def _exists(store: ProgressStore, employee_id: str, track: str, passed_on: date) -> bool:
    c = tables.certificates
    with store.engine.connect() as conn:
        return conn.execute(select(c.c.code).where(c.c.employee_id == employee_id, c.c.track == track,
                                                   c.c.passed_on == passed_on)).first() is not None


def revoke(store: ProgressStore, code: str, reason: str, actor: str,
           now: datetime | None = None) -> tuple[Certificate, Entry]:
    """Revoke a certificate (it stays on record, marked revoked), with the reason, in the trail."""
    code = normalise(code)
    if not reason.strip():
        raise CertificateError("Give the reason for revoking (it goes into the audit trail).")
    now = now or datetime.now(timezone.utc)
    c = tables.certificates
    with store.engine.begin() as conn:
        row = conn.execute(select(c.c.revoked_at, c.c.employee_id, c.c.track).where(c.c.code == code)).first()
        if row is None:
            raise CertificateError(f"No certificate has the code {code}.")
        if row.revoked_at is not None:
            raise CertificateError(f"Certificate {code} was already revoked on {row.revoked_at}.")
        conn.execute(update(c).where(c.c.code == code).values(revoked_at=now, revoked_by=actor,
                                                                revoke_reason=reason.strip()))
        entry = append_in(conn, actor, "certificate-revoked", f"{row.employee_id}/{row.track}",
                          {"code": code, "reason": reason.strip()})
    return find(store, code), entry


def latest_by_track(certs: list[Certificate], as_of: date, zone=None) -> dict[tuple[str, str], Certificate]:
    """Each (employee, track)'s current certificate on ``as_of``: revoked ones excluded, ties
    decided as :func:`iso20k.results.rules.current_certificate` decides them."""
    return current_certificates(certs, as_of, zone)


def remove_of(store: ProgressStore, employee_ids: list[str], actor: str, reason: str) -> tuple[list[str], Entry | None]:
    """Delete every certificate of these employees, with one trail entry naming each code and the
    reason, in one transaction: only for the made-up demo company, whose people are rebuilt or
    removed (a real certificate is revoked, never deleted).  The codes removed and the entry."""
    from sqlalchemy import delete

    c = tables.certificates
    ids = sorted(set(employee_ids))
    codes: list[tuple[str, str, str]] = []
    entry = None
    with store.engine.begin() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            codes += [tuple(r) for r in conn.execute(select(c.c.code, c.c.employee_id, c.c.track)
                                                     .where(c.c.employee_id.in_(chunk)))]
            conn.execute(delete(c).where(c.c.employee_id.in_(chunk)))
        if codes:
            removed = [{"code": code, "employee_id": eid, "track": track} for code, eid, track in sorted(codes)]
            entry = append_in(conn, actor, "certificates-removed", f"{len(codes)} certificate(s)",
                              {"reason": reason, "certificates": removed})
    return [code for code, _, _ in codes], entry
