"""Versioned schema: each migration runs once, in order, inside one transaction.

To change the schema, append a ``Migration`` to ``MIGRATIONS``; never edit an applied one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import Connection, Engine, inspect, select

from . import tables
from .locks import lock_schema


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of this product."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    for table in (tables.employees, tables.enrolments, tables.answers,
                  tables.module_completions, tables.preferences):
        table.create(conn, checkfirst=True)
    for index in tables.answers.indexes:
        index.create(conn, checkfirst=True)


def _audit_and_certificates(conn: Connection) -> None:
    for table in (tables.audit_trail, tables.certificates):
        table.create(conn, checkfirst=True)


MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema: roster, enrolments, answers, module completions, preferences", _initial),
    Migration(2, "audit trail (hash-chained) and issued certificates", _audit_and_certificates),
]

LATEST_VERSION = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(select(tables.schema_version.c.version)
                        .order_by(tables.schema_version.c.version.desc()).limit(1)).scalar() or 0


def migrate(engine: Engine, migrations: list[Migration] | None = None) -> int:
    """Bring the schema up to date; return the version reached.  All-or-nothing."""
    migrations = MIGRATIONS if migrations is None else migrations
    latest = migrations[-1].version
    with engine.begin() as conn:
        lock_schema(conn)
        tables.schema_version.create(conn, checkfirst=True)
        version = current_version(conn)
        if version > latest:
            raise SchemaTooNewError(
                f"The progress store is at schema version {version}, but this copy of iso20k only "
                f"knows up to {latest}. Upgrade iso20k (pip install -U .) before using this store.")
        for m in migrations:
            if m.version > version:
                m.apply(conn)
                conn.execute(tables.schema_version.insert().values(
                    version=m.version, applied_at=datetime.now(timezone.utc), description=m.description))
                version = m.version
    return version
