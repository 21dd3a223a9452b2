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
import time
from pathlib import Path

import pytest

from browser import chromium_page
from dashboard_probe import recorded
from iso20k.settings import REPO_ROOT
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
        else install_product()
    tag = secrets.token_hex(3)
    learners = [Learner(f"HT{tag}A", secrets.token_urlsafe(12), "Service Desk"),
                Learner(f"HT{tag}B", secrets.token_urlsafe(12), "运维部"),
                # the manager of A's department, the management representative, a trainer
                Learner(f"HT{tag}M", secrets.token_urlsafe(12), "Service Desk", role="manager"),
                Learner(f"HT{tag}R", secrets.token_urlsafe(12), "Quality", role="management-representative"),
                Learner(f"HT{tag}T", secrets.token_urlsafe(12), "Training Office", trainer=True)]
    db_url = cluster.create_database()
    name = db_url.rsplit("/", 1)[1]
    # a role per service: the records service (the trail writer) adds rows, the dashboard reads
    roles = {"ISO20K_HUB_RECORDS_DB_URL": cluster.url(name, user=f"rec_{tag}", password=secrets.token_urlsafe(18)),
             "ISO20K_HUB_DASHBOARD_DB_URL": cluster.url(name, user=f"dash_{tag}", password=secrets.token_urlsafe(18)),
             "ISO20K_DB_ADMIN_URL": cluster.url("postgres", user="postgres", password=cluster.superuser_password)}
    h = start_hub(root, python, learners, db_url=db_url, settings=roles)
    try:
        sync = h.iso20k("hub-sync")
        assert "5 hub users added" in sync.stdout, sync.stdout + sync.stderr
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
    a, b, m, r, t = hub.learners
    users = {u["name"]: u for u in hub.api_call("GET", "users")}
    assert {a.user, b.user} <= set(users)
    groups = {g["name"]: set(g["users"]) for g in hub.api_call("GET", "groups")}
    assert groups["dept-Service Desk"] == {a.user, m.user} and groups["dept-运维部"] == {b.user}
    assert groups["role-manager"] == {m.user} and groups["role-management-representative"] == {r.user}
    # nbgrader's graders: the trainer named in ISO20K_TRAINERS and the grader account
    assert groups["formgrade-iso20k"] == {t.user, hub.grader}
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
    "en": {"select_kernel": "Select Kernel",
           "right": "Everyone whose work affects the services", "check": "Check answer", "verdict": "Correct"},
    "zh": {"select_kernel": "选择内核",
           "right": "所有工作会影响服务的人员", "check": "提交答案", "verdict": "回答正确"},
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
    for _try in range(4):  # nothing to run: the questions appear by themselves (iso20k-lessons)
        for _dialog in range(3):  # a kernel slow to start under load makes JupyterLab ask (again)
            if not page.locator(f".jp-Dialog:has-text('{ui['select_kernel']}')").count():
                break
            page.locator(".jp-Dialog .jp-mod-accept").first.click()
            page.wait_for_timeout(5000)
        try:  # the kernel dialog may open just now: then accept it and wait again
            question = page.wait_for_selector(".iso20k-question fieldset", timeout=30_000)
            break
        except Exception:  # noqa: BLE001 - look for the dialog and wait again
            continue
    assert question is not None, "no question appeared on the start page by itself"
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
    for learner, language in zip(hub.learners[:2], ("en", "zh")):
        with chromium_page() as page:
            try:
                _log_in_and_answer(hub, page, learner, language)
            except Exception as exc:
                page.screenshot(path=str(hub.root.parent / f"hub-failure-{learner.user}.png"))
                raise AssertionError(f"{exc}\nat {page.url}\ndialogs: {page.eval_on_selector_all('.jp-Dialog', 'els => els.map(e => e.innerText)')}\n{page.inner_text('body')[:300]}\n{hub.log()}") from None
    rows = _rows(hub, "SELECT learner_id, question_id, correct, attempt FROM answers ORDER BY id")
    assert rows == [(x.employee_id, "start/welcome/q01", True, 1) for x in hub.learners[:2]]
    # each learner got their own copy of the course, in a home only they can enter
    for x in hub.learners[:2]:
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
    a, b = hub.learners[:2]
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
    a, b = hub.learners[:2]
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

    a, b = hub.learners[:2]
    hub.as_grader("nbgrader", "release_assignment", "all-staff-exam", "--force")
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


