"""A throwaway PostgreSQL cluster from Debian's ``postgresql`` package, for the dashboard's tests
and benchmark: ``initdb`` in a temporary folder, a free port, Unix socket in that folder, run as
the unprivileged ``postgres`` OS user when this process is root.  Stopped and deleted afterwards.

(Kept apart from the store's own PostgreSQL helper so the two can be unified later.)"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from browser import free_port

PG_BIN = Path("/usr/lib/postgresql")


def pg_bin(name: str) -> str:
    versions = sorted((p for p in PG_BIN.glob("*/bin") if (p / name).exists()), reverse=True)
    if versions:
        return str(versions[0] / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package")
    return found


def _as_user(user: str | None):
    if user is None:
        return None
    entry = pwd.getpwnam(user)

    def demote():
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
    return demote


class Cluster:
    """A running cluster; ``url(db)`` is a SQLAlchemy URL for the superuser over TCP."""

    def __init__(self, base: Path, port: int, user: str):
        self.base, self.port, self.user = base, port, user

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def postgres_cluster():
    """Start a cluster; yields a :class:`Cluster`.  Trust authentication on 127.0.0.1 only."""
    root = os.geteuid() == 0
    os_user = "postgres" if root else None
    base = Path(tempfile.mkdtemp(prefix="iso20k-pg-"))
    data = base / "data"
    db_user = "postgres" if root else pwd.getpwuid(os.geteuid()).pw_name
    if root:
        os.chmod(base, 0o755)
        shutil.chown(base, "postgres", "postgres")
    port = free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    subprocess.run([pg_bin("initdb"), "-D", str(data), "-U", db_user, "-A", "trust", "-E", "UTF8",
                    "--no-sync"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   preexec_fn=_as_user(os_user), env=env)
    log = base / "server.log"
    subprocess.run([pg_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
                    f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c full_page_writes=off -c synchronous_commit=off", "start"],
                   check=True, stdout=subprocess.DEVNULL, preexec_fn=_as_user(os_user), env=env)
    try:
        yield Cluster(base, port, db_user)
    finally:
        subprocess.run([pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_as_user(os_user),
                       env=env)
        shutil.rmtree(base, ignore_errors=True)
