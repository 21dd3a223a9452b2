"""Errors raised when a question bank is not right, worded for the person who wrote it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BankProblem:
    """One thing wrong in one bank file."""

    file: Path
    question_id: str | None
    field: str | None
    message: str
    hint: str
    line: int | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.line:
            where += f", line {self.line}"
        parts = [where]
        if self.question_id:
            parts.append(f"question {self.question_id}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return f"{': '.join(parts)}: {self.message}. Hint: {self.hint}"


class BankError(ValueError):
    """A bank (or several) could not be loaded.  ``problems`` lists every problem found."""

    def __init__(self, problems: list[BankProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
