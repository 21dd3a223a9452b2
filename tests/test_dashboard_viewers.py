"""Each person sees what the roster allows, on a real Voila dashboard with prepared (preheated)
kernels, in headless Chromium: a department manager's page never receives another department's
rows, whatever the browser sends; the management representative sees the company; staff are
refused.  Checked on the websocket frames the browser receives, not only on the screen."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest
import websocket
from browser import chromium_page
from dashboard_probe import forge_department, ids_in, recorded, try_socket, without_echoes
from dashboard_world import dashboard, make_world

pytestmark = pytest.mark.slow
TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    import sqlite3

    base = tmp_path_factory.mktemp("viewers")
    settings, env, _ = make_world(base, employees=60, departments=4, autograde_count=1)
    db = sqlite3.connect(Path(settings.data_dir) / "progress.sqlite")
    people = db.execute("SELECT employee_id, department, role FROM employees WHERE active").fetchall()
    db.close()
    managers = {}
    for eid, dept, role in people:
        if role == "manager":
            managers.setdefault(dept, eid)
    (a_dept, a_mgr), (b_dept, b_mgr) = sorted(managers.items())[:2]
    rep = next(eid for eid, _, role in people if role == "management-representative")
    staff = next(eid for eid, dept, role in people if role == "staff")
    tokens = {secrets.token_hex(8): name for name in (a_mgr, b_mgr, rep, staff)}
    token_of = {name: token for token, name in tokens.items()}
    server_token = "srv-" + secrets.token_hex(12)
    env = {**env, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
           "ISO20K_DASHBOARD_IDENTITY_PROVIDER": "dashboard_users.PerUserTokens",
           "ISO20K_TEST_USER_TOKENS": json.dumps(tokens), "ISO20K_DASHBOARD_TOKEN": server_token}
    log = base / "voila.log"
    with dashboard(env, log) as url:
        yield {"url": url, "log": log, "people": people, "a": (a_dept, a_mgr), "b": (b_dept, b_mgr),
               "rep": rep, "staff": staff, "token_of": token_of, "server_token": server_token}


def open_as(page, url: str, token: str, suffix: str = "") -> None:
    page.goto(f"{url}?token={token}{suffix}")
    page.wait_for_selector(".iso20k-departments table, .iso20k-refused", timeout=90_000)


def test_a_manager_sees_only_their_department_whatever_the_browser_sends(company):
    url, people = company["url"], company["people"]
    a_dept, a_mgr = company["a"]
    b_dept, _ = company["b"]
    b_words = [w for w in re.findall(r"[A-Za-z&]{4,}", b_dept) if w not in a_dept]
    with chromium_page() as page:
        frames = recorded(page)
        # A forged filter in the address is ignored: the page reads no filter from the URL.
        open_as(page, url, company["token_of"][a_mgr], f"&department={b_dept}")
        rows = page.eval_on_selector("table.iso20k-table[data-view=departments]",
                                     "t => [...t.querySelectorAll('tbody tr')].map(r => r.children[0].textContent)")
        assert rows[0] == a_dept and len(rows) == 2  # A and the total row
        page.locator(".widget-dropdown", has=page.locator("label:text-is('Department')")).locator("select") \
            .select_option(label=a_dept)
        page.wait_for_selector("table.iso20k-table[data-view=people]")
        assert ids_in(page.inner_text("body"), people, a_dept)  # A's people are listed

        # the same logged-in manager, sending what a browser could
        socket_frames = forge_department(page, url, b_dept)
        page.wait_for_timeout(1000)
        screen = page.inner_text("body")
    # ipywidgets echoes each update back to the page ("echo_update"): the forger's own words.
    everything = "\n".join(without_echoes(frames + socket_frames) + [screen])
    assert any(a_dept in f or json.dumps(a_dept)[1:-1] in f for f in frames), "the check must see A's frames"
    assert not ids_in(everything, people, b_dept), "an employee of department B reached the manager of A"
    assert b_dept not in everything and json.dumps(b_dept)[1:-1] not in everything
    assert not [w for w in b_words if w in everything], b_words


def test_another_user_cannot_take_over_a_managers_page(company):
    url = company["url"]
    _, a_mgr = company["a"]
    _, b_mgr = company["b"]
    with chromium_page() as page:
        open_as(page, url, company["token_of"][a_mgr])
        kernel = json.loads(page.inner_text("script#jupyter-config-data"))["kernelId"]
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(url.replace("http://", "ws://") + f"api/kernels/{kernel}/channels",
                                        timeout=5, header=[f"Authorization: token {company['token_of'][b_mgr]}"])
        assert refused.value.status_code == 403
        with pytest.raises(websocket.WebSocketBadStatusException):  # and nobody without a login
            websocket.create_connection(url.replace("http://", "ws://") + f"api/kernels/{kernel}/channels",
                                        timeout=5)


def test_the_representative_sees_the_company_and_staff_are_refused(company):
    url, people = company["url"], company["people"]
    with chromium_page() as page:
        open_as(page, url, company["token_of"][company["rep"]])
        rows = page.eval_on_selector("table.iso20k-table[data-view=departments]",
                                     "t => [...t.querySelectorAll('tbody tr')].map(r => r.children[0].textContent)")
    assert set(rows[:-1]) == {dept for _, dept, _ in people}
    with chromium_page() as page:
        frames = recorded(page)
        open_as(page, url, company["token_of"][company["staff"]])
        text = page.inner_text("body")
        page.wait_for_timeout(1000)
    assert "not allowed" in text and not page_has_table(text)
    joined = "\n".join(frames)
    assert not any(ids_in(joined, people, dept) for dept in {d for _, d, _ in people})
    with chromium_page() as page:  # no token at all: the log-in page, no dashboard
        page.goto(url)
        assert "jupyter-config-data" not in page.content()


def page_has_table(text: str) -> bool:
    return "Completion by department" in text


def test_no_secret_in_the_process_list_or_the_log(company):
    listing = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True).stdout
    assert "voila" in listing
    for secret in [company["server_token"], *company["token_of"].values()]:
        assert secret not in listing
        assert secret not in company["log"].read_text()


KERNEL_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def kernels_in_log(log: Path) -> tuple[list[str], set[str]]:
    """(kernels started, kernels served) as the server's log says: what an administrator knows."""
    text = log.read_text(errors="replace")
    return (re.findall(rf"Kernel started: ({KERNEL_ID})", text),
            set(re.findall(rf"kernel ({KERNEL_ID}) served to", text)))