def _log_in(hub, page, person, next_path: str) -> None:
    """Sign in on the hub's own login page, going on to ``next_path``."""
    from urllib.parse import quote

    page.goto(f"{hub.url}/hub/login?next={quote(next_path)}")
    page.fill("input[name=username]", person.user)
    page.fill("input[name=password]", person.password)
    page.click("input[type=submit], button[type=submit]")


def _status(url: str, token: str) -> int:
    """The status of a GET with ``token``, redirects not followed (a 302 is to the login page)."""
    import urllib.error
    import urllib.request

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(Stay).open(
                urllib.request.Request(url, headers={"Authorization": f"token {token}"}), timeout=120) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_only_trainers_reach_the_formgrader_and_only_managers_reach_the_dashboard(hub):
    a, _b, m, r, t = hub.learners
    formgrader = f"{hub.url}/services/iso20k/formgrader/api/assignments"
    dashboard = f"{hub.url}/services/dashboard/"
    reached = {x.user: (_status(formgrader, token := user_token(hub, x.user)), _status(dashboard, token))
               for x in (a, m, r, t)}
    assert reached == {a.user: (403, 403), m.user: (403, 200), r.user: (403, 200), t.user: (200, 200)}, reached
    assert _status(formgrader, "not-a-token") in (302, 403) and _status(dashboard, "") in (302, 403)
    with chromium_page() as page:  # the learner's browser, signed in, is refused both
        _log_in(hub, page, a, "/services/iso20k/formgrader/")
        page.wait_for_load_state("networkidle")
        assert "403" in page.inner_text("body") and "Manage Assignments" not in page.inner_text("body")
        page.goto(dashboard)
        page.wait_for_load_state("networkidle")
        assert "403" in page.inner_text("body") and "jupyter-config-data" not in page.content()


TASK = "key-personnel-assessment"


def test_a_trainer_grades_a_written_task_in_formgrader_through_the_hub(hub):
    import sqlite3

    from iso20k.audit import entries
    from iso20k.store import ProgressStore

    a, b, _m, _r, t = hub.learners
    hub.as_grader("nbgrader", "generate_assignment", TASK, "--force")
    hub.as_grader("nbgrader", "release_assignment", TASK, "--force")
    token_b = user_token(hub, b.user)
    start_server(hub, b.user, token_b)
    fetch = "\n".join([
        "import subprocess",
        f"for cmd in (['nbgrader', 'fetch_assignment', '{TASK}'], ['nbgrader', 'submit', '{TASK}']):",
        "    done = subprocess.run(cmd, capture_output=True, text=True)",
        "    print(done.returncode, done.stderr[-300:].replace(chr(10), ' ') if done.returncode else '')"])
    hand_in = run_in_kernel(hub, b.user, token_b, fetch, timeout=240)
    assert [line.split()[0] for line in hand_in["stdout"].splitlines()] == ["0", "0"], hand_in
    hub.as_grader("nbgrader", "collect", TASK)
    graded = hub.as_grader("iso20k", "autograde", TASK, "--jobs", "1")
    assert "1" in graded.stdout, graded.stdout

    gradebook = hub.course_root / "gradebook.db"
    with sqlite3.connect(gradebook) as conn:
        (notebook_id,) = conn.execute(
            "SELECT sn.id FROM submitted_notebook sn JOIN submitted_assignment sa ON sa.id = sn.assignment_id "
            "WHERE sa.student_id = ?", (b.user,)).fetchone()
    with chromium_page() as page:
        _log_in(hub, page, t, f"/services/iso20k/formgrader/submissions/{notebook_id}/")
        score = page.locator("input.score#t1-task")
        score.wait_for(timeout=120_000)
        page.wait_for_load_state("networkidle")  # the page's grade models are loaded
        score.fill("7")
        score.press("Tab")  # formgrader saves a score when the field is left
        saved, deadline = None, time.monotonic() + 60
        while saved != (7.0,) and time.monotonic() < deadline:
            page.wait_for_timeout(500)
            with sqlite3.connect(gradebook) as conn:
                saved = conn.execute(
                    "SELECT g.manual_score FROM grade g JOIN base_cell bc ON bc.id = g.cell_id "
                    "WHERE g.notebook_id = ? AND bc.name = 't1-task'", (notebook_id,)).fetchone()
    assert saved == (7.0,)
    store = ProgressStore(hub.db_url)
    try:
        all_entries = list(entries(store))
        manual = [e for e in all_entries if e.action == "manual-grade"]
    finally:
        store.close()
    assert [e.actor for e in manual] == [t.user], [(e.actor, e.details) for e in manual]
    assert manual[0].subject.endswith(f"/{TASK}")
    # autograde ran as the grader account, which may not write the store: through the trail writer
    graded_entries = [e for e in all_entries if e.action in ("grade", "regrade")]
    assert graded_entries and {e.actor for e in graded_entries} == {"service:iso20k"}, graded_entries
    _the_grader_account_cannot_rewrite_the_evidence(hub, t)

    # feedback back to the learner, through the exchange; the others cannot list it
    hub.as_grader("nbgrader", "generate_feedback", TASK)
    hub.as_grader("nbgrader", "release_feedback", TASK)
    got = run_in_kernel(hub, b.user, token_b, "\n".join([
        "import glob, subprocess",
        f"done = subprocess.run(['nbgrader', 'fetch_feedback', '{TASK}'], capture_output=True, text=True)",
        f"print(done.returncode, len(glob.glob('iso20k/{TASK}/feedback/*/*.html')))"]), timeout=240)
    assert got["stdout"].split() == ["0", "1"], got
    token_a = user_token(hub, a.user)
    start_server(hub, a.user, token_a)
    feedback = hub.root / "exchange" / "iso20k" / "feedback"
    peek = run_in_kernel(hub, a.user, token_a, f"__import__('os').listdir({str(feedback)!r})")
    assert peek["error"] and "Permission" in peek["error"], peek
    # the export a trainer hands the training office
    hub.as_grader("nbgrader", "export", "--to", "grades.csv")
    export = (hub.course_root / "grades.csv").read_text(encoding="utf-8")
    assert b.user in export.lower() and TASK in export, export[:500]


