"""The dashboard's follow-up section: per department, how many reminders went to employees and how
many escalations to managers (iso20k/reminders/), as of the page's day, for the departments the
viewer sees.  Reads the reminders' rows read-only; a store without them shows nothing."""

from __future__ import annotations

from datetime import date

from ..results import Snapshot
from ..results.follow_up import follow_up_counts
from ..results.reader import read_only
from ..texts import t
from ..texts.templating import html_parts
from .tables import html_table


def read_follow_up(url: str, snap: Snapshot) -> list[dict]:
    """Every reminder row ([] when the store has none yet or cannot be read: a note says so)."""
    from ..store import reminders as stored

    with read_only(url, "reminders", snap) as conn:
        return [] if conn is None else stored.rows(conn)
    return []


def follow_up_panel(rows: list[dict], departments: set[str], as_of: date, language: str, version: int,
                    zone=None) -> str:
    """HTML for ``departments`` (the view's): reminders, escalations and refused messages each."""
    counts = follow_up_counts(rows, departments, as_of, zone)
    if not counts:
        return ""
    header = [t("Department", language), t("reminders sent", language), t("escalations to managers", language),
              t("refused by the mail server", language)]
    cells = [[c.department, str(c.reminders), str(c.escalations), str(c.refused)] for c in counts]
    totals = {"reminders": sum(c.reminders for c in counts), "escalations": sum(c.escalations for c in counts)}
    return html_parts("iso20k.dashboard", "follow_up.html").panel(
        language, version, totals, html_table(header, cells, "follow-up", version))
