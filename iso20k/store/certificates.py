"""The certificates table: certificates exactly as issued (the PDF's bytes and their SHA-256) and
their revocation.  Issuing and revoking each append to the audit trail in the same transaction
(store/trail.py moves the trail's anchor after the commit).  What a certificate means (its model,
its PDF, who is due one) is :mod:`iso20k.certificates`'s; these are plain rows."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from sqlalchemy import Connection, delete, func, inspect, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import tables
from .trail import Entry, head, recording

if TYPE_CHECKING:
    from .progress import ProgressStore

__all__ = [
    "FIELDS", "IntegrityError", "code_of_sha256", "exists", "has_table", "insert_issued", "pdf", "remove_of",
    "revoke", "row", "rows", "rows_in", "stamp", "trail_head",
]

#: A certificate's columns apart from its PDF, in the order of :class:`iso20k.certificates.Certificate`.
FIELDS = ("code", "employee_id", "employee_name", "department", "track", "score", "max_score", "passed_on",
          "valid_until", "issued_at", "company", "sha256", "revoked_at", "revoked_by", "revoke_reason")


def _columns():
    c = tables.certificates
    return [c.c[f] for f in FIELDS]


def _dict(r) -> dict:
    return {f: getattr(r, f) for f in FIELDS}


def rows(store: "ProgressStore", employee_id: str | None = None) -> list[dict]:
    """Every certificate's metadata (optionally of one employee), oldest pass first."""
    c = tables.certificates
    query = select(*_columns()).order_by(c.c.passed_on, c.c.issued_at)
    if employee_id:
        query = query.where(c.c.employee_id == employee_id)
    with store.reading() as conn:
        return [_dict(r) for r in conn.execute(query)]


def row(store: "ProgressStore", code: str) -> dict | None:
    c = tables.certificates
    with store.reading() as conn:
        r = conn.execute(select(*_columns()).where(c.c.code == code)).first()
    return _dict(r) if r else None


def pdf(store: "ProgressStore", code: str) -> bytes | None:
    """The PDF exactly as issued."""
    c = tables.certificates
    with store.reading() as conn:
        return conn.execute(select(c.c.pdf).where(c.c.code == code)).scalar()


def code_of_sha256(store: "ProgressStore", digest: str) -> str | None:
    """The code of the certificate whose PDF has this SHA-256."""
    c = tables.certificates
    with store.reading() as conn:
        return conn.execute(select(c.c.code).where(c.c.sha256 == digest)).scalar()


def exists(store: "ProgressStore", employee_id: str, track: str, passed_on: date) -> bool:
    """Is there a certificate for this pass already (one per employee, track and day passed)?"""
    c = tables.certificates
    with store.reading() as conn:
        return conn.execute(select(c.c.code).where(c.c.employee_id == employee_id, c.c.track == track,
                                                   c.c.passed_on == passed_on)).first() is not None


def trail_head(store: "ProgressStore") -> tuple[int, str] | None:
    """The trail's newest entry now (printed on a certificate)."""
    with store.reading() as conn:
        return head(conn)


def insert_issued(store: "ProgressStore", values: dict, pdf_bytes: bytes, actor: str, details: dict,
                  anchor: Path | None = None) -> Entry:
    """Keep one issued certificate (``values``: :data:`FIELDS`) with its PDF and append
    'certificate-issued' with ``details`` to the trail, in one transaction (the trail's anchor
    follows: the store's, or ``anchor``).  Raises :class:`IntegrityError` when the code is taken
    or the pass already has its certificate."""
    with recording(store, anchor) as rec:
        rec.conn.execute(insert(tables.certificates).values(pdf=pdf_bytes, **{f: values[f] for f in FIELDS}))
        return rec.append(actor, "certificate-issued", f"{values['employee_id']}/{values['track']}", details)


def revoke(store: "ProgressStore", code: str, now: datetime, actor: str, reason: str,
           anchor: Path | None = None) -> tuple[dict | None, Entry | None]:
    """Mark a certificate revoked and append 'certificate-revoked' to the trail, in one transaction.
    Returns the row as it was before (None: no such code) and the entry (None: nothing written,
    because there is no such certificate or it was revoked already)."""
    c = tables.certificates
    with recording(store, anchor) as rec:
        before = rec.conn.execute(select(*_columns()).where(c.c.code == code)).first()
        if before is None or before.revoked_at is not None:
            return (_dict(before) if before else None), None
        rec.conn.execute(update(c).where(c.c.code == code).values(revoked_at=now, revoked_by=actor,
                                                                  revoke_reason=reason))
        entry = rec.append(actor, "certificate-revoked", f"{before.employee_id}/{before.track}",
                           {"code": code, "reason": reason})
    return _dict(before), entry


def remove_of(store: "ProgressStore", employee_ids: Iterable[str], actor: str, reason: str,
              anchor: Path | None = None) -> tuple[list[str], Entry | None]:
    """Delete every certificate of these employees with one 'certificates-removed' entry naming
    each code and the reason, in one transaction: only for the made-up demo company, whose people
    are rebuilt or removed (a real certificate is revoked, never deleted).  The codes removed and
    the entry (None: there were none)."""
    c = tables.certificates
    ids = sorted(set(employee_ids))
    codes: list[tuple[str, str, str]] = []
    entry = None
    with recording(store, anchor) as rec:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            codes += [tuple(r) for r in rec.conn.execute(select(c.c.code, c.c.employee_id, c.c.track)
                                                         .where(c.c.employee_id.in_(chunk)))]
            rec.conn.execute(delete(c).where(c.c.employee_id.in_(chunk)))
        if codes:
            removed = [{"code": code, "employee_id": eid, "track": track} for code, eid, track in sorted(codes)]
            entry = rec.append(actor, "certificates-removed", f"{len(codes)} certificate(s)",
                               {"reason": reason, "certificates": removed})
    return [code for code, _, _ in codes], entry


# -- on a connection the caller holds (the dashboard's read-only one) ---------------------------
def has_table(conn: Connection) -> bool:
    """False on a store older than the certificates (nothing to read)."""
    return inspect(conn).has_table("certificates")


def stamp(conn: Connection) -> tuple:
    """Changes whenever a certificate is issued or revoked (certificates are never deleted)."""
    c = tables.certificates
    return tuple(conn.execute(select(func.count(), func.max(c.c.issued_at), func.count(c.c.revoked_at),
                                     func.max(c.c.revoked_at))).one())


def rows_in(conn: Connection) -> list[dict]:
    """Every certificate's metadata (never the PDFs)."""
    return [_dict(r) for r in conn.execute(select(*_columns()))]
