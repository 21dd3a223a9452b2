"""How non-completion was followed up: per department, the reminders and the escalations to
managers that went out (the reminders' rows, iso20k/store/reminders.py), for the dashboard's
follow-up panel and the evidence pack alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .moments import day_in

#: Rules whose messages go to the employee themselves.
TO_EMPLOYEES = ("before-due", "overdue", "certificate")


@dataclass(frozen=True)
class FollowUp:
    department: str
    reminders: int  # messages to employees of the department (before due, overdue, certificate)
    escalations: int  # messages to the department's managers about its overdue people
    refused: int  # messages the mail server refused (or given up)


def follow_up_counts(rows: list[dict], departments: set[str] | None, as_of: date, zone) -> list[FollowUp]:
    """Per department (of ``departments``; None: every one), by department name: messages sent
    (or refused) on or before ``as_of`` in ``zone``."""
    counts: dict[str, list[int]] = {}
    for row in rows:
        if row["rule"] not in (*TO_EMPLOYEES, "escalation") or row["state"] not in ("sent", "refused"):
            continue
        department = row["department"]
        if departments is not None and department not in departments:
            continue
        if day_in(row["updated_at"], zone) > as_of:
            continue
        cell = counts.setdefault(department, [0, 0, 0])
        if row["state"] == "refused":
            cell[2] += 1
        elif row["rule"] == "escalation":
            cell[1] += 1
        else:
            cell[0] += 1
    return [FollowUp(d, *counts[d]) for d in sorted(counts)]
