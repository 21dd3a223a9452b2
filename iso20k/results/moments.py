"""Moments as the record stores them, and the day a moment falls on in the configured zone."""

from __future__ import annotations

from datetime import date, datetime, timezone


def parse_moment(text_: str) -> datetime:
    """A moment as nbgrader writes it in ``timestamp.txt`` ("2026-11-30 16:45:00.000000 UTC", or
    ISO 8601 with an offset); without a zone it is UTC."""
    value = text_.strip()
    if value.endswith(" UTC"):
        value = value[:-4] + "+00:00"
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def configured_zone():
    """The zone whose days count (the ``time_zone`` setting, else the server's own)."""
    from ..settings import get_settings

    return get_settings().zone()


def day_in(value, zone=None) -> date | None:
    """The day (in ``zone``) a stored moment falls on.  Moments without a zone are UTC: the
    progress store writes UTC, SQLite drops the offset, and nbgrader keeps naive UTC.  Without
    ``zone``: the configured zone."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip()[:26].replace(" UTC", ""))
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(zone or configured_zone()).date()
    if isinstance(value, date):
        return value
    raise ValueError(f"not a moment: {value!r}")
