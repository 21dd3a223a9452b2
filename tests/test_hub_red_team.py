"""Red team of the merged issue-19 hub: attacks issue 19 does not list, done for real from each
role's own account on a real hub (``tests/hub_world.py``: PAM users, LocalProcessSpawner, service
accounts made for this hub, the SQLite store).

Broke on main before the fixes in this branch:
- a learner read every cell and output of another learner's kernel by subscribing to its IOPub
  ZeroMQ socket on 127.0.0.1 (any local account can; the dashboard's and the formgrader's kernels
  listened the same way): kernels now talk over Unix sockets in the account's private
  runtime folder;
- a learner listed and read the grader account's home (0755 from ``useradd``), where the
  formgrader keeps the trainers' IPython history and Jupyter files: the hub makes it 0700.
Held (kept as regressions): a learner's server token against the hub's API and every service,
secrets of other accounts' processes in /proc, the public verification page fed bad input."""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import secrets
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hub_world import Learner, install_product, run_in_kernel, start_hub, start_server, stop_hub, user_token

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the hub runs services as other accounts: needs root")]


@pytest.fixture(scope="module")
def hub():
    root = Path(tempfile.mkdtemp(prefix="iso20k-red-"))
    root.chmod(0o755)
    python = Path(os.environ["ISO20K_TEST_HUB_PYTHON"]) if os.environ.get("ISO20K_TEST_HUB_PYTHON") \
        else install_product()
    tag = secrets.token_hex(3)
    learners = [Learner(f"HR{tag}A", secrets.token_urlsafe(12), "Service Desk"),
                Learner(f"HR{tag}B", secrets.token_urlsafe(12), "Service Desk"),
                Learner(f"HR{tag}M", secrets.token_urlsafe(12), "Service Desk", role="manager"),
                Learner(f"HR{tag}T", secrets.token_urlsafe(12), "Training Office", trainer=True)]
    h = start_hub(root, python, learners)
    try:
        h.iso20k("hub-sync")
        h.tokens = {}
        for x in learners[:2]:
            h.tokens[x.user] = user_token(h, x.user)
            start_server(h, x.user, h.tokens[x.user])
        yield h
    finally:
        stop_hub(h)
        shutil.rmtree(root, ignore_errors=True)


def _names(hub):
    return hub.learners[0].user, hub.learners[1].user


def _request(hub, method: str, path: str, token: str | None, body=None) -> tuple[int, bytes]:
    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(hub.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.build_opener(Stay).open(request, timeout=60) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, exc.read()
        except OSError:
            return exc.code, b""


def _server_token(hub, user: str) -> str:
    """The learner's own server token, read from inside their kernel (``JUPYTERHUB_API_TOKEN``)."""
    out = run_in_kernel(hub, user, hub.tokens[user], "import os; print(os.environ['JUPYTERHUB_API_TOKEN'])")
    assert out["error"] is None, out
    return out["stdout"].strip()


# -- kernels' ZeroMQ sockets --------------------------------------------------------------------

SPY = r'''
import os, time, zmq
me, seen, got = os.getuid(), set(), []
ctx, poller = zmq.Context(), zmq.Poller()
def scan():  # every TCP port on 127.0.0.1 another account listens on: subscribe to all of it
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        port = int(f[1].split(":")[1], 16)
        if f[3] == "0A" and int(f[7]) != me and f[1].startswith("0100007F") and port not in seen:
            seen.add(port)
            s = ctx.socket(zmq.SUB); s.setsockopt(zmq.SUBSCRIBE, b""); s.setsockopt(zmq.LINGER, 0)
            s.connect(f"tcp://127.0.0.1:{port}"); poller.register(s, zmq.POLLIN)
end = time.time() + SECONDS
while time.time() < end:
    scan()
    for s, _ in poller.poll(300):
        got.append(b" ".join(s.recv_multipart()))
print(len(seen), len(got), NONCE.encode() in b"\n".join(got))
'''


def test_a_learner_cannot_read_another_learners_kernel_through_its_iopub_socket(hub):
    """Learner A, in their own kernel, subscribes to every TCP port other accounts listen on;
    learner B then runs a cell printing a secret.  On main A received B's code and output."""
    a, b = _names(hub)
    nonce = "NONCE-" + secrets.token_hex(8)
    spy = SPY.replace("SECONDS", "35").replace("NONCE", repr(nonce))
    seen = {}
    thread = threading.Thread(target=lambda: seen.update(run_in_kernel(hub, a, hub.tokens[a], spy, timeout=90)))
    thread.start()
    time.sleep(6)  # A is listening
    half = len(nonce) // 2
    # printed for ten seconds: a subscriber joins a socket some time after it connects
    out = run_in_kernel(hub, b, hub.tokens[b], f"import time\ns = {nonce[:half]!r} + {nonce[half:]!r}\n"
                        "for _ in range(10):\n    print(s, flush=True); time.sleep(1)")
    thread.join(120)
    assert out["stdout"].split() == [nonce] * 10 and out["error"] is None, out
    assert seen.get("error") is None and seen.get("stdout"), seen
    ports, messages, found = seen["stdout"].split()
    assert found == "False", f"learner A read learner B's cell through its IOPub socket ({messages} messages)"


def _listening_tcp_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A":
                inodes.add(f[9])
    return inodes


def _kernels_listening_on_tcp(uids: set[int]) -> list[str]:
    """Kernels of these accounts with their channels on TCP.  One TCP listener is allowed:
    ipykernel's IOPub pipe (a PULL socket for the kernel's own subprocesses, which drops every
    message not starting with 16 random bytes only the kernel knows); a kernel on TCP has six."""
    listening, found = _listening_tcp_inodes(), []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if proc.stat().st_uid not in uids or b"ipykernel" not in (proc / "cmdline").read_bytes():
                continue
            sockets = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
        except OSError:
            continue
        tcp = [s for s in sockets if s.startswith("socket:[") and s[8:-1] in listening]
        if len(tcp) > 1:
            found.append(f"pid {proc.name} uid {proc.stat().st_uid}, {len(tcp)} TCP listeners: "
                         + _safe_cmdline(proc).replace(b"\0", b" ").decode()[:160])
    return found


def test_no_dashboard_kernel_listens_on_tcp(hub):
    """The dashboard's prepared kernels (always there) each publish every widget's state (the
    company's records) on an IOPub PUB socket on 127.0.0.1 that any local account may join."""
    uid = pwd.getpwnam(hub.dashboard_user).pw_uid
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
            p.name.isdigit() and b"ipykernel" in _safe_cmdline(p) and p.stat().st_uid == uid
            for p in Path("/proc").iterdir()):
        time.sleep(1)
    assert _kernels_listening_on_tcp({uid}) == []