GRADER_ATTACK = r"""
import json, os, sys, urllib.request, urllib.error
anchor, host, port, db = sys.argv[1:5]
roles = sys.argv[5:]
out = {}
def attempt(what, fn):
    try:
        fn()
        out[what] = "done"
    except Exception as exc:
        out[what] = type(exc).__name__
def rewrite_anchor():
    with open(anchor, "w") as f:
        f.write('{"seq": 1, "hash": "0"}')
def replace_anchor():
    other = os.path.join(os.path.dirname(anchor), "forged-head.json")
    with open(other, "w") as f:
        f.write('{"seq": 1, "hash": "0"}')
    os.replace(other, anchor)
attempt("rewrite anchor", rewrite_anchor)
attempt("replace anchor", replace_anchor)
attempt("list data folder", lambda: os.listdir(os.path.dirname(anchor)))
import psycopg
for role in roles:  # the store's roles, without their passwords (the grader holds none)
    attempt("connect as " + role, lambda: psycopg.connect(host=host, port=int(port), user=role, dbname=db,
                                                          connect_timeout=5).close())
out["store settings"] = sorted(k for k in os.environ if k.endswith("DB_URL"))
def post(trainer, body):
    headers = {"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"], "Content-Type": "application/json"}
    if trainer:
        headers["X-ISO20K-Trainer-Token"] = trainer
    request = urllib.request.Request(os.environ["ISO20K_TRAIL_URL"] + "api/trail/grades", method="POST",
                                     data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return [reply.status, json.loads(reply.read())["entries"][0]["actor"]]
    except urllib.error.HTTPError as exc:
        return [exc.code, json.loads(exc.read())["message"]]
# a harmless change (a grade that never existed, removed), so the trail stays consistent with the gradebook
change = {"assignment": "probe", "student": os.environ["VICTIM"], "submission": "", "removed": True,
          "grades": {"probe/cell": [None, None]}}
for name, trainer in (("no trainer", None), ("forged trainer token", "forged"),
                      ("own token, another's name", os.environ["OWN_TOKEN"])):
    out["post: " + name] = post(trainer, {"source": "formgrader", "submissions": [change],
                                          "actor": "someone-else", "claimed_by": "someone-else"})
print(json.dumps(out))
"""


