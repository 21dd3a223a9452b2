"""A certificate as stored, and what state it is in on a given day."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from ..results.rules import revoked_by
from ..texts import N_, t

STATES = ("valid", "expiring", "expired", "revoked")
#: A certificate's state, in words (English; translated through the texts' catalogue).
STATE_TEXTS = {
    # TRANSLATORS: a certificate's state (the verification page and `iso20k verify`).
    "valid": N_("valid"),
    "expiring": N_("valid, expiring soon: refresher due"),
    "expired": N_("expired"),
    "revoked": N_("revoked"),
}
#: state -> (English, Chinese), for the places that show both side by side.
STATE_TEXT = {state: (t(text, "en"), t(text, "zh")) for state, text in STATE_TEXTS.items()}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Certificate:
    code: str
    employee_id: str
    employee_name: str
    department: str
    track: str
    score: float
    max_score: float
    passed_on: date
    valid_until: date
    issued_at: datetime
    company: str
    sha256: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    def state(self, as_of: date, warning_days: int, zone=None) -> str:
        """valid, expiring (inside the warning window), expired or revoked, on ``as_of`` (a day in
        ``zone``, default the configured time zone)."""
        if revoked_by(self, as_of, zone):
            return "revoked"
        if as_of >= self.valid_until:
            return "expired"
        if (self.valid_until - as_of).days <= warning_days:
            return "expiring"
        return "valid"
