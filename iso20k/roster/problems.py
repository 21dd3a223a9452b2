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

    def __init__(self, path: Path, problems: list[RosterProblem]):
        self.path = Path(path)
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{self.path}: nothing was imported; {len(self.problems)} problem(s):\n{lines}")
