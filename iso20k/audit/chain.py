"""The hash chain's checks: was an entry edited, removed or inserted, does the head match the anchor.

The chain itself (entries, their hashes, appending, the anchor file) is the store's audit-trail
table and is written and read in :mod:`iso20k.store.trail`; this module checks what it reads.
Rewriting the whole chain from some point on is only caught against a copy of a later head hash
(the anchor file, an evidence pack, the auditor's notes).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store.evidence import canonical
from ..store.trail import (
    GENESIS, Entry, anchor_path, append, append_all, append_in, entries, entry_hash, raw_details, read_anchor,
    recording,
)

__all__ = [
    "GENESIS", "ChainProblem", "Entry", "anchor_path", "append", "append_all", "append_in", "canonical",
    "check_anchor", "check_chain", "entries", "entry_hash", "raw_details", "read_anchor", "recording",
]


@dataclass(frozen=True)
class ChainProblem:
    """Where the chain breaks, and how."""

    seq: int
    kind: str  # edited | missing | relinked | anchor
    message: str

    def __str__(self) -> str:
        return self.message


def check_chain(rows: list[Entry], raw_details: dict[int, str] | None = None) -> list[ChainProblem]:
    """Every break in the chain, in order.  ``raw_details`` are the stored JSON texts by sequence
    number (the hash is recomputed over exactly what is stored)."""
    problems: list[ChainProblem] = []
    prev_seq, prev_hash = 0, GENESIS
    for e in rows:
        text = (raw_details or {}).get(e.seq, e.details_text)
        try:
            recomputed = entry_hash(e.seq, e.recorded_at, e.actor, e.action, e.subject, text, e.prev_hash)
        except ValueError:
            recomputed = ""
        if e.seq != prev_seq + 1:
            gone = f"#{prev_seq + 1}" if e.seq == prev_seq + 2 else f"#{prev_seq + 1} to #{e.seq - 1}"
            problems.append(ChainProblem(e.seq, "missing",
                                         f"entry {gone} is missing: entry #{e.seq} follows #{prev_seq} "
                                         "(entries were deleted)"))
        elif e.prev_hash != prev_hash:
            problems.append(ChainProblem(e.seq, "relinked",
                                         f"entry #{e.seq} does not point to the hash of entry #{prev_seq}: "
                                         "an entry before it was replaced or the chain was rewritten"))
        if recomputed != e.hash:
            problems.append(ChainProblem(e.seq, "edited",
                                         f"entry #{e.seq} ({e.action}, {e.subject}) was changed after it was "
                                         "written: its content no longer matches its hash"))
        prev_seq, prev_hash = e.seq, e.hash
    return problems


def check_anchor(rows: list[Entry], anchor: tuple[int, str] | None) -> list[ChainProblem]:
    if anchor is None:
        return []
    seq, digest = anchor
    by_seq = {e.seq: e for e in rows}
    last = rows[-1].seq if rows else 0
    if seq > last:
        return [ChainProblem(last + 1, "missing",
                             f"the trail ends at entry #{last} but entry #{seq} was written earlier (anchor "
                             f"file): entries #{last + 1} to #{seq} were deleted")]
    if seq in by_seq and by_seq[seq].hash != digest:
        return [ChainProblem(seq, "relinked",
                             f"entry #{seq} is not the entry that was written (its hash differs from the "
                             "anchor file): the chain was rewritten from there or earlier")]
    return []
