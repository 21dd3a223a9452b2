"""The dashboard's certificates section: how many certificates are valid, expiring (refresher due)
or expired on the as-of day, and who is expiring or expired.  Reads the certificates' metadata
read-only (never the PDFs).  The section is always there: with no certificate for the people
shown, it says none was issued yet."""

from __future__ import annotations

from datetime import date

from ..certificates.model import Certificate
from ..texts import N_, pt, t
from ..texts.templating import html_parts
from ..tracks import track_title
from ..results import Person, Snapshot
from ..results.reader import read_only
from ..results.rules import current_certificates
from .tables import html_table

_STATES = {"expiring": N_("expiring"), "expired": N_("expired")}


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
                      language: str, version: int, zone=None) -> str:
    """HTML for the people shown: counts and the expiring or expired certificates."""
    latest = current_certificates(certs, as_of, zone, {p.employee_id for p in people})
    panel = html_parts("iso20k.dashboard", "certificates.html").panel
    if not latest:
        return panel(language, version, {"valid": 0, "expiring": 0, "expired": 0}, None, none_yet=True)
    states = {key: cert.state(as_of, warning_days, zone) for key, cert in latest.items()}
    counts = {s: sum(1 for v in states.values() if v == s) for s in ("valid", "expiring", "expired")}
    rows = [[c.employee_id, c.employee_name, c.department, track_title(c.track, language),
             c.valid_until.isoformat(), t(_STATES[states[key]], language)]
            for key, c in sorted(latest.items(), key=lambda kv: (kv[1].valid_until, kv[0]))
            if states[key] in ("expiring", "expired")]
    table = html_table(_header(language), rows, "certificates", version) if rows else None
    return panel(language, version, counts, table)


def _header(language: str) -> list[str]:
    # TRANSLATORS: the track column of the certificates table (shorter than elsewhere).
    track = pt("certificates table", "Track", language)
    return [t("Employee ID", language), t("Name", language), t("Department", language), track,
            t("Valid until", language), t("State", language)]