def unserved_kernel(log: Path, timeout: float = 90) -> str:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started, served = kernels_in_log(log)
        waiting = [k for k in started if k not in served]
        if waiting and "page prepared" in log.read_text(errors="replace").rsplit("served to", 1)[-1]:
            return waiting[-1]
        time.sleep(0.3)
    raise AssertionError(f"no prepared kernel in {timeout} s:\n{log.read_text()[-3000:]}")


def http_status(url: str, method: str = "GET", token: str | None = None) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None,
                                     headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_prepared_kernel_is_used_only_by_the_viewer_it_was_served_to(company):
    """A manager who learned a prepared kernel's id (here: from the server's log, as a leak would
    give it) cannot take its socket before anyone is served it, nor after the representative is;
    nobody but the kernel itself gets its request information; the representative's page loads
    with the whole company and the manager's sockets received nothing of it."""
    from dashboard_probe import drain

    url, log, people = company["url"], company["log"], company["people"]
    a_dept, a_mgr = company["a"]
    manager = [f"Authorization: token {company['token_of'][a_mgr]}"]
    ws_base = url.replace("http://", "ws://")
    prepared = unserved_kernel(log)
    attempts = {
        "manager's socket before serving": try_socket(f"{ws_base}api/kernels/{prepared}/channels", manager),
        "anonymous request info": try_socket(f"{ws_base}voila/query/{prepared}"),
        "manager's request info": try_socket(f"{ws_base}voila/query/{prepared}", manager),
        "forged kernel proof": try_socket(f"{ws_base}voila/query/{prepared}",
                                          manager + ["X-Iso20k-Kernel-Proof: " + "0" * 64]),
    }
    assert http_status(f"{url}api/kernels/{prepared}", token=company["token_of"][a_mgr]) == 403
    assert http_status(f"{url}voila/api/shutdown/{prepared}", "POST", company["token_of"][a_mgr]) == 403
    with chromium_page() as page:
        open_as(page, url, company["token_of"][company["rep"]])
        rows = page.eval_on_selector("table.iso20k-table[data-view=departments]",
                                     "t => [...t.querySelectorAll('tbody tr')].map(r => r.children[0].textContent)")
        served = json.loads(page.inner_text("script#jupyter-config-data"))["kernelId"]
        attempts["manager's socket after serving"] = try_socket(f"{ws_base}api/kernels/{served}/channels", manager)
        attempts["manager's request info after serving"] = try_socket(f"{ws_base}voila/query/{served}", manager)
        attempts["anonymous socket after serving"] = try_socket(f"{ws_base}api/kernels/{served}/channels")
        assert http_status(f"{url}voila/api/shutdown/{served}", "POST", company["token_of"][a_mgr]) == 403
        assert http_status(f"{url}api/kernels/{served}", "DELETE", company["token_of"][a_mgr]) == 403
        # the representative's own socket still works: the page is theirs
        own = try_socket(f"{ws_base}api/kernels/{served}/channels",
                         [f"Authorization: token {company['token_of'][company['rep']]}"])
        assert not isinstance(own, int), f"the representative's own socket was refused ({own})"
        own.close()
    assert set(rows[:-1]) == {dept for _, dept, _ in people}, rows
    assert served == prepared, "the representative was served the kernel the manager tried"
    received = []
    for what, got in attempts.items():
        if not isinstance(got, int):  # accepted: whatever it received must hold nothing of the company
            received += drain(got, 3)
            got.close()
    others = {dept for _, dept, _ in people} - {a_dept}
    leaked = {dept: ids_in("\n".join(received), people, dept) for dept in others}
    assert not any(leaked.values()), f"the manager's sockets received {leaked}"
    assert {what: got for what, got in attempts.items()} == {what: 403 for what in attempts}, attempts


