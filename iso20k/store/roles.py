"""PostgreSQL: one role per service, each with only the rights its service needs.

- the **owner** (``ISO20K_DB_URL`` of the administrator, e.g. ``iso20k``) owns the tables and runs
  the schema migrations; only ``iso20k hub`` at start and the administrator's commands use it;
- the **records** role (``ISO20K_HUB_RECORDS_DB_URL``; the records service, which is also the trail
  writer): reads everything, adds answers, module completions, trail entries and certificates,
  changes a learner's language; it can neither change nor delete an answer, a completion or a
  trail entry (no UPDATE/DELETE/TRUNCATE granted, and on top a trigger refuses them to every role,
  see migrations.py);
- the **dashboard** role (``ISO20K_HUB_DASHBOARD_DB_URL``; the dashboard and the certificate
  verification page): SELECT only;
- the grader account (formgrader) has no role and no URL at all.

Passwords come from the service URLs (kept in the hub's environment file, readable by root only)
and are sent to the server already hashed (SCRAM, computed by libpq on this side), never on a
command line, in a server log or in output.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import make_url

from ..settings import env_name

#: What the records role may do beyond reading: table -> privileges.
RECORDS_WRITES = {
    "answers": ("INSERT",),
    "module_completions": ("INSERT",),
    "audit_trail": ("INSERT",),
    "certificates": ("INSERT",),
    "preferences": ("INSERT", "UPDATE"),
    "reminders": ("INSERT", "UPDATE"),  # the hub's reminders service runs as the records account
}
#: Never granted to a service role, whatever else is.
EVIDENCE = ("answers", "module_completions", "audit_trail")


@dataclass(frozen=True)
class RoleLogin:
    name: str
    password: str

    @classmethod
    def from_url(cls, url: str, what: str) -> "RoleLogin":
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql" or not parsed.username or not parsed.password:
            raise ValueError(f"{what} must be a PostgreSQL URL with a role name and a password "
                             "(postgresql://ROLE:PASSWORD@HOST/DATABASE)")
        return cls(parsed.username, parsed.password)


def _connect(url: str):
    import psycopg

    parsed = make_url(url)
    return psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
                           dbname=parsed.database, autocommit=True, **dict(parsed.query))


def create_login(admin_url: str, role: RoleLogin) -> bool:
    """Create ``role`` (LOGIN, no other attribute) or set its password; True when created.
    ``admin_url``: a role allowed to create roles (a superuser or CREATEROLE)."""
    from psycopg import sql

    with _connect(admin_url) as conn:
        secret = conn.pgconn.encrypt_password(role.password.encode(), role.name.encode(), b"scram-sha-256").decode()
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role.name,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD {}")
                     .format(sql.Identifier(role.name), sql.Literal(secret)))
        return not exists


def grant_service_roles(owner_url: str, records: str | None, dashboard: str | None) -> list[str]:
    """Give the records and dashboard roles exactly their rights on the store's tables (run as the
    tables' owner; repeatable, e.g. after every migration).  Returns the statements run."""
    from psycopg import sql

    from . import tables

    database = make_url(owner_url).database
    names = [t for t in tables.metadata.tables]
    done = []
    with _connect(owner_url) as conn:
        def run(statement: sql.Composable) -> None:
            conn.execute(statement)
            done.append(statement.as_string(conn))

        run(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC"))
        run(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        for role in (r for r in (records, dashboard) if r):
            ident = sql.Identifier(role)
            run(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), ident))
            run(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident))
            run(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(ident))
            run(sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(ident))
            existing = {r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}
            for table in sorted(set(names) & existing):
                run(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(table), ident))
        if records:
            ident = sql.Identifier(records)
            for table, rights in RECORDS_WRITES.items():
                run(sql.SQL("GRANT {} ON {} TO {}").format(
                    sql.SQL(", ").join(sql.SQL(r) for r in rights), sql.Identifier(table), ident))
            for (seq,) in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'").fetchall():
                run(sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(sql.Identifier(seq), ident))
            run(sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                sql.SQL(", ").join(sql.Identifier(t) for t in EVIDENCE), ident))
    return done


def set_up_service_roles(owner_url: str, records_url: str | None, dashboard_url: str | None,
                         admin_url: str | None = None) -> dict[str, bool]:
    """Bring the schema up to date as the owner, create (or re-password) the records and dashboard
    roles from their URLs as ``admin_url`` (default: the owner, which then needs CREATEROLE), and
    grant them their rights.  Returns {role: created?}."""
    from .engine import make_engine
    from .migrations import migrate

    engine = make_engine(owner_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    logins = {}
    if records_url:
        logins["records"] = RoleLogin.from_url(records_url, env_name("hub_records_db_url"))
    if dashboard_url:
        logins["dashboard"] = RoleLogin.from_url(dashboard_url, env_name("hub_dashboard_db_url"))
    owner = make_url(owner_url).username
    for what, login in logins.items():
        if login.name == owner:
            raise ValueError(f"the {what} service's role must not be the owner of the tables ({owner}): "
                             "name a role of its own in its URL")
    created = {login.name: create_login(admin_url or owner_url, login) for login in logins.values()}
    grant_service_roles(owner_url, logins["records"].name if "records" in logins else None,
                        logins["dashboard"].name if "dashboard" in logins else None)
    return created
