"""The company hub, for real: ``iso20k hub`` (JupyterHub, PAM, LocalProcessSpawner, the proxy
from Debian), accounts from the roster, PostgreSQL records written by the records service, and
learners' attacks from inside their own kernels.  Needs root (CI runs as root)."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from browser import chromium_page
from hub_world import Learner, install_product, run_in_kernel, start_hub, start_server, stop_hub, user_token

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="the hub spawns servers as other users: needs root")]


@pytest.fixture(scope="module")
def cluster():
    from postgres import PostgresCluster

    c = PostgresCluster().start()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def hub(cluster):
    root = Path(tempfile.mkdtemp(prefix="iso20k-hub-"))
    root.chmod(0o755)
    python = Path(os.environ["ISO20K_TEST_HUB_PYTHON"]) if os.environ.get("ISO20K_TEST_HUB_PYTHON") \
        else install_product(root / "venv")
    tag = secrets.token_hex(3)
    learners = [Learner(f"HT{tag}A", secrets.token_urlsafe(12), "Service Desk"),
                Learner(f"HT{tag}B", secrets.token_urlsafe(12), "运维部")]
    h = start_hub(root, python, learners, db_url=cluster.create_database())
    try:
        sync = h.iso20k("hub-sync")
        assert "2 hub users added" in sync.stdout, sync.stdout + sync.stderr
        yield h
    finally:
        stop_hub(h)
        shutil.rmtree(root, ignore_errors=True)


def _rows(hub, sql: str):
    from sqlalchemy import create_engine, text

    engine = create_engine(hub.db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _fingerprint(hub) -> str:
    rows = {t: _rows(hub, f"SELECT * FROM {t} ORDER BY 1, 2") for t in
            ("answers", "module_completions", "preferences", "employees", "enrolments")}
    return hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()


def test_roster_sync_puts_people_and_groups_on_the_hub(hub):
    a, b = hub.learners
    users = {u["name"]: u for u in hub.api_call("GET", "users")}
    assert {a.user, b.user} <= set(users)
    groups = {g["name"]: set(g["users"]) for g in hub.api_call("GET", "groups")}
    assert groups["dept-Service Desk"] == {a.user} and groups["dept-运维部"] == {b.user}
    assert {a.user, b.user} <= groups["role-staff"] and {a.user, b.user} <= groups["nbgrader-iso20k"]
    assert {a.user, b.user} <= groups["track-all-staff"]
    again = hub.iso20k("hub-sync", "--dry-run")
    assert "0 hub users added, 0 removed" in again.stdout


def test_the_sync_token_cannot_do_more_than_users_and_groups(hub):
    import urllib.error

    token = (hub.root / "state" / "roster-sync.token").read_text().strip()
    assert oct((hub.root / "state" / "roster-sync.token").stat().st_mode & 0o777) == "0o600"
    a = hub.learners[0]
    for method, path in [("POST", f"users/{a.user}/tokens"), ("POST", f"users/{a.user}/server"),
                         ("GET", "proxy"), ("POST", "shutdown")]:
        with pytest.raises(urllib.error.HTTPError) as refused:
            hub.api_call(method, path, token=token, body={})
        assert refused.value.code == 403, (method, path)


UI = {  # what a learner sees, by the language the hub starts them in
    "en": {"run": "Run", "run_all": "Run All Cells", "select_kernel": "Select Kernel",
           "right": "Everyone whose work affects the services", "check": "Check answer", "verdict": "Correct"},
    "zh": {"run": "运行", "run_all": "运行所有单元格", "select_kernel": "选择内核",
           "right": "所有工作会影响服务的人员", "check": "检查答案", "verdict": "回答正确"},
}


def _log_in_and_answer(hub, page, learner, language):
    ui = UI[language]
    page.goto(hub.url + "/hub/login")
    page.fill("input[name=username]", learner.user)
    page.fill("input[name=password]", learner.password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url("**/lab/**", timeout=120_000)
    page.wait_for_selector(".jp-Notebook", timeout=90_000)
    assert "START_HERE" in page.url
    question = None
    for _try in range(3):  # a kernel still connecting under load misses the first "Run All"
        for _dialog in range(3):  # a kernel slow to start under load makes JupyterLab ask again
            if not page.locator(f".jp-Dialog:has-text('{ui['select_kernel']}')").count():
                break
            page.locator(".jp-Dialog .jp-mod-accept").first.click()
            page.wait_for_timeout(5000)
        page.get_by_role("menuitem", name=ui["run"], exact=True).click()
        page.get_by_role("menuitem", name=ui["run_all"], exact=True).click()
        try:
            question = page.wait_for_selector(".iso20k-question", timeout=45_000)
            break
        except Exception:
            continue
    assert question is not None, "no question appeared after Run All Cells"
    card = page.locator(".iso20k-question").first
    card.get_by_role("radio", name=ui["right"]).check(timeout=30_000)
    page.wait_for_timeout(400)  # as a person would: the choice reaches the kernel before Check
    card.get_by_role("button", name=ui["check"]).click()
    card.locator(f"[role=status]:has-text('{ui['verdict']}')").wait_for(timeout=60_000)
    # "My training" on the start page came through the records service, for this learner
    page.locator(f".iso20k-training[data-learner='{learner.employee_id}']").wait_for(timeout=60_000)
    # nbgrader: the learner's Assignment List, none of the trainers' authoring or grading
    page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
    items = page.locator(".lm-Menu-content .lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    assert any("Assignment" in i for i in items) and not any("Formgrader" in i or "Course" in i for i in items), items
    config = json.loads(page.inner_text("#jupyter-config-data") or page.eval_on_selector(
        "#jupyter-config-data", "e => e.textContent"))
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"} <= set(config["disabledExtensions"])
    assert page.get_by_text("official Jupyter news").count() == 0  # no news question for learners


def test_two_learners_log_in_answer_and_their_rows_land_under_their_names(hub):
    """The second learner chose Chinese before: the hub starts JupyterLab and the quizzes in it."""
    from iso20k.store import ProgressStore

    store = ProgressStore(hub.db_url)
    store.set_language(hub.learners[1].employee_id, "zh")
    store.close()
    for learner, language in zip(hub.learners, ("en", "zh")):
        with chromium_page() as page:
            try:
                _log_in_and_answer(hub, page, learner, language)
            except Exception as exc:
                page.screenshot(path=str(hub.root.parent / f"hub-failure-{learner.user}.png"))
                raise AssertionError(f"{exc}\nat {page.url}\ndialogs: {page.eval_on_selector_all('.jp-Dialog', 'els => els.map(e => e.innerText)')}\n{page.inner_text('body')[:300]}\n{hub.log()}") from None
    rows = _rows(hub, "SELECT learner_id, question_id, correct, attempt FROM answers ORDER BY id")
    assert rows == [(x.employee_id, "start/welcome/q01", True, 1) for x in hub.learners]
    # each learner got their own copy of the course, in a home only they can enter
    for x in hub.learners:
        home = Path(os.path.expanduser(f"~{x.user}"))
        assert (home / "iso20k-course" / "START_HERE.ipynb").is_file()
        assert home.stat().st_mode & 0o077 == 0


ATTACKS = {
    "record under another learner's id": """