def test_no_dashboard_kernel_id_is_readable_by_another_local_user(company):
    """The kernels' command lines name their connection files without the kernel's id; the files
    are 0600 in folders only the dashboard's account enters.  Checked as ``nobody``."""
    import stat
    import sys as _sys

    started, _ = kernels_in_log(company["log"])
    assert started
    scan = ("import os, sys\nids = sys.stdin.read().split()\nfound, kernels = set(), 0\n"
            "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
            "    for part in ('cmdline', 'environ', 'comm', 'cwd', 'fd'):\n"
            "        try:\n"
            "            p = f'/proc/{pid}/{part}'\n"
            "            text = ' '.join(os.listdir(p)) if part == 'fd' else os.readlink(p) if part == 'cwd' else "
            "open(p, 'rb').read().decode('latin-1')\n"
            "        except OSError:\n            continue\n"
            "        kernels += part == 'cmdline' and 'ipykernel_launcher' in text\n"
            "        found |= {i for i in ids if i in text}\n"
            "print(kernels, sorted(found))\n")
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                           "-c", scan], input=" ".join(started), capture_output=True, text=True, timeout=60)
    kernels, found = done.stdout.split(" ", 1)
    assert int(kernels) >= 1, f"the scan saw no dashboard kernel: {done.stdout} {done.stderr}"
    assert found.strip() == "[]", f"kernel ids readable by another user: {found}"
    # the connection files: 0600, in 0700 folders of the server's account
    listing = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True).stdout
    files = re.findall(r"ipykernel_launcher -f (\S+kernel-[0-9a-f]{32}\.json)", listing)
    assert files, listing
    for path in map(Path, files):
        if not path.exists():  # another test's dashboard, gone meanwhile
            continue
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert path.parent.stat().st_mode & 0o777 == 0o700 and path.parent.parent.name == "kernels"
        assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700
    assert _sys.platform == "linux"
