"""The hash chain: append an entry, read entries, check that none was edited, removed or inserted.

Each entry's hash is the SHA-256 of its canonical JSON (sequence number, time, actor, action,
subject, details and the previous entry's hash).  Editing an entry changes its hash; removing one
leaves a gap in the sequence and a broken link; rewriting the whole chain from some point on is
only caught against a copy of a later head hash (the anchor file, an evidence pack, the auditor's
notes), which is why the head is written to the anchor file and printed by every trail command.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from ..store import ProgressStore, tables

GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    seq: int
    recorded_at: str
    actor: str
    action: str
    subject: str
    details: dict
    prev_hash: str
    hash: str

    @property
    def details_text(self) -> str:
        return canonical(self.details)


@dataclass(frozen=True)
class ChainProblem:
    """Where the chain breaks, and how."""

    seq: int
    kind: str  # edited | missing | relinked | anchor
    message: str

    def __str__(self) -> str:
        return self.message


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(seq: int, recorded_at: str, actor: str, action: str, subject: str, details_text: str,
               prev_hash: str) -> str:
    payload = canonical([seq, recorded_at, actor, action, subject, json.loads(details_text), prev_hash])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def append_in(conn: Connection, actor: str, action: str, subject: str, details: dict,
              recorded_at: str | None = None) -> Entry:
    """Append one entry inside the caller's transaction (so it commits with the change it records)."""
    t = tables.audit_trail
    last = conn.execute(select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = recorded_at or _now_text()
    text = canonical(details)
    digest = entry_hash(seq, at, actor, action, subject, text, prev)
    conn.execute(insert(t).values(seq=seq, recorded_at=at, actor=actor, action=action, subject=subject,
                                  details=text, prev_hash=prev, hash=digest))
    return Entry(seq, at, actor, action, subject, json.loads(text), prev, digest)


def append(store: ProgressStore, actor: str, action: str, subject: str, details: dict,
           anchor: Path | None = None) -> Entry:
    """Append one entry in its own transaction; retried when another process appended first."""
    for attempt in range(20):
        try:
            with store.engine.begin() as conn:
                entry = append_in(conn, actor, action, subject, details)
            break
        except IntegrityError:
            if attempt == 19:
                raise
    if anchor is not None:
        write_anchor(anchor, entry)
    return entry


def entries(conn_or_store) -> Iterator[Entry]:
    """Every entry in sequence order."""
    t = tables.audit_trail
    if isinstance(conn_or_store, ProgressStore):
        with conn_or_store.engine.connect() as conn:
            yield from entries(conn)
        return
    for row in conn_or_store.execute(select(t).order_by(t.c.seq)):
        try:
            details = json.loads(row.details)
        except ValueError:
            details = {"unreadable": row.details}
        yield Entry(row.seq, row.recorded_at, row.actor, row.action, row.subject, details, row.prev_hash, row.hash)


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


def raw_details(conn: Connection) -> dict[int, str]:
    t = tables.audit_trail
    return {seq: text for seq, text in conn.execute(select(t.c.seq, t.c.details))}


# -- the anchor: a copy of the latest head outside the database ------------------------------
def write_anchor(path: Path, entry: Entry) -> None:
    """Remember the newest head seen (never move it backwards)."""
    path = Path(path)
    current = read_anchor(path)
    if current and current[0] >= entry.seq:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"seq": entry.seq, "hash": entry.hash}) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except PermissionError:
        # On the hub the anchor belongs to the trail writer (the records account) alone: another
        # account (the grader's formgrader or terminal) cannot move it, and must not; the anchor
        # then stays at an older head, which 'verify' still checks against the chain.
        import sys

        print(f"iso20k: the audit trail's anchor {path} is not writable by this account; it stays at "
              f"entry {current[0] if current else 0} (the trail writer moves it)", file=sys.stderr)


def read_anchor(path: Path) -> tuple[int, str] | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return int(data["seq"]), str(data["hash"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


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