def test_no_kernel_of_the_hub_listens_on_tcp(hub):
    """A learner's kernel and a formgrader kernel a trainer starts: neither has its channels on a
    TCP socket any local account could connect to."""
    a, _ = _names(hub)
    trainer = next(x.user for x in hub.learners if x.trainer)
    trainer_token = user_token(hub, trainer)
    status, body = _request(hub, "POST", "/services/iso20k/api/kernels", trainer_token, {})
    assert status == 201, (status, body)
    grader_kernel = json.loads(body)["id"]
    status, body = _request(hub, "POST", f"/user/{a}/api/kernels", hub.tokens[a], {})
    assert status == 201, (status, body)
    learner_kernel = json.loads(body)["id"]
    try:
        uids = {pwd.getpwnam(n).pw_uid for n in (hub.grader, a)}
        deadline, kernels = time.monotonic() + 60, set()
        while time.monotonic() < deadline:  # all three kinds running
            kernels = {p.stat().st_uid for p in Path("/proc").iterdir() if p.name.isdigit()
                       and _safe_cmdline(p).find(b"ipykernel") >= 0 and p.stat().st_uid in uids}
            if kernels == uids:
                break
            time.sleep(1)
        assert kernels == uids, f"not every kind of kernel started: {kernels} of {uids}"
        time.sleep(2)
        assert _kernels_listening_on_tcp(uids) == []
    finally:
        _request(hub, "DELETE", f"/services/iso20k/api/kernels/{grader_kernel}", trainer_token)
        _request(hub, "DELETE", f"/user/{a}/api/kernels/{learner_kernel}", hub.tokens[a])


def _safe_cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


# -- the grader account's home ------------------------------------------------------------------

def test_a_learner_cannot_read_the_grader_accounts_home(hub):
    a, _ = _names(hub)
    home = pwd.getpwnam(hub.grader).pw_dir
    out = run_in_kernel(hub, a, hub.tokens[a], f"""
import os
try:
    print(sorted(os.listdir({home!r})))
except PermissionError:
    print("REFUSED")
""")
    assert out["error"] is None, out
    assert out["stdout"].strip() == "REFUSED", f"learner {a} lists the grader's home: {out['stdout']}"
    assert os.stat(home).st_mode & 0o077 == 0


# -- a learner's server token against the hub and every service (held) --------------------------

