"""A real, throwaway PostgreSQL cluster for tests, from Debian's ``postgresql`` package.

The one PostgreSQL helper of the tests and the benchmarks (the store, hub and dashboard tests,
``benchmarks/dashboard_scale.py`` and ``benchmarks/records_service.py``).

``PostgresCluster`` runs ``initdb`` into a fresh temporary folder, starts the server with
``pg_ctl`` on a free TCP port of 127.0.0.1 (password authentication, SCRAM) with its unix socket
in that same folder, and removes everything again on ``stop()`` (or at the end of a ``with``
block).  PostgreSQL refuses to run as root, so when the tests run as root the cluster runs as the
unprivileged ``postgres`` user that the Debian package creates, in a folder that user owns.

Passwords never appear on a command line: ``initdb`` reads the superuser's from a file only the
cluster's owner can read; the application role's is set over the connection.

    cluster = PostgresCluster().start()
    url = cluster.create_database()   # postgresql+psycopg://iso20k:...@127.0.0.1:PORT/t_...
    ...
    cluster.stop()

    with PostgresCluster(shared_buffers="128MB") as cluster:   # started; stopped at the end
        url = cluster.create_database("progress")
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from browser import free_port

APP_ROLE = "iso20k"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server programs or an unprivileged user to run them are missing."""


def server_bin_dir() -> Path:
    """The newest installed PostgreSQL server's program folder (/usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresUnavailable("PostgreSQL's initdb was not found; install the Debian package "
                              "'postgresql' (scripts/test.sh does).")


class PostgresCluster:
    """One PostgreSQL cluster in a temporary folder; see the module docstring."""

    def __init__(self, os_user: str = "postgres", fast: bool = True, shared_buffers: str = "32MB"):
        self.bin = server_bin_dir()
        self.fast = fast  # fsync off: a throwaway cluster need not survive a power cut
        # 32MB keeps many test clusters small; a benchmark passes PostgreSQL's own default, 128MB
        self.shared_buffers = shared_buffers
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                self.owner = pwd.getpwnam(os_user)
            except KeyError:
                raise PostgresUnavailable(f"Running as root, the test cluster needs the unprivileged "
                                          f"user '{os_user}' (created by the Debian package 'postgresql').")
        else:
            self.owner = pwd.getpwuid(os.getuid())
        self.folder: Path | None = None
        self.port: int | None = None
        self.superuser_password = secrets.token_urlsafe(24)
        self.app_password = secrets.token_urlsafe(24)

    # -- running programs as the cluster's owner -------------------------------------------
    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        kwargs = {}
        if self.as_root:
            kwargs = dict(user=self.owner.pw_uid, group=self.owner.pw_gid, extra_groups=[])
        env = {"PATH": f"{self.bin}:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "HOME": str(self.folder), "TZ": "UTC"}
        proc = subprocess.run([str(self.bin / argv[0]), *argv[1:]], cwd=self.folder, env=env,
                              capture_output=True, text=True, timeout=120, **kwargs)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
                               f"\n{self._log_tail()}")
        return proc

    def _log_tail(self) -> str:
        log = self.folder / "server.log" if self.folder else None
        if log and log.is_file():
            return "server log:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        return ""

    # -- life cycle --------------------------------------------------------------------------
    def __enter__(self) -> "PostgresCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "PostgresCluster":
        self.folder = Path(tempfile.mkdtemp(prefix="iso20k-pg-"))
        os.chmod(self.folder, 0o700)
        if self.as_root:
            os.chown(self.folder, self.owner.pw_uid, self.owner.pw_gid)
        pwfile = self.folder / "superuser-password"
        pwfile.write_text(self.superuser_password + "\n")
        os.chmod(pwfile, 0o600)
        if self.as_root:
            os.chown(pwfile, self.owner.pw_uid, self.owner.pw_gid)
        try:
            self._run("initdb", "-D", str(self.folder / "data"), "-U", "postgres",
                      f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync", "--no-instructions")
            pwfile.unlink()
            self._start_on_a_free_port()
            self._create_app_role()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_on_a_free_port(self) -> None:
        options = [f"-k {self.folder}", "-c listen_addresses=127.0.0.1", "-c max_connections=100",
                   f"-c shared_buffers={self.shared_buffers}"]
        if self.fast:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        for _attempt in range(5):
            self.port = free_port()
            proc = self._run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"),
                             "-w", "-t", "60", "-o", " ".join([f"-p {self.port}", *options]), "start",
                             check=False)
            if proc.returncode == 0:
                return
            if "could not bind" not in self._log_tail() and "in use" not in self._log_tail():
                raise RuntimeError(f"pg_ctl start failed:\n{proc.stdout}\n{proc.stderr}\n{self._log_tail()}")
        raise RuntimeError(f"PostgreSQL found no free port:\n{self._log_tail()}")

    def stop(self) -> None:
        """Stop the server and delete the cluster's folder."""
        if self.folder is None:
            return
        if (self.folder / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    # -- connections -------------------------------------------------------------------------
    def admin_connection(self, dbname: str = "postgres"):
        """A psycopg connection as the superuser, in autocommit mode."""
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                               password=self.superuser_password, dbname=dbname, autocommit=True)

    def _create_app_role(self) -> None:
        from psycopg import sql

        with self.admin_connection() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(APP_ROLE), sql.Literal(self.app_password)))

    def url(self, dbname: str, user: str = APP_ROLE, password: str | None = None) -> str:
        """The SQLAlchemy URL of database ``dbname`` (as the unprivileged application role)."""
        password = self.app_password if password is None else password
        return f"postgresql+psycopg://{user}:{password}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database owned by the application role; its URL."""
        from psycopg import sql

        name = name or f"t_{secrets.token_hex(6)}"
        with self.admin_connection() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(APP_ROLE)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        from psycopg import sql

        with self.admin_connection() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

