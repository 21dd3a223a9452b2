"""What grading one submission came to, and the summary of a batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

STATUSES = ("graded", "failed", "timed out", "out of memory", "too much output")
WITHOUT_ISOLATION = ("WITHOUT ISOLATION: learners' code ran with the grader's rights and could read and "
                     "change the course folder and gradebook (--without-isolation)")
#: How each way of grading is recorded in the report.
MODES = {
    "answers": "answers read as data; no learner code was run",
    "sandbox": "learners' code ran in the bubblewrap sandbox",
    "unisolated": "none (--without-isolation)",
}


@dataclass
class Outcome:
    student: str
    status: str
    seconds: float
    tamper: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Summary:
    assignment: str
    outcomes: list[Outcome]
    seconds: float
    report_path: Path | None = None
    isolated: bool = True
    mode: str = "sandbox"

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def tampered(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.tamper]

    def text(self) -> str:
        lines = [f"{self.assignment}: {len(self.outcomes)} submission(s) in {self.seconds:.1f}s — "
                 + ", ".join(f"{self.count(s)} {s}" for s in STATUSES) + f", {len(self.tampered)} tampered"]
        if self.mode == "answers":
            lines.append("  " + MODES["answers"])
        elif not self.isolated:
            lines.append("  " + WITHOUT_ISOLATION)
        for o in self.outcomes:
            if o.status != "graded" or o.tamper or o.problems:
                detail = "; ".join(o.problems + o.tamper)
                lines.append(f"  {o.student}: {o.status}{' (tampered)' if o.tamper else ''}: {detail}")
        return "\n".join(lines)