def _formgrader_environ(hub) -> str:
    marker = f"ISO20K_HUB_STATE_DIR={hub.root / 'state'}".encode()
    for proc in Path("/proc").iterdir():
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
        except (OSError, ProcessLookupError):
            continue
        if marker in environ and b"JUPYTERHUB_SERVICE_NAME=iso20k" in environ:
            return b"\n".join(environ).decode(errors="replace")
    raise AssertionError("the formgrader's process was not found")


def _the_grader_account_cannot_rewrite_the_evidence(hub, trainer) -> None:
    """A trainer in the formgrader's terminal (the grader account) tries what rewrote the evidence
    before: the store (no URL, no password, no role), the anchor (not theirs to write), the trail
    writer without a trainer's token or in another's name.  Nothing changes; verify says intact."""
    from sqlalchemy.engine import make_url

    environ = _formgrader_environ(hub)
    assert "DB_URL=" not in environ and "ISO20K_TRAIL_URL=" in environ
    for url in (hub.db_url, hub.env["ISO20K_HUB_RECORDS_DB_URL"], hub.env["ISO20K_HUB_DASHBOARD_DB_URL"]):
        assert make_url(url).password not in environ
    anchor = Path(hub.env["ISO20K_DATA_DIR"]) / "audit-trail-head.json"
    head_before = anchor.read_bytes()
    db = make_url(hub.db_url)
    roles = [db.username, make_url(hub.env["ISO20K_HUB_RECORDS_DB_URL"]).username,
             make_url(hub.env["ISO20K_HUB_DASHBOARD_DB_URL"]).username, "postgres"]
    own = user_token(hub, trainer.user)
    done = hub.as_grader("python", "-c", GRADER_ATTACK, str(anchor), db.host, str(db.port), db.database, *roles,
                         env={"OWN_TOKEN": own, "VICTIM": hub.learners[1].user})
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["rewrite anchor"] == out["replace anchor"] == out["list data folder"] == "PermissionError", out
    assert all(out[f"connect as {role}"] == "OperationalError" for role in roles), out
    assert out["store settings"] == [], out
    assert out["post: no trainer"][0] == 403 and out["post: forged trainer token"][0] == 403, out
    # with their own token a trainer writes under their own name only, whatever the body claims
    assert out["post: own token, another's name"] == [200, trainer.user], out
    assert anchor.read_bytes() != head_before  # moved by the trail writer for that entry, not by the grader
    verify = hub.iso20k("audit-trail", "verify", check=False)
    assert verify.returncode == 0 and "Audit trail intact" in verify.stdout, verify.stdout


def _open_dashboard(hub, page, person) -> None:
    _log_in(hub, page, person, "/services/dashboard/")
    page.wait_for_selector(".iso20k-departments table, .iso20k-refused", timeout=180_000)


def _department_rows(page) -> list[str]:
    return page.eval_on_selector("table.iso20k-table[data-view=departments]",
                                 "t => [...t.querySelectorAll('tbody tr')].map(r => r.children[0].textContent)")


def test_a_manager_sees_only_their_department_through_the_hub_and_the_representative_all(hub):
    from dashboard_probe import forge_department, recorded, without_echoes

    a, b, m, r, t = hub.learners  # noqa: RUF059 - everyone is named for the reader
    url = f"{hub.url}/services/dashboard/"
    with chromium_page() as page:
        frames = recorded(page)
        _open_dashboard(hub, page, m)
        assert _department_rows(page)[0] == "Service Desk" and len(_department_rows(page)) == 2
        forged = forge_department(page, url, "运维部")
        page.wait_for_timeout(1000)
        screen = page.inner_text("body")
    everything = "\n".join(without_echoes(frames + forged) + [screen])
    assert a.employee_id in everything or "Service Desk" in everything, "the check must see A's department"
    for other in (b, r, t):
        assert other.employee_id not in everything, f"{other.employee_id} reached the manager of Service Desk"
    assert "运维部" not in everything and json.dumps("运维部")[1:-1] not in everything
    assert "Quality" not in everything and "Training Office" not in everything
    with chromium_page() as page:
        _open_dashboard(hub, page, r)
        assert set(_department_rows(page)[:-1]) == {"Service Desk", "运维部", "Quality", "Training Office"}


