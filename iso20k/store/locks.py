"""Who may write what at the same time, on each database the store supports.

SQLite: every write transaction starts with ``BEGIN IMMEDIATE`` (see engine.py), which takes the
database's write lock at once, so writers simply queue; nothing more is needed here.

PostgreSQL: transactions run side by side, so a learner's write first takes a transaction-level
advisory lock for that learner (released at commit or rollback).  Two writes for the same learner
therefore run one after the other, which keeps attempt numbers gap-free and unique (the next number
is read after the previous write committed) and lets a module be completed exactly once even when
two of its questions are answered at the same moment.  Writes of different learners do not wait for
each other.  Bulk writes (:func:`lock_everyone`) and schema migrations take exclusive locks of
their own; a learner's write holds the "everyone" lock shared, so a bulk write waits for the
learners' writes in flight and they wait for it.
"""

from __future__ import annotations

import zlib

from sqlalchemy import Connection, text

SUPPORTED_BACKENDS = ("sqlite", "postgresql")

# Two-key advisory locks (int4, int4): the first key names what is locked, the second which one.
_LEARNER, _EVERYONE, _MIGRATION = 200001, 200002, 200003
LEARNER_KEY, EVERYONE_KEY = _LEARNER, _EVERYONE  # for the asynchronous writer (answers_async.py)


def _signed32(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value


def learner_key(learner_id: str) -> int:
    # Different learners may share a key (a 32-bit checksum); they then merely wait for each other.
    return _signed32(zlib.crc32(learner_id.encode("utf-8")))


def _is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


#: A learner's write takes both locks in one statement (its text is given to pgbench by the benchmark too).
_LOCK_LEARNER = text("SELECT pg_advisory_xact_lock_shared(:everyone, 0), pg_advisory_xact_lock(:ns, :key)")


def lock_learner_sql() -> str:
    return str(_LOCK_LEARNER)


def lock_learner(conn: Connection, learner_id: str) -> None:
    """Serialise this transaction with every other write of ``learner_id``'s records."""
    if _is_postgresql(conn):
        # one round trip: the "everyone" lock shared first, then the learner's (left to right)
        conn.execute(_LOCK_LEARNER, {"everyone": _EVERYONE, "ns": _LEARNER, "key": learner_key(learner_id)})


def lock_everyone(conn: Connection) -> None:
    """Serialise this transaction with every learner's writes (bulk imports of answers)."""
    if _is_postgresql(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": _EVERYONE})


def lock_schema(conn: Connection) -> None:
    """Serialise schema migrations (many kernels may open a new database at the same moment)."""
    if _is_postgresql(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": _MIGRATION})
