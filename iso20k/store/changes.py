"""A change signal per database that moves only when the tables a reader reads change.

PostgreSQL's write-ahead-log position is the whole server's: every write to any database on it
(another application's, nbgrader's gradebook next to the progress store, autovacuum) moves it, so a
reader watching it would look again after each of them.  Instead, triggers on the watched tables
keep, in a small table in the same database, per watched table a ``version`` (moved on by every
transaction that inserted, updated, deleted or truncated) and its ``row_count`` (what the inserts
and deletes added up to).  The counters are ordinary rows written in the writer's transaction, so
a reader that reads them in the same snapshot as the data sees exactly the data they describe: no
change is missed, none is seen twice, and nothing is counted or scanned to find out.

What it costs a writer: each statement's trigger (``FOR EACH STATEMENT``) only adds its figures to
a transaction-local setting (no row written; a bulk load of half a million one-row statements in
one transaction stays linear); the first one also queues one row in ``<counters>_pending``, whose
deferred constraint trigger writes the transaction's sums to a counter row once, at commit.
Writers do not queue behind each other for the counters: a table has several counter rows
(slots); the commit adds to the first slot no other transaction holds (``FOR UPDATE SKIP
LOCKED``), or to a new slot when all are held; a reader adds the slots up.

The trigger functions run as their owner (``SECURITY DEFINER``): the records role, which may only
add answers, completions, trail entries and certificates, needs no right on the counters.

- the progress store: ``store_changes`` (tables.py), installed by migration 4 for
  :data:`STORE_WATCHED`;
- nbgrader's gradebook: ``iso20k_changes``, installed on PostgreSQL when the product opens the
  gradebook with nbgrader's ``Gradebook`` (grading/environment.py) for :data:`GRADEBOOK_WATCHED`.
  A gradebook without it (or with a trigger dropped or disabled) is read the old way (one pass
  over its tables), never wrongly.

SQLite has no statement-level triggers; there a database's files (its modification time and size,
and the write-ahead log's) are the signal, and they move only with writes to that one database.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

#: The progress store's tables the company's record reads.
STORE_WATCHED = ("employees", "enrolments", "answers", "module_completions", "certificates")
STORE_COUNTERS = "store_changes"
#: nbgrader's tables the company's record reads.
GRADEBOOK_WATCHED = ("assignment", "notebook", "base_cell", "grade_cells", "task_cells", "student",
                     "submitted_assignment", "submitted_notebook", "grade")
GRADEBOOK_COUNTERS = "iso20k_changes"

_PREFIX = "iso20k_changes_"  # every trigger (and its function) this module creates starts with it
_SETTING = "iso20k_changes"  # transaction-local settings iso20k_changes.<table>: this transaction's sums
_EVENTS = ("insert", "delete", "update", "truncate")


def _functions(counters: str) -> list[str]:
    """The per-statement functions (one per event) and the commit function of ``counters``."""
    rows = {"insert": "(SELECT count(*) FROM changed)", "delete": "-(SELECT count(*) FROM changed)",
            "update": "0", "truncate": "0"}
    head = "RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$"
    out = [f"CREATE SEQUENCE IF NOT EXISTS {counters}_slot START 1"]
    for event, n in rows.items():
        # 'versions rows truncated' of this transaction so far, in a transaction-local setting
        reset = "1" if event == "truncate" else "split_part(seen, ' ', 3)"
        total = "0" if event == "truncate" else f"split_part(seen, ' ', 2)::bigint + {n}"
        out.append(f"""CREATE OR REPLACE FUNCTION {_PREFIX}{event}() {head}
            DECLARE
              key text := '{_SETTING}.' || TG_TABLE_NAME;
              seen text := current_setting(key, true);
            BEGIN
              IF seen IS NULL OR seen = '' THEN
                INSERT INTO {counters}_pending (name) VALUES (TG_TABLE_NAME);
                seen := '0 0 0';
              END IF;
              PERFORM set_config(key, (split_part(seen, ' ', 1)::bigint + 1)::text || ' ' || ({total})::text
                                      || ' ' || {reset}, true);
              RETURN NULL;
            END $$""")
    out.append(f"""CREATE OR REPLACE FUNCTION {_PREFIX}commit() {head}
        DECLARE
          key text := '{_SETTING}.' || NEW.name;
          seen text := current_setting(key, true);
          v bigint;
          n bigint;
        BEGIN
          DELETE FROM {counters}_pending WHERE id = NEW.id;
          IF seen IS NULL OR seen = '' THEN
            RETURN NULL;
          END IF;
          PERFORM set_config(key, '', true);
          v := split_part(seen, ' ', 1)::bigint;
          n := split_part(seen, ' ', 2)::bigint;
          IF split_part(seen, ' ', 3) = '1' THEN  -- truncated: every slot starts from nothing
            UPDATE {counters} SET row_count = 0 WHERE name = NEW.name;
          END IF;
          UPDATE {counters} SET version = version + v, row_count = row_count + n
           WHERE (name, slot) = (SELECT name, slot FROM {counters} WHERE name = NEW.name
                                 ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED);
          IF NOT FOUND THEN  -- every slot is held by another committing transaction: a new one
            INSERT INTO {counters} (name, slot, version, row_count)
            VALUES (NEW.name, nextval('{counters}_slot'), v, n);
          END IF;
          RETURN NULL;
        END $$""")
    return out


def _triggers(table: str) -> list[str]:
    out = []
    for event in _EVENTS:
        name = f"{_PREFIX}{event}"
        transition = {"insert": "REFERENCING NEW TABLE AS changed ", "delete": "REFERENCING OLD TABLE AS changed "}
        out += [f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} {transition.get(event, '')}"
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"]
    return out


def install(conn: Connection, counters: str, watched: tuple[str, ...]) -> None:
    """Create (or repair) the counters and their triggers, in the caller's transaction
    (PostgreSQL only).  Each table is locked against writes by its triggers' creation before its
    rows are counted, so the count and the triggers start from the same rows."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(text(f"CREATE TABLE IF NOT EXISTS {counters} (name VARCHAR(64) NOT NULL, slot INTEGER NOT NULL, "
                      "version BIGINT NOT NULL DEFAULT 0, row_count BIGINT NOT NULL DEFAULT 0, "
                      "PRIMARY KEY (name, slot))"))
    conn.execute(text(f"CREATE TABLE IF NOT EXISTS {counters}_pending "
                      "(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name VARCHAR(64) NOT NULL)"))
    for statement in _functions(counters):
        conn.execute(text(statement))
    conn.execute(text(f"DROP TRIGGER IF EXISTS {_PREFIX}commit ON {counters}_pending"))
    conn.execute(text(f"CREATE CONSTRAINT TRIGGER {_PREFIX}commit AFTER INSERT ON {counters}_pending "
                      f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {_PREFIX}commit()"))
    for table in watched:
        for statement in _triggers(table):
            conn.execute(text(statement))
        rows = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
        # start again from one slot holding the count (a repair moves the version on)
        version = conn.execute(text(f"SELECT COALESCE(sum(version), 0) FROM {counters} WHERE name = :n"),
                               {"n": table}).scalar()
        conn.execute(text(f"DELETE FROM {counters} WHERE name = :n"), {"n": table})
        conn.execute(text(f"INSERT INTO {counters} (name, slot, version, row_count) VALUES (:n, 0, :v, :c)"),
                     {"n": table, "v": int(version) + 1, "c": rows})


def installed(conn: Connection, counters: str, watched: tuple[str, ...]) -> bool:
    """Whether every watched table has its four triggers, enabled, and its counter (and the
    commit trigger is there, enabled)."""
    if conn.dialect.name != "postgresql":
        return False
    return read(conn, counters, watched) is not None


_READ = """
SELECT c.name, sum(c.version), sum(c.row_count),
       (SELECT count(*) FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class r ON r.oid = t.tgrelid
        WHERE r.relnamespace = to_regnamespace(current_schema())::oid AND r.relname = ANY(:tables)
          AND t.tgname LIKE :prefix AND t.tgenabled <> 'D'
          AND (r.relname <> :pending OR t.tgname = :commit))
FROM {counters} c WHERE c.name = ANY(:names) GROUP BY c.name
"""


def read(conn: Connection, counters: str, watched: tuple[str, ...]) -> dict[str, tuple[int, int]] | None:
    """{table: (version, row_count)} (summed over its slots) as the caller's snapshot sees them, or None when the signal
    cannot be trusted here (not installed, a trigger missing or disabled, the counters not
    readable).  On PostgreSQL a failed question aborts the transaction: ask it first, and start a
    new transaction after None."""
    if conn.dialect.name != "postgresql":
        return None
    if conn.execute(text("SELECT to_regclass(:t)"), {"t": counters}).scalar() is None:
        return None
    rows = conn.execute(text(_READ.format(counters=counters)),
                        {"names": list(watched), "tables": [*watched, f"{counters}_pending"],
                         "pending": f"{counters}_pending", "commit": f"{_PREFIX}commit",
                         "prefix": _PREFIX.replace("_", "\\_") + "%"}).all()
    if len(rows) != len(watched) or any(r[3] != len(_EVENTS) * len(watched) + 1 for r in rows):
        return None
    return {name: (int(version), int(count)) for name, version, count, _ in rows}


def watch_gradebook(engine) -> bool:
    """Install the gradebook's change signal if it is missing (PostgreSQL; needs the role that
    owns nbgrader's tables, which the grading commands use).  True when it is in place; a role that
    may not create it leaves the gradebook read the old way, with a warning in the log."""
    import logging

    from sqlalchemy.exc import SQLAlchemyError

    if engine.dialect.name != "postgresql":
        return False
    try:
        with engine.connect() as conn:
            if installed(conn, GRADEBOOK_COUNTERS, GRADEBOOK_WATCHED):
                return True
        with engine.begin() as conn:
            install(conn, GRADEBOOK_COUNTERS, GRADEBOOK_WATCHED)
        return True
    except SQLAlchemyError as exc:
        logging.getLogger(__name__).warning("gradebook change signal not installed (the dashboard reads the "
                                            "gradebook once per change of the server instead): %s",
                                            str(exc).splitlines()[0][:200])
        return False