KERNEL_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _hub_log(hub) -> str:
    return (hub.root / "hub.log").read_text(errors="replace")


def _dashboard_kernels(hub) -> tuple[list[str], set[str]]:
    """(dashboard kernels started, those served) from the hub's log: what its administrator knows."""
    import re

    lines = [line for line in _hub_log(hub).splitlines() if line.startswith(("[Voila]", "[DashboardVoila]"))]
    return ([k for line in lines for k in re.findall(rf"Kernel started: ({KERNEL_ID})", line)],
            {k for line in lines for k in re.findall(rf"kernel ({KERNEL_ID}) served to", line)})


def _prepared_dashboard_kernel(hub, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started, served = _dashboard_kernels(hub)
        waiting = [k for k in started if k not in served]
        if waiting and "page prepared" in _hub_log(hub).rsplit("served to", 1)[-1]:
            return waiting[-1]
        time.sleep(0.5)
    raise AssertionError(f"no prepared dashboard kernel in {timeout} s:\n{hub.log()}")


PROC_SCAN = """
import os, sys
ids, files = sys.stdin.read().split("|")
ids, files = ids.split(), files.split()
found, kernels, opened = set(), 0, []
for pid in filter(str.isdigit, os.listdir("/proc")):
    for part in ("cmdline", "environ", "comm", "cwd", "fd", "maps"):
        path = f"/proc/{pid}/{part}"
        try:
            text = (" ".join(os.listdir(path)) if part == "fd" else os.readlink(path) if part == "cwd"
                    else open(path, "rb").read().decode("latin-1"))
        except OSError:
            continue
        kernels += part == "cmdline" and "ipykernel_launcher" in text and "voila_" in text
        found |= {i for i in ids if i in text}
for name in files:
    try:
        open(name).read()
        opened.append(name)
    except OSError:
        pass
print(kernels, sorted(found), opened)
"""


def test_a_dashboard_kernel_belongs_to_the_viewer_it_was_served_to(hub):
    """Issue 19, point 3, from the manager's own account, token and browser: no dashboard kernel
    id in /proc; with an id leaked anyway (the administrator's log), the manager cannot take a
    prepared kernel's socket before anyone is served it or after the representative is, nor its
    request information (with or without a login); the representative's page then loads with the
    whole company, and nothing of it reached the manager."""
    import pwd
    import re
    import subprocess

    from dashboard_probe import drain, ids_in, try_socket

    a, b, m, r, t = hub.learners
    url = f"{hub.url}/services/dashboard/"
    ws_base = url.replace("http://", "ws://")
    token = [f"Authorization: token {user_token(hub, m.user)}"]
    people = [(x.employee_id, x.department, x.role) for x in hub.learners]
    with chromium_page() as page:
        _open_dashboard(hub, page, m)  # the manager's own page: their cookies for the hub's proxy
        cookie = [f"Cookie: " + "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())]
        own = json.loads(page.inner_text("script#jupyter-config-data"))["kernelId"]
        mine = try_socket(f"{ws_base}api/kernels/{own}/channels", cookie)
        assert not isinstance(mine, int), f"the manager's cookies do not reach their own kernel ({mine})"
        mine.close()
    prepared = _prepared_dashboard_kernel(hub)

    # the manager, as their operating-system account, looks for dashboard kernel ids
    started, _ = _dashboard_kernels(hub)
    listing = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True).stdout
    files = re.findall(r"ipykernel_launcher -f (\S+/voila_\S+\.json)", listing)
    entry = pwd.getpwnam(m.user)
    scan = subprocess.run(["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
                           "/usr/bin/python3", "-c", PROC_SCAN], input=" ".join(started) + "|" + " ".join(files),
                          capture_output=True, text=True, timeout=120, cwd="/")
    kernels, rest = scan.stdout.split(" ", 1)
    assert int(kernels) >= 1 and files, f"the scan saw no dashboard kernel: {scan.stdout} {scan.stderr}"
    assert rest.strip() == "[] []", f"the manager read dashboard kernel ids or keys: {rest}"
    assert not any(k in f for k in started for f in files)

    attempts = {"socket before serving (cookies)": try_socket(f"{ws_base}api/kernels/{prepared}/channels", cookie),
                "socket before serving (token)": try_socket(f"{ws_base}api/kernels/{prepared}/channels", token),
                "request info, anonymous": try_socket(f"{ws_base}voila/query/{prepared}"),
                "request info, manager": try_socket(f"{ws_base}voila/query/{prepared}", cookie)}
    with chromium_page() as rep:
        frames = recorded(rep)
        _open_dashboard(hub, rep, r)
        served = json.loads(rep.inner_text("script#jupyter-config-data"))["kernelId"]
        rows = _department_rows(rep)
        attempts.update({
            "socket after serving (cookies)": try_socket(f"{ws_base}api/kernels/{served}/channels", cookie),
            "socket after serving (token)": try_socket(f"{ws_base}api/kernels/{served}/channels", token),
            "request info after serving, anonymous": try_socket(f"{ws_base}voila/query/{served}"),
            "request info after serving, manager": try_socket(f"{ws_base}voila/query/{served}", cookie)})
        received = []
        for got in attempts.values():
            if not isinstance(got, int):  # accepted: whatever came must hold nothing of the company
                received += drain(got, 4)
                got.close()
        rep.wait_for_timeout(500)
    assert set(rows[:-1]) == {"Service Desk", "运维部", "Quality", "Training Office"}, rows
    assert served == prepared, "the representative was served the kernel the manager tried"
    assert any("Quality" in f for f in frames), "the representative's page received the company"
    leaked = "\n".join(received)
    assert not [x.employee_id for x in (b, r, t) if x.employee_id in leaked], "the manager received others' rows"
    assert not ids_in(leaked, people, "运维部") and "Quality" not in leaked and "Training Office" not in leaked
    assert attempts == {what: 403 for what in attempts}, attempts


def test_no_secret_on_a_command_line_in_a_log_or_in_command_output(hub):
    import subprocess

    from sqlalchemy.engine import make_url

    secrets_ = {"database password": make_url(hub.db_url).password, "test admin token": hub.admin_token}
    for path in (hub.root / "state").glob("*.token"):
        secrets_[path.name] = path.read_text().strip()
    secrets_.update({f"{x.user}'s password": x.password for x in hub.learners})
    assert all(secrets_.values()) and len(secrets_) >= 5 + 4
    listing = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True).stdout
    assert "voila" in listing and "jupyterhub-singleuser" in listing and "records_service" in listing
    outputs = {"ps": listing, "hub log": (hub.root / "hub.log").read_text(errors="replace")}
    for command in (("settings",), ("whoami",), ("hub-sync", "--dry-run")):
        done = hub.iso20k(*command)
        outputs["iso20k " + " ".join(command)] = done.stdout + done.stderr
    for where, text in outputs.items():
        for name, value in secrets_.items():
            assert value not in text, f"{name} appears in {where}"