import json, os, urllib.request
req = urllib.request.Request(os.environ["ISO20K_RECORDS_URL"] + "api/answers", method="POST",
    data=json.dumps({"question_id": "start/welcome/q01", "response": "c", "language": "en",
                     "learner_id": "{victim}"}).encode(),
    headers={"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"], "JUPYTERHUB_USER": "{victim}"})
print(json.loads(urllib.request.urlopen(req).read())["learner_id"])
""",
    "wrong answer marked correct": """
import json, os, urllib.request
req = urllib.request.Request(os.environ["ISO20K_RECORDS_URL"] + "api/answers", method="POST",
    data=json.dumps({"question_id": "start/welcome/q01", "response": "a", "language": "en", "correct": True}).encode(),
    headers={"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]})
print(json.loads(urllib.request.urlopen(req).read())["correct"])
""",
    "forged environment in the widget": """
import os
os.environ["JUPYTERHUB_USER"] = "{victim}"; os.environ["ISO20K_LEARNER_ID"] = "{victim}"
from iso20k import quiz
w = quiz("start/welcome/q02"); w.select(False); w.check()
print(w.session.learner_id)
""",
    "no token at all": """
import json, os, urllib.request, urllib.error
req = urllib.request.Request(os.environ["ISO20K_RECORDS_URL"] + "api/answers", method="POST",
    data=json.dumps({"question_id": "start/welcome/q01", "response": "c", "language": "en"}).encode())
try:
    urllib.request.urlopen(req)
except urllib.error.HTTPError as e:
    print("refused", e.code)
""",
}


def test_attacks_from_a_learners_kernel_change_nothing_they_should_not(hub):
    a, b = hub.learners
    token = user_token(hub, a.user)
    start_server(hub, a.user, token)
    before = _rows(hub, f"SELECT count(*) FROM answers WHERE learner_id = '{b.employee_id}'")
    results = {name: run_in_kernel(hub, a.user, token, code.replace("{victim}", b.employee_id))
               for name, code in ATTACKS.items()}
    assert results["record under another learner's id"]["stdout"].strip() == a.employee_id, results
    assert results["wrong answer marked correct"]["stdout"].strip() == "False", results
    assert results["forged environment in the widget"]["stdout"].strip() == a.employee_id, results
    assert results["no token at all"]["stdout"].strip() == "refused 403", results
    assert _rows(hub, f"SELECT count(*) FROM answers WHERE learner_id = '{b.employee_id}'") == before
    wrong = _rows(hub, f"SELECT correct FROM answers WHERE learner_id = '{a.employee_id}' "
                       "AND question_id = 'start/welcome/q01' AND response = '\"a\"'")
    assert wrong == [(False,)]


READS = {
    "answer keys (exams/)": "exams/all-staff-exam.yaml",
    "hidden tests (source/)": "source",
    "the gradebook": "gradebook.db",
}


def test_a_learner_reaches_no_keys_no_database_and_no_other_home(hub):
    a, b = hub.learners
    token = user_token(hub, a.user)
    start_server(hub, a.user, token)
    before = _fingerprint(hub)
    other_home = os.path.expanduser(f"~{b.user}")
    probes = {name: f"open({str(hub.course_root / rel)!r}, 'rb').read(1) if {rel!r}.endswith(('.yaml', '.db')) "
                    f"else __import__('os').listdir({str(hub.course_root / rel)!r})"
              for name, rel in READS.items()}
    probes["another learner's home"] = f"__import__('os').listdir({other_home!r})"
    probes["the hub's state (tokens)"] = f"__import__('os').listdir({str(hub.root / 'state')!r})"
    probes["the progress database"] = (
        "import psycopg; psycopg.connect(host='127.0.0.1', port=" + str(hub.db_url.rsplit(':', 1)[1].split('/')[0])
        + ", user='iso20k', dbname='postgres', password='guess', connect_timeout=5)")
    probes["the hub's environment (database password)"] = f"open('/proc/{hub.proc.pid}/environ','rb').read()"
    for name, expression in probes.items():
        outcome = run_in_kernel(hub, a.user, token, expression)
        assert outcome["error"], f"{name}: the learner's kernel could read it"
        assert ("Permission" in outcome["error"] or "password authentication failed" in outcome["error"]
                or "OperationalError" in outcome["error"]), (name, outcome)
    env = run_in_kernel(hub, a.user, token, "import os; print(sorted(k for k in os.environ if 'DB' in k or 'PASS' in k))")
    assert env["stdout"].strip() == "[]", env
    assert _fingerprint(hub) == before


def test_learners_hand_in_through_the_exchange_and_cannot_list_each_others(hub):
    import subprocess

    a, b = hub.learners
    released = subprocess.run([str(hub.python.with_name("nbgrader")), "release_assignment", "all-staff-exam", "--force"],
                              cwd=hub.course_root, env=hub.env, capture_output=True, text=True, timeout=300)
    assert released.returncode == 0, released.stdout + released.stderr
    token_a, token_b = user_token(hub, a.user), user_token(hub, b.user)
    start_server(hub, b.user, token_b)
    start_server(hub, a.user, token_a)
    hand_in = run_in_kernel(hub, b.user, token_b, "\n".join([
        "import subprocess",
        "for cmd in (['nbgrader', 'fetch_assignment', 'all-staff-exam'], ['nbgrader', 'submit', 'all-staff-exam']):",
        "    done = subprocess.run(cmd, capture_output=True, text=True)",
        "    print(done.returncode, done.stderr[-300:].replace(chr(10), ' ') if done.returncode else '')",
    ]), timeout=240)
    assert [line.split()[0] for line in hand_in["stdout"].splitlines()] == ["0", "0"], hand_in
    inbound = hub.root / "exchange" / "iso20k" / "inbound"
    assert [p.name for p in inbound.iterdir() if p.name.startswith(f"{b.user}+all-staff-exam+")]
    for probe in (f"__import__('os').listdir({str(inbound)!r})",
                  f"__import__('shutil').rmtree({str(inbound.parent)!r})"):
        outcome = run_in_kernel(hub, a.user, token_a, probe)
        assert outcome["error"] and "Permission" in outcome["error"], (probe, outcome)
    assert [p.name for p in inbound.iterdir() if p.name.startswith(f"{b.user}+all-staff-exam+")]
