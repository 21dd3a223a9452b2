"""A real company hub for tests: JupyterHub started by ``iso20k hub`` with the product's own
configuration, real operating-system users logging in through PAM, a real PostgreSQL progress
store, and the product installed into a world-readable environment the way docs/deployment.md
says (learners' servers cannot run Python that lives under /root).

Everything is created under one temporary folder and removed at the end, users included."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from browser import free_port, wait_for_http
from wheel_build import install_product  # noqa: F401 (the hub tests and benchmarks import it from here)

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Learner:
    employee_id: str
    password: str
    department: str
    role: str = "staff"
    trainer: bool = False

    @property
    def user(self) -> str:
        return self.employee_id.lower()


def create_os_user(name: str, password: str) -> None:
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)


def create_service_account(name: str) -> None:
    """A system account for a hub service: no home, no login (as scripts/deploy-hub.sh)."""
    subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                    "--shell", "/usr/sbin/nologin", name], check=True)


def as_account(name: str, argv: list[str], env: dict | None = None, cwd: str = "/",
               timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``argv`` as operating-system account ``name`` (its uid, group and groups)."""
    import pwd

    entry = pwd.getpwnam(name)
    return subprocess.run(["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
                           *argv], env=env or {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def remove_os_user(name: str) -> None:
    subprocess.run(["pkill", "-KILL", "-u", name], check=False)
    subprocess.run(["userdel", "--remove", name], check=False, capture_output=True)


@dataclass
class Hub:
    root: Path
    python: Path
    url: str
    api: str
    env: dict
    db_url: str
    course_root: Path
    learners: list[Learner] = field(default_factory=list)
    admin_token: str = ""
    os_users: bool = False
    grader: str = ""
    records_user: str = ""
    dashboard_user: str = ""
    proc: subprocess.Popen | None = None

    def iso20k(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([str(self.python.with_name("iso20k")), *args], env=self.env, text=True,
                              capture_output=True, timeout=300)
        if check and done.returncode != 0:
            raise RuntimeError(f"iso20k {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def api_call(self, method: str, path: str, token: str | None = None, body=None):
        request = urllib.request.Request(self.api + path, method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"token {token or self.admin_token}"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            raw = reply.read()
        return json.loads(raw) if raw else None

    def log(self) -> str:
        return (self.root / "hub.log").read_text(errors="replace")[-6000:]

    def grader_env(self) -> dict:
        """What a trainer's terminal in the formgrader has: no progress-store URL, the trail
        writer's address and the formgrader service's hub token (as the hub gives the service)."""
        drop = ("ISO20K_DB_URL", "ISO20K_DB_ADMIN_URL", "ISO20K_HUB_DB_URL", "ISO20K_HUB_RECORDS_DB_URL",
                "ISO20K_HUB_DASHBOARD_DB_URL")
        env = {k: v for k, v in self.env.items() if k not in drop}
        token = self.root / "state" / "iso20k.token"
        env["ISO20K_TRAIL_URL"] = f"http://127.0.0.1:{self.env['ISO20K_HUB_RECORDS_PORT']}/services/records/"
        if token.is_file():
            env["JUPYTERHUB_API_TOKEN"] = token.read_text().strip()
        return env

    def as_grader(self, *argv: str, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
        """Run a command as the grader account in the course folder, as a trainer does in the
        formgrader's terminal (``argv[0]`` is looked up in the product's environment)."""
        import pwd

        entry = pwd.getpwnam(self.grader)
        env = {**self.grader_env(), "HOME": entry.pw_dir, "USER": self.grader, **(env or {})}
        done = subprocess.run(["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
                               str(self.python.with_name(argv[0])), *argv[1:]],
                              cwd=self.course_root, env=env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} as {self.grader} failed ({done.returncode}):\n"
                               f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done


TEST_ADMIN_CONFIG = """
# Test-only extra configuration (ISO20K_HUB_EXTRA_CONFIG): a service the test uses to make
# tokens for its learners and start their servers, as an IT admin would.
c.JupyterHub.services.append({{"name": "test-admin", "api_token": {token!r}}})
c.JupyterHub.load_roles.append({{"name": "test-admin", "services": ["test-admin"],
    "scopes": ["admin:users", "tokens", "admin:servers", "access:servers", "list:users", "list:groups", "read:groups"]}})
"""


def start_hub(root: Path, python: Path, learners: list[Learner], db_url: str | None = None,
              os_users: bool = True, settings: dict | None = None) -> Hub:
    """Start ``iso20k hub`` under ``root`` with a roster of ``learners`` (as OS users too when
    ``os_users``); the progress store is ``db_url``, or SQLite in ``root/data`` when empty."""
    root.mkdir(parents=True, exist_ok=True)
    course_root = root / "course-root"
    course_root.mkdir(mode=0o700)
    for part in ("exams", "source", "release", "forms"):
        shutil.copytree(REPO / part, course_root / part)
    # the banks with the keys, for the records service only (the package has learners' copies)
    shutil.copytree(REPO / "assessments", root / "keyed-banks")
    shutil.copy(REPO / "nbgrader_config.py", course_root / "nbgrader_config.py")
    admin_token = secrets.token_hex(24)
    extra = root / "extra_config.py"
    extra.write_text(TEST_ADMIN_CONFIG.format(token=admin_token))
    extra.chmod(0o600)
    tag = secrets.token_hex(3)
    grader = f"gr-{tag}"  # nbgrader's shared grader account, made for this hub
    # the service accounts, made for this hub (other hubs run at the same time)
    records_user, dashboard_user = f"rec-{tag}", f"dsh-{tag}"
    port, api_port, records_port = free_port(), free_port(), free_port()
    env = {"PATH": f"{python.parent}:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": str(root),
           "ISO20K_ENV_FILE": "", "ISO20K_DATA_DIR": str(root / "data"),
           "ISO20K_HUB_STATE_DIR": str(root / "state"), "ISO20K_HUB_PYTHON": str(python),
           "ISO20K_HUB_IP": "127.0.0.1", "ISO20K_HUB_PORT": str(port), "ISO20K_HUB_API_PORT": str(api_port),
           "ISO20K_HUB_RECORDS_PORT": str(records_port), "ISO20K_COURSE_ROOT": str(course_root),
           "ISO20K_EXCHANGE_DIR": str(root / "exchange"), "ISO20K_HUB_EXTRA_CONFIG": str(extra),
           "ISO20K_HUB_GRADER_USER": grader, "ISO20K_HUB_RECORDS_USER": records_user,
           "ISO20K_HUB_DASHBOARD_USER": dashboard_user, "ISO20K_HUB_VERIFY_PORT": str(free_port()), "ISO20K_HUB_FORMGRADER_PORT": str(free_port()),
           "ISO20K_HUB_DASHBOARD_PORT": str(free_port()), "ISO20K_HUB_PROXY_API_PORT": str(free_port()),
           "ISO20K_KEYED_BANKS_DIR": str(root / "keyed-banks"),
           "ISO20K_TRAINERS": ",".join(x.employee_id for x in learners if x.trainer)}
    if db_url:
        env["ISO20K_DB_URL"] = db_url
    env.update(settings or {})
    hub = Hub(root=root, python=python, url=f"http://127.0.0.1:{port}", api=f"http://127.0.0.1:{api_port}/hub/api/",
              env=env, db_url=db_url or f"sqlite:///{root / 'data' / 'progress.sqlite'}", course_root=course_root, learners=learners, admin_token=admin_token,
              grader=grader, records_user=records_user, dashboard_user=dashboard_user)
    roster = root / "roster.csv"
    roster.write_text("employee_id,name,department,role\n" + "".join(
        f"{x.employee_id},Learner {x.employee_id},{x.department},{x.role}\n" for x in learners), encoding="utf-8")
    hub.iso20k("import-roster", str(roster))
    if env.get("ISO20K_HUB_RECORDS_DB_URL"):  # PostgreSQL with a role per service, as deploy-hub.sh
        hub.iso20k("store-roles")
    if os_users:
        for x in learners:
            create_os_user(x.user, x.password)
    # the grader account: no password (nobody signs in as it), owns the course folder
    subprocess.run(["useradd", "--system", "--create-home", "--shell", "/bin/bash", grader], check=True)
    for account in (dashboard_user, records_user):  # as scripts/deploy-hub.sh makes them
        create_service_account(account)
    subprocess.run(["usermod", "-a", "-G", dashboard_user, records_user], check=True)
    subprocess.run(["chown", "-R", f"{grader}:", str(course_root)], check=True)
    subprocess.run(["chgrp", dashboard_user, str(course_root)], check=True)  # the dashboard reads results
    course_root.chmod(0o750)
    hub.os_users = os_users
    log = open(root / "hub.log", "w")
    hub.proc = subprocess.Popen([str(python.with_name("iso20k")), "hub"], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        wait_for_http(hub.url + "/hub/api/", hub.proc, timeout=120)
    except Exception as exc:
        stop_hub(hub)
        raise RuntimeError(f"the hub did not start: {exc}\n{hub.log()}") from None
    return hub


def stop_hub(hub: Hub) -> None:
    if hub.proc and hub.proc.poll() is None:
        hub.proc.terminate()
        try:
            hub.proc.wait(30)
        except subprocess.TimeoutExpired:
            hub.proc.kill()
    _kill_left_behind(hub)
    if hub.os_users:
        for x in hub.learners:
            remove_os_user(x.user)
    for account in (hub.grader, hub.records_user, hub.dashboard_user):
        if account:
            remove_os_user(account)


def _kill_left_behind(hub: Hub) -> None:
    """The hub's proxy and services run in their own sessions; a hub that died (or failed to
    start) leaves them running.  They carry this hub's state folder in their environment."""
    marker = f"ISO20K_HUB_STATE_DIR={hub.root / 'state'}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                os.kill(int(proc.name), 9)
        except (OSError, ProcessLookupError):
            continue


def user_token(hub: Hub, user: str) -> str:
    return hub.api_call("POST", f"users/{user}/tokens", body={"note": "test", "expires_in": 3600})["token"]


def start_server(hub: Hub, user: str, token: str, timeout: float = 120) -> None:
    try:
        hub.api_call("POST", f"users/{user}/server", token=token)
    except urllib.error.HTTPError as exc:
        if exc.code != 400:  # 400: already running
            raise
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = hub.api_call("GET", f"users/{user}", token=token)
        if model.get("servers", {}).get("", {}).get("ready"):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{user}'s server did not start:\n{hub.log()}")


def run_in_kernel(hub: Hub, user: str, token: str, code: str, timeout: float = 60) -> dict:
    """Start a kernel on ``user``'s server (as the learner would) and run ``code`` in it.
    Returns ``{"stdout": ..., "error": ...}``."""
    import asyncio

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    base = f"{hub.url}/user/{user}/api"
    kernel = json.loads(urllib.request.urlopen(urllib.request.Request(
        f"{base}/kernels", data=b"{}", method="POST",
        headers={"Authorization": f"token {token}"}), timeout=60).read())

    async def go():
        ws = await websocket_connect(HTTPRequest(
            f"ws://127.0.0.1:{hub.url.rsplit(':', 1)[1]}/user/{user}/api/kernels/{kernel['id']}/channels",
            headers={"Authorization": f"token {token}"}))
        msg_id = secrets.token_hex(8)
        ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user, "session": msg_id,
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        out, error = [], None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = await asyncio.wait_for(ws.read_message(), timeout)
            if raw is None:
                break
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                error = f"{msg['content']['ename']}: {msg['content']['evalue']}"
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                break
        ws.close()
        return {"stdout": "".join(out), "error": error}

    try:
        return asyncio.run(go())
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{base}/kernels/{kernel['id']}", method="DELETE",
                                                      headers={"Authorization": f"token {token}"}), timeout=30)