# --- No keys where learners can read them (issue 19, point 5) -----------------------------------

def _keyed_questions():
    from iso20k.banks import load_catalog

    return load_catalog(REPO_ROOT / "assessments")


KEY_SEARCH = r"""
import json, os, subprocess, sys
needles = json.loads({needles!r})
roots = [r for r in json.loads({roots!r}) if os.path.exists(r)]
with open(os.path.expanduser("~/.key-needles"), "w", encoding="utf-8") as f:
    f.write("\n".join(needles) + "\n")
# grep -F (Aho-Corasick) over every file this learner can read; unreadable ones are skipped (-s)
done = subprocess.run(["grep", "-r", "-l", "-s", "-F", "-a", "--exclude=.key-needles", "-f",
                       os.path.expanduser("~/.key-needles"), *roots], capture_output=True, text=True)
hits = [h for h in done.stdout.splitlines() if h]
# any YAML bank-like file with answers: a mapping of questions carrying 'answer'
import yaml
banks_with_keys, looked, readable = [], 0, 0
for root in roots:
    for folder, dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            looked += 1
            if not os.access(path, os.R_OK):
                continue
            readable += 1
            if name.endswith((".yaml", ".yml")):
                try:
                    data = yaml.safe_load(open(path, encoding="utf-8"))
                except Exception:
                    continue
                if isinstance(data, dict) and any(isinstance(q, dict) and ("answer" in q or "explanation" in q)
                                                  for q in data.get("questions") or []):
                    banks_with_keys.append(path)
print(json.dumps({{"grep": done.returncode, "hits": hits, "banks_with_keys": banks_with_keys,
                   "looked": looked, "readable": readable}}))
"""


