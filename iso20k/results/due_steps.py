"""Where a person stands against a track's due date, in the words the reminders use and My
training shows: "due in 7 days", "due today", "overdue since 2026-12-01"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..texts import t


@dataclass(frozen=True)
class DueStep:
    kind: str  # "due-in", "due-today" or "overdue"
    days: int  # days left (due-in), 0 (due-today), days overdue (overdue)
    due: date

    @property
    def since(self) -> date | None:
        """The first day overdue (the day after the due date); None while not overdue."""
        return self.due + timedelta(days=1) if self.kind == "overdue" else None


def due_step(due: date | None, status: str, as_of: date) -> DueStep | None:
    """The step of a track with due date ``due`` and status ``status`` (:mod:`.status`) on
    ``as_of``; None when nothing is due (no date, passed, or handed in and waiting for a grade)."""
    if due is None or status in ("passed", "submitted"):
        return None
    days = (due - as_of).days
    if status == "overdue" or days < 0:
        return DueStep("overdue", -days, due)
    return DueStep("due-today", 0, due) if days == 0 else DueStep("due-in", days, due)


def due_text(step: DueStep, language: str | None) -> str:
    """The step in words, in ``language``."""
    if step.kind == "overdue":
        return t("overdue since {day}", language, day=step.since.isoformat())
    if step.kind == "due-today":
        return t("due today", language)
    return t("due in {n} days", language, n=step.days) if step.days != 1 else t("due tomorrow", language)