def test_a_learners_server_token_reaches_only_their_own_server_and_records(hub):
    """JUPYTERHUB_API_TOKEN from the learner's kernel, tried on the hub's API and every service
    through the public proxy.  It fails if any of these is allowed (e.g. give role ``user``
    ``list:users`` or ``access:services`` in ISO20K_HUB_EXTRA_CONFIG: the first rows turn 200)."""
    a, b = _names(hub)
    token = _server_token(hub, a)
    refused = [("GET", "/hub/api/users"), ("GET", f"/hub/api/users/{b}"), ("GET", "/hub/api/groups"),
               ("GET", "/hub/api/services"), ("GET", "/hub/api/proxy"), ("POST", f"/hub/api/users/{a}/tokens"),
               ("POST", f"/hub/api/users/{a}/servers/second"), ("DELETE", f"/hub/api/users/{b}/server"),
               ("POST", "/hub/api/shutdown"), ("GET", f"/user/{b}/api/contents"),
               ("GET", "/services/dashboard/"), ("GET", "/services/iso20k/formgrader"),
               ("GET", "/services/iso20k/api/kernels"), ("POST", "/services/iso20k/api/kernels")]
    got = {(m, p): _request(hub, m, p, token, {} if m == "POST" else None)[0] for m, p in refused}
    allowed = {k: v for k, v in got.items() if v not in (302, 401, 403, 404, 405)}
    assert allowed == {}, f"a learner's server token reached: {allowed}"
    status, body = _request(hub, "GET", "/services/records/api/me", token)
    assert status == 200 and json.loads(body)["learner_id"] == hub.learners[0].employee_id


# -- /proc of every other account's process (held) ----------------------------------------------

def test_a_learner_reads_no_secret_of_another_accounts_process_in_proc(hub):
    """From learner A's kernel: every process of another account: environ, fd, maps, mem refused;
    no token, cookie secret or password of the hub on any command line A can read."""
    a, _ = _names(hub)
    me = pwd.getpwnam(a).pw_uid
    out = run_in_kernel(hub, a, hub.tokens[a], f"""
import json, os
seen = {{}}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if os.stat(f"/proc/{{pid}}").st_uid == {me}:
            continue
        cmd = open(f"/proc/{{pid}}/cmdline", "rb").read().decode(errors="replace")
    except OSError:
        continue
    opened = []
    for part in ("environ", "maps", "mem"):
        try:
            if open(f"/proc/{{pid}}/{{part}}", "rb").read(64):  # kernel threads: empty maps
                opened.append(part)
        except OSError:
            pass
    try:
        os.listdir(f"/proc/{{pid}}/fd"); opened.append("fd")
    except OSError:
        pass
    seen[pid] = [cmd, opened]
print(json.dumps(seen))
""", timeout=120)
    assert out["error"] is None, out
    seen = json.loads(out["stdout"])
    assert len(seen) > 5
    opened = {pid: v for pid, v in seen.items() if v[1]}
    assert opened == {}, f"learner {a} opened other accounts' /proc files: {opened}"
    state = Path(hub.env["ISO20K_HUB_STATE_DIR"])
    secrets_ = [hub.admin_token] + [p.read_text().strip() for p in state.glob("*.token")]
    secrets_ += [hub.tokens[x] for x in hub.tokens if x != a]
    secrets_ += [x.password for x in hub.learners]
    cookie = state / "jupyterhub_cookie_secret"
    if cookie.exists():
        secrets_.append(cookie.read_text().strip())
    leaked = [pid for pid, (cmd, _) in seen.items() if any(s and s in cmd for s in secrets_)]
    assert leaked == [], f"secrets on command lines learner {a} reads: {leaked}"


# -- the public verification page fed bad input (held) ------------------------------------------

def _store_digest(hub) -> str:
    return hashlib.sha256(Path(hub.db_url.removeprefix("sqlite:///")).read_bytes()).hexdigest()


def test_the_verification_page_takes_bad_input_without_error_or_change(hub):
    """Anyone (no credentials) through the hub's public proxy: path traversal, huge and odd
    codes, many wrong guesses.  No 500, no file content, the store unchanged."""
    before = _store_digest(hub)
    bad = ["/services/verify/verify/..%2f..%2f..%2f..%2fetc%2fpasswd", "/services/verify/verify/../../../etc/passwd",
           "/services/verify/verify?code=%00%ff%fe", "/services/verify/verify?code=" + "ISO20K-" * 2000,
           "/services/verify/verify?code=" + "A" * 60000, "/services/verify/verify?format=json&code[]=x",
           "/services/verify/verify/%252e%252e%252fetc%252fpasswd?format=json"]
    for path in bad:
        status, body = _request(hub, "GET", path, None)
        assert status < 500 or status == 0, (path[:80], status, body[:300])
        assert b"root:x:0:0" not in body
    from iso20k.certificates.codes import new_code

    started = time.monotonic()
    for _ in range(50):  # wrong guesses of well-formed codes: each is 'no certificate'
        status, body = _request(hub, "GET", f"/services/verify/verify/{new_code()}?format=json", None)
        assert status in (200, 404) and json.loads(body)["genuine"] is False, (status, body[:200])
    assert time.monotonic() - started < 60
    status, _ = _request(hub, "GET", "/services/verify/verify", None)
    assert status == 200  # still serving
    assert _store_digest(hub) == before
