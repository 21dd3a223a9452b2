"""The audit trail's table: append entries, read them back, and keep the anchor.

Each entry's hash is the SHA-256 of its canonical JSON (sequence number, time, actor, action,
subject, details and the previous entry's hash).  Editing an entry changes its hash; removing one
leaves a gap in the sequence and a broken link; rewriting the whole chain from some point on is
only caught against a copy of a later head hash (the anchor file, an evidence pack, the auditor's
notes), which is why the head is written to the anchor file after every append.

Every write to the trail goes through :func:`recording` (one transaction: the change and the
entries that record it commit together); the anchor is moved in one place, :func:`_committed`,
after the commit, to the store's ``trail_anchor`` (or the ``anchor`` a caller names).  The checks
of a chain (``iso20k audit-trail verify``) live in :mod:`iso20k.audit.chain`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from . import tables
from .evidence import canonical

if TYPE_CHECKING:
    from .progress import ProgressStore

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


def entry_hash(seq: int, recorded_at: str, actor: str, action: str, subject: str, details_text: str,
               prev_hash: str) -> str:
    payload = canonical([seq, recorded_at, actor, action, subject, json.loads(details_text), prev_hash])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def head(conn: Connection) -> tuple[int, str] | None:
    """The trail's newest entry: (seq, hash), None while the trail is empty."""
    t = tables.audit_trail
    row = conn.execute(select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)).first()
    return (int(row[0]), row[1]) if row else None


def append_in(conn: Connection, actor: str, action: str, subject: str, details: dict,
              recorded_at: str | None = None) -> Entry:
    """Append one entry inside the caller's transaction (so it commits with the change it records).
    Store modules use it inside :func:`recording`, which moves the anchor after the commit."""
    t = tables.audit_trail
    last = head(conn)
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = recorded_at or _now_text()
    text = canonical(details)
    digest = entry_hash(seq, at, actor, action, subject, text, prev)
    conn.execute(insert(t).values(seq=seq, recorded_at=at, actor=actor, action=action, subject=subject,
                                  details=text, prev_hash=prev, hash=digest))
    return Entry(seq, at, actor, action, subject, json.loads(text), prev, digest)


@dataclass
class Recording:
    """One open transaction on the store that may append to the trail (see :func:`recording`)."""

    conn: Connection
    written: list[Entry] = field(default_factory=list)

    def append(self, actor: str, action: str, subject: str, details: dict) -> Entry:
        entry = append_in(self.conn, actor, action, subject, details)
        self.written.append(entry)
        return entry


@contextmanager
def recording(store: "ProgressStore", anchor: Path | None = None) -> Iterator[Recording]:
    """A write transaction whose trail entries commit with the change they record; after the
    commit the anchor (``anchor``, default the store's ``trail_anchor``) moves to the newest entry
    written.  Nothing is anchored when the transaction fails or wrote no entry."""
    with store.engine.begin() as conn:
        rec = Recording(conn)
        yield rec
    _committed(store, rec.written, anchor)


def _committed(store: "ProgressStore", written: list[Entry], anchor: Path | None) -> None:
    """The one place the trail's anchor is written: after a commit that appended ``written``."""
    target = anchor if anchor is not None else getattr(store, "trail_anchor", None)
    if written and target is not None:
        _move_anchor(Path(target), written[-1])


def append(store: "ProgressStore", actor: str, action: str, subject: str, details: dict,
           anchor: Path | None = None) -> Entry:
    """Append one entry in its own transaction; retried when another process appended first."""
    for attempt in range(20):
        try:
            with recording(store, anchor) as rec:
                entry = rec.append(actor, action, subject, details)
            return entry
        except IntegrityError:
            if attempt == 19:
                raise
    raise AssertionError("unreachable")


def append_all(store: "ProgressStore", items: Iterable[tuple[str, str, str, dict]],
               anchor: Path | None = None) -> list[Entry]:
    """Append ``(actor, action, subject, details)`` items in one transaction (all or none)."""
    items = list(items)
    if not items:
        return []
    for attempt in range(20):
        try:
            with recording(store, anchor) as rec:
                for actor, action, subject, details in items:
                    rec.append(actor, action, subject, details)
            return rec.written
        except IntegrityError:  # another process appended first: the whole transaction again
            if attempt == 19:
                raise
    raise AssertionError("unreachable")


def entries(conn_or_store) -> Iterator[Entry]:
    """Every entry in sequence order (from a connection, or a store)."""
    t = tables.audit_trail
    if not isinstance(conn_or_store, Connection):
        with conn_or_store.engine.connect() as conn:
            yield from entries(conn)
        return
    for row in conn_or_store.execute(select(t).order_by(t.c.seq)):
        try:
            details = json.loads(row.details)
        except ValueError:
            details = {"unreadable": row.details}
        yield Entry(row.seq, row.recorded_at, row.actor, row.action, row.subject, details, row.prev_hash, row.hash)


def entries_of(conn_or_store, actions: Iterable[str], subject: str | None = None) -> Iterator[Entry]:
    """The entries of ``actions`` (about ``subject`` only, when given), in sequence order: the
    sittings of timed assessments are read so, without parsing the rest of the trail."""
    t = tables.audit_trail
    if not isinstance(conn_or_store, Connection):
        with conn_or_store.engine.connect() as conn:
            yield from entries_of(conn, actions, subject)
        return
    query = select(t).where(t.c.action.in_(list(actions)))
    if subject is not None:
        query = query.where(t.c.subject == subject)
    for row in conn_or_store.execute(query.order_by(t.c.seq)):
        try:
            details = json.loads(row.details)
        except ValueError:
            details = {"unreadable": row.details}
        yield Entry(row.seq, row.recorded_at, row.actor, row.action, row.subject, details, row.prev_hash, row.hash)


def raw_details(conn: Connection) -> dict[int, str]:
    """The stored JSON text of every entry's details, by sequence number (hashed as stored)."""
    t = tables.audit_trail
    return {seq: text for seq, text in conn.execute(select(t.c.seq, t.c.details))}


# -- the anchor: a copy of the latest head outside the database ------------------------------
def anchor_path(settings=None) -> Path:
    """The file that keeps a copy of the trail's newest head outside the database."""
    if settings is None:
        from ..settings import get_settings

        settings = get_settings()
    return Path(settings.data_dir) / "audit-trail-head.json"


def _move_anchor(path: Path, entry: Entry) -> None:
    """Remember the newest head seen (never move it backwards).  The trail writer may run as
    several processes (the records service's): entries are numbered by the database (``seq`` is
    the key; an append that lost the race is retried), and the anchor's check-and-replace runs
    under an exclusive lock on a file beside it, so two processes never move it out of order."""
    current = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            current = read_anchor(path)
            if current and current[0] >= entry.seq:
                return
            tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"seq": entry.seq, "hash": entry.hash}) + "\n", encoding="utf-8")
            os.replace(tmp, path)
        finally:
            os.close(fd)
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
