"""The dashboard's certificates section: how many certificates are valid, expiring (refresher due)
or expired on the as-of day, and who is expiring or expired.  Reads the certificates' metadata
read-only (never the PDFs); a store without certificates shows nothing."""

from __future__ import annotations

from datetime import date
from html import escape

from ..certificates.model import Certificate
from ..tracks import TRACK_TITLES
from ..results import Person, Snapshot
from ..results.reader import read_only
from .tables import html_table

_TEXT = {
    "title": {"en": "Certificates: refreshers", "zh": "证书：复训"},
    "summary": {"en": "{valid} valid, {expiring} expiring (refresher due), {expired} expired",
                "zh": "有效 {valid} 张，即将到期（需复训）{expiring} 张，已过期 {expired} 张"},
    "header": {"en": ["Employee ID", "Name", "Department", "Track", "Valid until", "State"],
               "zh": ["员工编号", "姓名", "部门", "课程", "有效期至", "状态"]},
    "expiring": {"en": "expiring", "zh": "即将到期"},
    "expired": {"en": "expired", "zh": "已过期"},
}


def read_certificates(url: str, snap: Snapshot, after: tuple | None = None) -> tuple[tuple, list[Certificate] | None]:
    """(stamp, every certificate's metadata, not the PDF).  The list is [] when the store has no
    certificates table yet, and None when the stamp is still ``after`` (nothing was issued or
    revoked since the stamp was taken: nothing read)."""
    from ..store import certificates as stored

    with read_only(url, "certificates", snap) as conn:
        if conn is None or not stored.has_table(conn):
            return (), []
        stamp = stored.stamp(conn)
        if stamp == after:
            return stamp, None
        return stamp, [Certificate(**row) for row in stored.rows_in(conn)]
    return (), []  # the store could not be read: a note on the page says so


def certificate_panel(certs: list[Certificate], people: list[Person], as_of: date, warning_days: int,
                      language: str, version: int) -> str:
    """HTML for the people shown: counts and the expiring or expired certificates."""
    ids = {p.employee_id for p in people}
    latest: dict[tuple[str, str], Certificate] = {}
    for cert in certs:
        live = cert.revoked_at is None or cert.revoked_at.date() > as_of
        if cert.employee_id in ids and cert.passed_on <= as_of and live:
            key = (cert.employee_id, cert.track)
            if key not in latest or cert.passed_on > latest[key].passed_on:
                latest[key] = cert
    if not latest:
        return ""
    states = {key: cert.state(as_of, warning_days) for key, cert in latest.items()}
    counts = {s: sum(1 for v in states.values() if v == s) for s in ("valid", "expiring", "expired")}
    rows = [[c.employee_id, c.employee_name, c.department, TRACK_TITLES[c.track][language],
             c.valid_until.isoformat(), _TEXT[states[key]][language]]
            for key, c in sorted(latest.items(), key=lambda kv: (kv[1].valid_until, kv[0]))
            if states[key] in ("expiring", "expired")]
    table = html_table(_TEXT["header"][language], rows, "certificates", version) if rows else ""
    return (f'<div class="iso20k-certificates" data-version="{version}"><h3>{escape(_TEXT["title"][language])}</h3>'
            f'<p data-figure="certificates" data-expiring="{counts["expiring"]}" data-expired="{counts["expired"]}">'
            f'{escape(_TEXT["summary"][language].format(**counts))}</p>{table}</div>')
