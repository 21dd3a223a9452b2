"""Least privilege on a real hub (issue 19, point 1): which account runs each process, the owners
and modes of every file in the state, data, course and exchange folders against the one table
(:mod:`iso20k.hub.permissions`, shown in docs/deployment.md), what a learner can really open, and
a trainer planting code wherever the grader account can write, then the services restarting.

Needs root (CI runs as root): a real ``iso20k hub`` from ``tests/hub_world.py`` with PAM users,
the SQLite store (the data folder's own files), service accounts made for this hub."""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import stat
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hub_world import Learner, as_account, install_product, start_hub, stop_hub, user_token

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the hub runs services as other accounts: needs root")]


@pytest.fixture(scope="module")
def hub():
    root = Path(tempfile.mkdtemp(prefix="iso20k-perm-"))
    root.chmod(0o755)
    python = Path(os.environ["ISO20K_TEST_HUB_PYTHON"]) if os.environ.get("ISO20K_TEST_HUB_PYTHON") \
        else install_product()
    tag = secrets.token_hex(3)
    learners = [Learner(f"HP{tag}A", secrets.token_urlsafe(12), "Service Desk"),
                Learner(f"HP{tag}M", secrets.token_urlsafe(12), "Service Desk", role="manager"),
                Learner(f"HP{tag}T", secrets.token_urlsafe(12), "Training Office", trainer=True)]
    h = start_hub(root, python, learners)  # SQLite: the store is a file in the data folder
    try:
        h.iso20k("hub-sync")
        # the gradebook and the exchange's outbound get their files, as a trainer's release makes them
        h.as_grader("nbgrader", "release_assignment", "all-staff-exam", "--force")
        h.as_grader("nbgrader", "db", "student", "list")
        _wait_for_services(h)
        yield h
    finally:
        stop_hub(h)
        shutil.rmtree(root, ignore_errors=True)


def _roots(hub) -> dict[str, str]:
    env = hub.env
    return {"state": env["ISO20K_HUB_STATE_DIR"], "data": env["ISO20K_DATA_DIR"],
            "course": env["ISO20K_COURSE_ROOT"], "exchange": env["ISO20K_EXCHANGE_DIR"],
            "keyed": env["ISO20K_KEYED_BANKS_DIR"]}


def _accounts(hub) -> dict[str, pwd.struct_passwd]:
    return {"root": pwd.getpwuid(0), "records": pwd.getpwnam(hub.records_user),
            "dashboard": pwd.getpwnam(hub.dashboard_user), "grader": pwd.getpwnam(hub.grader)}


def _status(url: str, token: str | None = None) -> int:
    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        with urllib.request.build_opener(Stay).open(urllib.request.Request(url, headers=headers), timeout=120) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _wait_for_services(hub, timeout: float = 180) -> None:
    """Every service answers on its own port (any HTTP answer: it is up)."""
    ports = [hub.env[k] for k in ("ISO20K_HUB_RECORDS_PORT", "ISO20K_HUB_DASHBOARD_PORT", "ISO20K_HUB_VERIFY_PORT",
                                  "ISO20K_HUB_FORMGRADER_PORT")]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(_status(f"http://127.0.0.1:{p}/") for p in ports):
            return
        time.sleep(1)
    raise TimeoutError(f"the hub's services did not come up:\n{hub.log()}")


# -- the hub's processes ------------------------------------------------------------------------

