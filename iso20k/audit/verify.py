"""``iso20k audit-trail verify``: the chain, the anchor, and the gradebook against the trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..store import ProgressStore
from ..store.trail import anchor_path, entries, raw_details, read_anchor
from .chain import ChainProblem, check_anchor, check_chain
from .grades import differences, read_grades, trail_state

__all__ = ["TrailReport", "anchor_path", "verify_trail"]


@dataclass
class TrailReport:
    entries: int
    head: str
    chain: list[ChainProblem] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)
    anchored: bool = False
    records: list[str] = field(default_factory=list)  # answers and module completions
    head_seq: int = 0
    anchor: tuple[int, str] | None = None
    answers: int = 0
    completions: int = 0

    @property
    def ok(self) -> bool:
        return not self.chain and not self.grades and not self.records

    @property
    def first_break(self) -> int | None:
        return min((p.seq for p in self.chain), default=None)

    def text(self) -> str:
        lines = []
        if self.ok:
            lines.append(f"Audit trail intact: {self.entries} entries, chain unbroken, every gradebook grade "
                         f"matches the trail; {self.answers} answers and {self.completions} module completions "
                         f"unchanged, none missing. Head: #{self.entries} {self.head}")
        else:
            if self.chain:
                lines.append(f"Audit trail BROKEN at entry #{self.first_break}:")
                lines += [f"  - {p}" for p in self.chain]
            if self.grades:
                lines.append(f"Gradebook differs from the trail in {len(self.grades)} place(s):")
                lines += [f"  - {g}" for g in self.grades]
                if any("never recorded" in g for g in self.grades):
                    lines.append("  Grades that existed before the trail was started are recorded once with "
                                 "'iso20k audit-trail baseline --reason ...'.")
            if self.records:
                lines.append(f"Answers and module completions: {len(self.records)} problem(s):")
                lines += [f"  - {r}" for r in self.records]
            if not self.chain and self.entries:
                lines.append(f"Head: #{self.entries} {self.head}")
        if not self.anchored:
            lines.append("(No anchor file: entries deleted from the end of the trail could not be checked.)")
        return "\n".join(lines)

    def head_text(self) -> str:
        """The head an auditor writes down and later checks against 'iso20k audit-trail verify'."""
        if not self.head_seq:
            return "the audit trail is empty"
        line = f"#{self.head_seq} {self.head}"
        if self.anchor and self.anchor != (self.head_seq, self.head):
            line += f" (anchor file: #{self.anchor[0]} {self.anchor[1]})"
        return line

    def summary(self) -> str:
        """One line for evidence packs."""
        if self.ok:
            return f"intact: {self.entries} entries, head {self.head[:16]}…, gradebook matches"
        where = f"chain breaks at entry #{self.first_break}" if self.chain else "chain unbroken"
        return (f"NOT intact: {where}; {len(self.grades)} gradebook difference(s); "
                f"{len(self.records)} answer/completion problem(s)")


def verify_trail(store: ProgressStore, gradebook_url: str | None, anchor: Path | None = None,
                 answer_anchors: Path | None = None) -> TrailReport:
    """Check every link of the chain, the head against the anchor file, and (when a gradebook is
    given) that the gradebook holds exactly the grades the trail recorded; every answer and module
    completion (store/evidence.py) against its hash, its learner's chain and the learners' anchors
    (``answer_anchors``, default: beside ``anchor``)."""
    from ..store.evidence import AnswerAnchors
    from .records_check import check_records

    if answer_anchors is None and anchor is not None:
        answer_anchors = Path(anchor).parent / "audit-anchors" / "answers"
    with store.reading() as conn:  # one moment: the chain, its details and the answers
        rows = list(entries(conn))
        raw = raw_details(conn)
        records, n_answers, n_completions = check_records(
            conn, AnswerAnchors(answer_anchors) if answer_anchors is not None else None)
    report = TrailReport(len(rows), rows[-1].hash if rows else "", records=records, answers=n_answers,
                         completions=n_completions)
    report.chain = check_chain(rows, raw)
    stored_anchor = read_anchor(anchor) if anchor else None
    report.anchored = stored_anchor is not None
    report.anchor = stored_anchor
    report.head_seq = rows[-1].seq if rows else 0
    report.chain += check_anchor(rows, stored_anchor)
    report.chain.sort(key=lambda p: p.seq)
    if gradebook_url:
        state, inconsistent = trail_state(rows)
        current, _ = read_grades(gradebook_url)
        report.grades = inconsistent + differences(state, current)
    return report
