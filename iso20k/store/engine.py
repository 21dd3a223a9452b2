"""Open the progress store: a SQLite file or a PostgreSQL database (through psycopg 3).

SQLite gets WAL, a busy timeout and write transactions that take the lock up front (so concurrent
writers queue instead of failing); PostgreSQL writers are kept apart by locks.py.  ``read_only``
opens SQLite files with ``mode=ro`` and PostgreSQL sessions with read-only transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from .locks import SUPPORTED_BACKENDS


class UnsupportedDatabase(ValueError):
    """The URL names a database the store does not support."""


def database_url(url: str) -> URL:
    """``url`` parsed; a plain ``postgresql://`` URL is given the psycopg 3 driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise UnsupportedDatabase(
            f"The progress store runs on SQLite or PostgreSQL, not {backend!r} "
            f"(ISO20K_DB_URL={parsed.render_as_string(hide_password=True)}).")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, busy_timeout_ms: int = 30_000, read_only: bool = False,
                pool_size: int | None = None) -> Engine:
    """An engine for ``url``.  ``read_only``: nothing can be written through it (the dashboard).
    ``pool_size``: connections kept open (SQLAlchemy's default, 5, when None)."""
    parsed = database_url(url)
    pool = {} if pool_size is None else {"pool_size": pool_size, "max_overflow": pool_size}
    if parsed.get_backend_name() == "postgresql":
        options = "-c default_transaction_read_only=on" if read_only else ""
        return create_engine(parsed, future=True, pool_pre_ping=True, **pool,
                             connect_args={"options": options} if options else {})

    database = parsed.database or ""
    if database and database != ":memory:":
        if read_only:
            uri = f"file:{Path(database).resolve().as_posix()}?mode=ro"
            engine = create_engine("sqlite://", future=True,
                                   creator=lambda: _connect_sqlite(uri, busy_timeout_ms))
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, future=True, **pool,
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