def test_nothing_a_learner_can_read_holds_a_bank_answer_or_explanation(hub):
    """From the learner's own kernel: search the product's environment, the learner's home (with
    the delivered course), the learner config, the exchange and the whole test hub's folder
    (keyed banks, course folder and data included: what the learner can open there) for any
    explanation text of the banks and any bank file with answers."""
    a = hub.learners[0]
    token = user_token(hub, a.user)
    start_server(hub, a.user, token)
    catalog = _keyed_questions()
    needles = sorted({text for q in catalog.questions.values() for text in (q.explanation.en, q.explanation.zh)}
                     | {json.dumps(q.explanation.zh)[1:-1] for q in catalog.questions.values()})
    assert len(needles) > 300
    prefix = str(Path(hub.python).parent.parent)
    home = os.path.expanduser(f"~{a.user}")
    roots = [prefix, home, str(hub.root / "state" / "learner-config"), str(hub.root / "exchange"), str(hub.root)]
    # the keys are there (the records service reads them), so a reader with rights would find them
    keyed = hub.root / "keyed-banks"
    assert any("explanation" in p.read_text(encoding="utf-8") for p in keyed.rglob("*.yaml"))
    assert oct(keyed.stat().st_mode & 0o777) == "0o700"
    # controls: what the search must find if a key were readable (one explanation in a notebook,
    # one bank file with its answers), planted where the learner can read them
    control = hub.root / "exchange" / f"control-{secrets.token_hex(3)}"
    control.mkdir(mode=0o755)
    planted_text = control / "lesson.ipynb"
    planted_text.write_text(json.dumps({"cells": [{"source": catalog.question("all-staff/intro/q05").explanation.zh}]},
                                       ensure_ascii=True))
    planted_bank = control / "intro.yaml"
    shutil.copy(REPO_ROOT / "assessments" / "all-staff" / "intro.yaml", planted_bank)
    for path in (control, planted_text, planted_bank):
        path.chmod(0o755 if path.is_dir() else 0o644)
    try:
        out = run_in_kernel(hub, a.user, token, KEY_SEARCH.format(needles=json.dumps(needles),
                                                                  roots=json.dumps(roots)), timeout=600)
    finally:
        shutil.rmtree(control)
    assert out["error"] is None, out
    found = json.loads(out["stdout"].strip().splitlines()[-1])
    assert found["grep"] in (0, 2), found  # 2: some files unreadable (expected), not a failure to search
    assert found["readable"] > 1000, found  # the search really went through the installed package
    hits = sorted(set(found["hits"]) - {str(planted_text), str(planted_bank)})
    assert hits == [], f"explanations readable by a learner in: {hits[:10]}"
    assert set(found["hits"]) == {str(planted_text), str(planted_bank)}, found["hits"]  # the search works
    assert set(found["banks_with_keys"]) == {str(planted_bank)}, \
        f"banks with answers readable by a learner: {found['banks_with_keys'][:10]}"
    # the learner's kernel sees the banks, without keys
    seen = run_in_kernel(hub, a.user, token, "\n".join([
        "from iso20k.banks import cached_catalog",
        "from iso20k.settings import get_settings",
        "c = cached_catalog(get_settings().banks_dir)",
        "print(len(c.questions), sum(q.answer is not None or q.explanation is not None for q in c.questions.values()))",
        "import os; print(sorted(k for k in os.environ if 'KEYED' in k))"]))
    assert seen["stdout"].split("\n")[0].split() == [str(len(catalog.questions)), "0"], seen
    assert seen["stdout"].split("\n")[1] == "[]", seen


