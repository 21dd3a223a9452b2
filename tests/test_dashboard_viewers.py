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
from dashboard_probe import forge_department, ids_in, recorded, without_echoes
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
