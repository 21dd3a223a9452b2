"""Open the progress store: any SQLAlchemy URL; SQLite gets WAL, a busy timeout and
write transactions that take the lock up front (so concurrent writers queue instead of failing)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def make_engine(url: str, busy_timeout_ms: int = 30_000, read_only: bool = False) -> Engine:
    """An engine for ``url``.  ``read_only`` opens SQLite files in read-only mode (the dashboard)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)

    database = parsed.database or ""
    if database and database != ":memory:":
        if read_only:
            uri = f"file:{Path(database).resolve().as_posix()}?mode=ro"
            engine = create_engine("sqlite://", future=True,
                                   creator=lambda: _connect_sqlite(uri, busy_timeout_ms))
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, future=True,
                                   connect_args={"timeout": busy_timeout_ms / 1000})
    else:
        engine = create_engine(url, future=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if not read_only and database not in ("", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # BEGIN IMMEDIATE takes the write lock at the start, so the read-then-write of an
        # attempt number cannot interleave with another process doing the same.
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _connect_sqlite(uri: str, busy_timeout_ms: int):
    return sqlite3.connect(uri, uri=True, timeout=busy_timeout_ms / 1000, check_same_thread=False)