def _proc(pid: int) -> dict:
    base = Path("/proc") / str(pid)
    status = dict(line.split(":", 1) for line in (base / "status").read_text().splitlines() if ":" in line)
    environ = dict(item.split("=", 1) for item in (base / "environ").read_bytes().decode(errors="replace").split("\0")
                   if "=" in item)
    return {"pid": pid, "ppid": int(status["PPid"]), "uid": int(status["Uid"].split()[0]),
            "euid": int(status["Uid"].split()[1]),
            "cmd": (base / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"),
            "cwd": os.readlink(base / "cwd"), "exe": os.readlink(base / "exe"), "env": environ}


def hub_tree(hub) -> list[dict]:
    """Every process descending from the hub (the proxy and services run in their own sessions,
    but their parent is the hub)."""
    procs = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                procs[int(entry.name)] = _proc(int(entry.name))
            except (OSError, KeyError, ValueError):
                continue
    tree, todo = [], [hub.proc.pid]
    while todo:
        pid = todo.pop()
        if pid in procs:
            tree.append(procs[pid])
        todo += [p for p, info in procs.items() if info["ppid"] == pid]
    return tree


def _role(info: dict, hub) -> str:
    cmd = info["cmd"]
    if "records_service" in cmd:
        return "records"
    if "verify_service" in cmd:
        return "verify"
    if "voila" in cmd or "dashboard_service" in cmd or ("ipykernel" in cmd and info["env"].get("JUPYTERHUB_SERVICE_NAME") == "dashboard"):
        return "dashboard"
    if "configurable-http-proxy" in cmd or info["exe"].endswith(("/node", "/nodejs")):
        return "proxy"
    if "jupyterhub-singleuser" in cmd and info["env"].get("JUPYTERHUB_SERVICE_NAME") == "iso20k":
        return "formgrader"
    if "jupyterhub-singleuser" in cmd or "ipykernel" in cmd:
        return "learner"
    if info["pid"] == hub.proc.pid or "jupyterhub" in cmd:
        return "hub"
    return "other"


def test_only_the_hub_and_its_proxy_run_as_root_and_every_service_as_its_own_account(hub):
    accounts = _accounts(hub)
    expected = {"hub": 0, "proxy": 0, "records": accounts["records"].pw_uid, "verify": accounts["dashboard"].pw_uid,
                "dashboard": accounts["dashboard"].pw_uid, "formgrader": accounts["grader"].pw_uid}
    tree = hub_tree(hub)
    seen: dict[str, set[int]] = {}
    for info in tree:
        role = _role(info, hub)
        seen.setdefault(role, set()).update({info["uid"], info["euid"]})
    assert set(expected) <= set(seen), (seen, [(i["pid"], i["cmd"][:120]) for i in tree])
    for role, uid in expected.items():
        assert seen[role] == {uid}, f"the {role} runs as {seen[role]}, not {uid}"
    root_procs = [i for i in tree if 0 in (i["uid"], i["euid"])]
    assert {_role(i, hub) for i in root_procs} <= {"hub", "proxy"}, [(i["cmd"][:100], _role(i, hub)) for i in root_procs]


def _code_paths(info: dict) -> list[str]:
    """Folders a process read code or configuration from at start: its cwd, its executable's and
    interpreter's folders, the config file on its command line, Jupyter's folders in its environment."""
    paths = [info["cwd"], str(Path(info["exe"]).parent)]
    words = info["cmd"].split()
    paths += [str(Path(w).parent) for w in words[:2] if w.startswith("/")]
    paths += [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-f", "--config")]
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_CONFIG_PATH", "JUPYTER_PATH", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                 "IPYTHONDIR", "PYTHONPATH", "NODE_PATH", "ISO20K_HUB_EXTRA_CONFIG", "ISO20K_RUNTIME_DIR", "HOME"):
        paths += [p for p in info["env"].get(name, "").split(":") if p]
    return paths


def test_no_process_of_the_hub_reads_code_or_config_from_a_folder_another_account_can_write(hub):
    from iso20k.private_paths import untrusted_reason

    problems = []
    for info in hub_tree(hub):
        if _role(info, hub) == "learner":
            continue  # a learner's own server reads the learner's own home: theirs to change
        for path in _code_paths(info):
            if path == "/nonexistent":
                continue
            reason = untrusted_reason(path, info["uid"])
            if reason:
                problems.append(f"{_role(info, hub)} (uid {info['uid']}, {info['cmd'][:80]}): {path}: {reason}")
    assert not problems, "\n".join(problems)
    roots = [i for i in hub_tree(hub) if i["uid"] == 0]
    assert roots and all(_code_paths(i) for i in roots)


# -- files: owners and modes against the table ----------------------------------------------------

def _walk(top: str):
    yield Path(top)
    for base, dirs, files in os.walk(top):
        for name in dirs + files:
            yield Path(base) / name


def _all_paths(hub) -> list[Path]:
    return [p for top in _roots(hub).values() for p in _walk(top)]


def test_every_file_of_the_hub_has_the_owner_and_mode_the_table_gives(hub):
    from iso20k.hub.permissions import RULES, expand, rule_for

    roots, accounts = _roots(hub), _accounts(hub)
    # the files the table names exist (a table of files that are not there proves nothing)
    for rule in RULES:
        if "*" not in rule.path and rule.path.startswith("{"):
            assert Path(expand(rule.path, roots)).exists(), rule.path
    assert Path(roots["data"], "progress.sqlite").exists() and Path(roots["state"], "jupyterhub.sqlite").exists()
    problems, unmatched = [], []
    for path in _all_paths(hub):
        st = os.lstat(path)
        rule = rule_for(str(path), roots)
        if rule is None:
            unmatched.append(str(path))
            continue
        if rule.owner:
            user, group = rule.owner.split(":")
            if user != "*" and st.st_uid != accounts[user].pw_uid:
                problems.append(f"{path}: owner uid {st.st_uid}, the table says {user}")
            if group != "*" and st.st_gid != accounts[group].pw_gid:
                problems.append(f"{path}: group gid {st.st_gid}, the table says {group}")
        if rule.mode is not None and stat.S_IMODE(st.st_mode) != rule.mode:
            problems.append(f"{path}: mode {stat.S_IMODE(st.st_mode):04o}, the table says {rule.mode:04o}")
    assert not unmatched, f"files the table does not cover: {unmatched}"
    assert not problems, "\n".join(problems)


LEARNER_OPENS = r"""
import json, os, sys
opened = []
for path in json.load(sys.stdin):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, 'rb') as f:
                f.read(1)
        opened.append(path)
    except OSError:
        pass
print(json.dumps(opened))
"""


def test_a_learner_opens_nothing_in_the_hubs_folders_unless_the_table_says_so(hub):
    """For real: as the learner's own uid, every file and folder is opened (files read, folders
    listed) by its full name, which the test knows even where the learner could not list it."""
    import subprocess

    from iso20k.hub.permissions import rule_for

    learner = hub.learners[0].user
    paths = [str(p) for p in _all_paths(hub) if not os.path.islink(p)]
    entry = pwd.getpwnam(learner)
    done = subprocess.run(["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
                           "/usr/bin/python3", "-c", LEARNER_OPENS], input=json.dumps(paths), capture_output=True,
                          text=True, timeout=120, cwd="/")
    assert done.returncode == 0, done.stderr
    opened = json.loads(done.stdout)
    roots = _roots(hub)
    assert str(Path(roots["state"], "learner-config")) in opened, "the check must be able to see a readable file"
    for secret in ("jupyterhub.sqlite", "jupyterhub_cookie_secret", "proxy.token"):
        assert str(Path(roots["state"], secret)) not in opened, secret
    assert str(Path(roots["data"], "progress.sqlite")) not in opened
    refused_by_table = [p for p in opened if not (rule := rule_for(p, roots)) or not rule.learner_may_read]
    assert not refused_by_table, f"a learner opened what the table closes: {refused_by_table}"


# -- a trainer plants code where the grader account can write -----------------------------------

PLANTED = ("voila.py", "jupyter_server_config.py", "jupyter_config.py", "jupyter_notebook_config.py",
           "ipython_config.py", "sitecustomize.py", "usercustomize.py", "zz-iso20k-planted.pth")


def _plant_script(targets: list[str], markers: str) -> str:
    payload = (f"import os; open(os.path.join({markers!r}, str(os.getuid()) + '-' + "
               f"str(os.getpid())), 'w').write(__file__ if '__file__' in dir() else 'pth')")
    return "\n".join([
        "import json, os",
        f"targets, planted, refused = {targets!r}, [], []",
        "for folder in targets:",
        "    try:",
        "        os.makedirs(folder, exist_ok=True)",
        f"        for name in {PLANTED!r}:",
        "            path = os.path.join(folder, name)",
        f"            text = {('import os; ' + payload)!r} if name.endswith('.pth') else {payload!r}",
        "            with open(path, 'w') as f:",
        "                f.write(text + '\\n')",
        "            planted.append(path)",
        "    except OSError as exc:",
        "        refused.append((folder, exc.strerror))",
        "print(json.dumps({'planted': planted, 'refused': refused}))",
    ])


def _service_pids(hub, role: str) -> list[int]:
    return [i["pid"] for i in hub_tree(hub) if _role(i, hub) == role and "ipykernel" not in i["cmd"]]


def test_code_a_trainer_plants_is_never_run_by_root_or_a_service_account(hub):
    roots, accounts = _roots(hub), _accounts(hub)
    markers = Path(hub.root) / "markers"
    markers.mkdir(exist_ok=True)
    markers.chmod(0o1777)  # whoever runs a planted file can leave its mark here
    port = hub.env["ISO20K_HUB_DASHBOARD_PORT"]
    state, data = Path(roots["state"]), Path(roots["data"])
    venv_site = next(Path(hub.python).parent.parent.glob("lib/python3*/site-packages"))
    closed = [data, data / "run" / f"dashboard-{port}", state / "run", state / "run" / "dashboard",
              state / "run" / "records", state, venv_site, Path(hub.python).parent.parent / "etc" / "jupyter"]
    open_to_grader = [Path(roots["course"]), Path(roots["exchange"]) / "iso20k" / "outbound",
                      Path(roots["exchange"]) / "iso20k" / "inbound", Path(roots["exchange"]),
                      Path(roots["course"]) / ".jupyter", Path(roots["course"]) / "run" / f"dashboard-{port}"]
    # first, the renaming attack of the issue: move the runtime folders away and make new ones
    rename = hub.as_grader("python", "-c", "\n".join([
        "import json, os", "out = {}",
        f"for folder in {[str(data / 'run'), str(state / 'run'), str(state / 'run' / 'dashboard')]!r}:",
        "    try:",
        "        os.rename(folder, folder + '.moved'); out[folder] = 'renamed'",
        "    except OSError as exc:",
        "        out[folder] = exc.strerror",
        "print(json.dumps(out))"]))
    assert "renamed" not in json.loads(rename.stdout).values(), rename.stdout
    done = hub.as_grader("python", "-c", _plant_script([str(p) for p in closed + open_to_grader], str(markers)))
    result = json.loads(done.stdout)
    refused = {folder for folder, _ in result["refused"]}
    assert {str(p) for p in closed} <= refused, f"the grader account could write into {set(map(str, closed)) - refused}"
    assert result["planted"], "the trainer must be able to plant where the grader account may write"

    # the services restart (a crash, a reboot): the hub starts them again
    before = {role: _service_pids(hub, role) for role in ("dashboard", "records", "verify")}
    assert all(before.values()), before
    for pids in before.values():
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        now = {role: _service_pids(hub, role) for role in before}
        if all(now[r] and not set(now[r]) & set(before[r]) for r in before):
            break
        time.sleep(1)
    else:
        raise AssertionError(f"the hub did not restart its services: {now}\n{hub.log()}")
    _wait_for_services(hub)
    manager = hub.learners[1]
    token = user_token(hub, manager.user)
    assert _status(f"{hub.url}/services/dashboard/", token) == 200  # the dashboard still serves (a kernel ran)
    with urllib.request.urlopen(f"{hub.url}/services/verify/verify/NO-SUCH-CODE?format=json", timeout=60) as reply:
        assert json.loads(reply.read())["genuine"] is False  # the verification page still answers, publicly
    time.sleep(3)
    ran = {p.name for p in markers.iterdir()}
    privileged = {str(a.pw_uid) for n, a in accounts.items() if n != "grader"}
    assert not {m for m in ran if m.split("-")[0] in privileged}, f"planted code ran as root or a service: {ran}"
    assert not ran, f"planted code ran: {ran}"
    # and the services are still where they were: their runtime folders fresh and their own
    for service in ("dashboard", "records"):
        st = os.lstat(state / "run" / service)
        assert stat.S_ISDIR(st.st_mode) and st.st_uid == accounts[service].pw_uid and stat.S_IMODE(st.st_mode) == 0o700


def test_the_records_account_writes_the_store_and_the_dashboard_account_only_reads_it(hub):
    roots, accounts = _roots(hub), _accounts(hub)
    store = Path(roots["data"], "progress.sqlite")
    assert os.stat(store).st_uid == accounts["records"].pw_uid
    probe = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE planted(x)'); c.commit()"
    for account in (hub.dashboard_user, hub.grader):
        done = as_account(account, [str(hub.python), "-c", probe, str(store)])
        assert done.returncode != 0, f"{account} could write the progress store"
    read = as_account(hub.dashboard_user, [str(hub.python), "-c",
                                           "import sqlite3,sys; c=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True);"
                                           "print(c.execute('SELECT COUNT(*) FROM employees').fetchone()[0])", str(store)])
    assert read.returncode == 0 and int(read.stdout) == len(hub.learners), read.stderr
