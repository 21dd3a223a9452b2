"""Roster problems, each with its line number, worded for the training office."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RosterProblem:
    line: int | None
    column: str | None
    message: str
    hint: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}. Hint: {self.hint}"


class RosterError(ValueError):
    """The roster was not imported; ``problems`` lists everything wrong with it."""

    def __init__(self, path: Path, problems: list[RosterProblem], note: str = ""):
        self.path = Path(path)
        self.problems = list(problems)
        self.note = note
        lines = "\n".join(f"  {p}" for p in self.problems)
        tail = f"\n{note}" if note else ""
        super().__init__(f"{self.path}: nothing was imported; {len(self.problems)} problem(s):\n{lines}{tail}")


class ConfirmationNeeded(Exception):
    """A full import would mark more of the active employees inactive than the
    ``roster_confirm_inactive_share`` setting allows without confirmation.  Nothing was written;
    ``result`` is the preview of what the import would do."""

    def __init__(self, result, share_limit: float):
        self.result = result
        self.share_limit = share_limit
        n, active = len(result.deactivated), result.active_before
        super().__init__(
            f"{result.source}: nothing was imported. This {'full ' if result.scope == 'full' else ''}import would mark {n} of the {active} active "
            f"employees ({n / active:.0%}) inactive, more than ISO20K_ROSTER_CONFIRM_INACTIVE_SHARE "
            f"({share_limit:.0%}) allows without confirmation. If the file holds only some departments, "
            "import it with --department NAME (or --partial); if these people really left, run the import "
            "again with --yes. See what would change with --dry-run.")