def test_a_learner_answers_through_the_records_and_gets_the_explanation_afterwards(hub):
    """The widget asks the records service to judge; the verdict brings the explanation; an
    ordering question starts in an order the records chose (never solved); every try of a
    script is an attempt stored under the learner."""
    from iso20k.widgets.shuffle import ordering_start

    a = hub.learners[0]
    token = user_token(hub, a.user)
    start_server(hub, a.user, token)
    catalog = _keyed_questions()
    q = catalog.question("all-staff/intro/q01")
    wrong = next(o.id for o in q.options if o.id != q.answer)
    order_q = next(x for x in catalog.questions.values() if x.type == "ordering")
    before = _rows(hub, f"SELECT count(*) FROM answers WHERE learner_id = '{a.employee_id}' "
                        f"AND question_id = '{q.full_id}'")[0][0]
    code = "\n".join([
        "import json",
        "from iso20k import quiz",
        f"w = quiz({q.full_id!r})",
        "shown_before = w.feedback.value",
        f"first = w.select({wrong!r}).check(); after_wrong = w.feedback.value",
        f"second = w.select({q.answer!r}).check(); after_right = w.feedback.value",
        f"o = quiz({order_q.full_id!r})",
        f"again = quiz({q.full_id!r})",  # as after a reload: the last answer and its feedback again
        "print(json.dumps({'records': type(w.session.records).__name__, 'results': [first, second],",
        "                  'before': shown_before, 'wrong': after_wrong, 'right': after_right,",
        "                  'attempts': w.attempts, 'start': o.input.order,",
        "                  'again': [again.input.value, again.feedback.value, again.attempts]}))"])
    out = run_in_kernel(hub, a.user, token, code)
    assert out["error"] is None, out
    got = json.loads(out["stdout"].strip().splitlines()[-1])
    assert got["records"] == "ServiceRecords" and got["results"] == [False, True], got
    import html

    if before == 0:  # the explanation only once there is an answer
        assert html.escape(q.explanation.en) not in got["before"]
    assert got["again"][0] == q.answer and html.escape(q.explanation.en) in got["again"][1], got
    assert got["again"][2] == before + 2, got
    assert html.escape(q.explanation.en) in got["wrong"] and html.escape(q.explanation.en) in got["right"], got
    assert got["attempts"] == before + 2
    assert got["start"] == ordering_start([o.id for o in order_q.options], order_q.answer, a.employee_id,
                                          order_q.full_id)
    assert got["start"] != list(order_q.answer)

    # A script trying every option: judged by the service, each try stored as an attempt.
    brute = run_in_kernel(hub, a.user, token, "\n".join([
        "import json, os, urllib.request",
        "url = os.environ['ISO20K_RECORDS_URL'] + 'api/answers'",
        "auth = {'Authorization': 'token ' + os.environ['JUPYTERHUB_API_TOKEN']}",
        "out = []",
        f"for option in {[o.id for o in q.options]!r}:",
        "    req = urllib.request.Request(url, method='POST', headers=auth, data=json.dumps(",
        f"        {{'question_id': {q.full_id!r}, 'response': option, 'language': 'en'}}).encode())",
        "    out.append(json.loads(urllib.request.urlopen(req).read()))",
        "print(json.dumps(out))"]))
    assert brute["error"] is None, brute
    verdicts = json.loads(brute["stdout"].strip().splitlines()[-1])
    assert [v["correct"] for v in verdicts] == [o.id == q.answer for o in q.options]
    rows = _rows(hub, f"SELECT attempt, correct FROM answers WHERE learner_id = '{a.employee_id}' "
                      f"AND question_id = '{q.full_id}' ORDER BY attempt")
    assert [r[0] for r in rows] == list(range(1, before + 2 + len(q.options) + 1))


# --- The daily reminders start with the hub (issue 22) -------------------------------------------

def test_the_reminders_service_starts_with_the_hub_as_the_records_account(hub):
    """The hub starts the reminders service (iso20k/hub/reminders_service.py) as the records
    account, the trail writer; it waits for its time of day (ISO20K_REMIND_TIME, 07:00) and says
    when in the hub's log. Its runs at that time: tests/test_reminders.py, with an injected clock."""
    import pwd
    import re
    import time

    def cmdline(pid: str) -> bytes:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return b""

    log, found = "", []
    for _ in range(60):
        found = [pid for pid in os.listdir("/proc") if pid.isdigit()
                 and b"iso20k.hub.reminders_service" in cmdline(pid)]
        log = (hub.root / "hub.log").read_text(errors="replace")
        if found and "reminders: next run at" in log:
            break
        time.sleep(1)
    assert found, log[-3000:]
    assert os.stat(f"/proc/{found[0]}").st_uid == pwd.getpwnam(hub.records_user).pw_uid
    assert re.search(r"reminders: next run at \d{4}-\d\d-\d\dT07:00:00", log), log[-3000:]
