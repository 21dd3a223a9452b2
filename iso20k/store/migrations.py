"""Versioned schema: each migration runs once, in order, inside one transaction.

To change the schema, append a ``Migration`` to ``MIGRATIONS``; never edit an applied one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import Connection, Engine, inspect, select, text

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


def _add_columns(conn: Connection, table: str, columns: dict[str, str]) -> None:
    have = {c["name"] for c in inspect(conn).get_columns(table)}
    for name, sql_type in columns.items():
        if name not in have:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}"))


#: PostgreSQL: the audit trail accepts new entries only, for every role (its owner can drop the
#: trigger; nobody else can); answers and completions are never updated.
_APPEND_ONLY = [
    """CREATE OR REPLACE FUNCTION iso20k_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'iso20k: % on % refused: this table is evidence and accepts new rows only',
                             TG_OP, TG_TABLE_NAME; END $$""",
    "DROP TRIGGER IF EXISTS audit_trail_append_only ON audit_trail",
    """CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE ON audit_trail
       FOR EACH ROW EXECUTE FUNCTION iso20k_append_only()""",
    "DROP TRIGGER IF EXISTS audit_trail_no_truncate ON audit_trail",
    """CREATE TRIGGER audit_trail_no_truncate BEFORE TRUNCATE ON audit_trail
       FOR EACH STATEMENT EXECUTE FUNCTION iso20k_append_only()""",
    "DROP TRIGGER IF EXISTS answers_no_update ON answers",
    """CREATE TRIGGER answers_no_update BEFORE UPDATE ON answers
       FOR EACH ROW EXECUTE FUNCTION iso20k_append_only()""",
    "DROP TRIGGER IF EXISTS module_completions_no_update ON module_completions",
    """CREATE TRIGGER module_completions_no_update BEFORE UPDATE ON module_completions
       FOR EACH ROW EXECUTE FUNCTION iso20k_append_only()""",
]


def _evidence_links(conn: Connection) -> None:
    """Answers and completions become evidence (store/evidence.py): every existing answer gets its
    link of its learner's hash chain, every existing completion the answers behind it."""
    import json

    from .evidence import GENESIS, answer_hash, completing_answers, completion_hash

    _add_columns(conn, "answers", {"lseq": "INTEGER", "prev_hash": "VARCHAR(64)", "hash": "VARCHAR(64)"})
    _add_columns(conn, "module_completions", {"answers": "TEXT", "hash": "VARCHAR(64)"})
    a, mc = tables.answers, tables.module_completions
    updates, last = [], {}
    for row in conn.execute(select(a).where(a.c.hash.is_(None)).order_by(a.c.learner_id, a.c.id)):
        lseq, prev = last.get(row.learner_id, (0, GENESIS))
        digest = answer_hash(row.learner_id, lseq + 1, row.track, row.module, row.question_id, row.response,
                             row.correct, row.attempt, row.language, row.answered_at, prev)
        updates.append({"i": row.id, "l": lseq + 1, "p": prev, "h": digest})
        last[row.learner_id] = (lseq + 1, digest)
    if updates:
        conn.execute(text("UPDATE answers SET lseq = :l, prev_hash = :p, hash = :h WHERE id = :i"), updates)
    done = []
    for row in conn.execute(select(mc).where(mc.c.hash.is_(None))):
        behind = completing_answers(conn, row.learner_id, row.track, row.module)
        done.append({"l": row.learner_id, "t": row.track, "m": row.module, "a": json.dumps(behind),
                     "h": completion_hash(row.learner_id, row.track, row.module, row.completed_at, behind)})
    if done:
        conn.execute(text("UPDATE module_completions SET answers = :a, hash = :h "
                          "WHERE learner_id = :l AND track = :t AND module = :m"), done)
    for index in a.indexes:
        index.create(conn, checkfirst=True)
    if conn.dialect.name == "postgresql":
        for statement in _APPEND_ONLY:
            conn.execute(text(statement))


def _change_counters(conn: Connection) -> None:
    """The change signal of the tables the company's record reads (changes.py): the counters'
    table everywhere, kept by triggers on PostgreSQL."""
    from .changes import STORE_COUNTERS, STORE_WATCHED, install

    tables.store_changes.create(conn, checkfirst=True)
    install(conn, STORE_COUNTERS, STORE_WATCHED)


def _reminders(conn: Connection) -> None:
    tables.reminders.create(conn, checkfirst=True)


MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema: roster, enrolments, answers, module completions, preferences", _initial),
    Migration(2, "audit trail (hash-chained) and issued certificates", _audit_and_certificates),
    Migration(3, "answers and module completions as evidence: per-learner hash chain, completions name "
                 "their answers; PostgreSQL: the trail append-only", _evidence_links),
    Migration(4, "a change counter per table the company's record reads (PostgreSQL: kept by statement-level "
                 "triggers), so a reader knows what changed without counting", _change_counters),
    Migration(5, "reminders and escalations: one row per message and due step, recorded before the next is sent",
              _reminders),
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
