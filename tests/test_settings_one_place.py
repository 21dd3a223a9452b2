"""Settings, trainers and the hub's roles each in one place.

- Every ``ISO20K_*`` variable is a field of :class:`iso20k.settings.Settings`: no module but
  ``settings.py`` names one as an environment key (it asks :func:`iso20k.settings.env_name`), and
  every ``ISO20K_*`` name the package, the docs or the scripts mention is a setting.
- One list of trainers (``ISO20K_TRAINERS``); the two names it replaced still work, with a warning.
- The hub's roles and scopes are the table in :mod:`iso20k.hub.roles`: the hub's configuration is
  built from it, JupyterHub knows every scope in it, and docs/deployment.md shows it verbatim.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from iso20k.settings import (ENV_PREFIX, GRADERS_GROUP, JUPYTERHUB_API_TOKEN, JUPYTERHUB_USER, Settings, env_name,
                             reload_settings)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "iso20k"
SETTINGS_PY = PACKAGE / "settings.py"
NAME = re.compile(r"\bISO20K_[A-Z0-9_]*[A-Z0-9]\b")
#: Environment keys that are settings even though JupyterHub, not the product, names them.
HUB_KEYS = {JUPYTERHUB_USER, JUPYTERHUB_API_TOKEN}


class _Recorder(BaseHTTPRequestHandler):
    """A small HTTP server standing in for the records service or a Learning Record Store: it
    keeps every request (method, path, Authorization header, JSON body) and answers from
    ``replies`` (path -> (status, JSON)), 404 for the rest."""

    requests: list = []
    replies: dict = {}

    def _answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).requests.append((self.command, self.path, self.headers.get("Authorization"),
                                    json.loads(body) if body else None))
        status, reply = type(self).replies.get(self.path, (404, {"message": "no such thing"}))
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    handler = type("Recorder", (_Recorder,), {"requests": [], "replies": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _setting_names() -> set[str]:
    return {env_name(field) for field in Settings.model_fields}


def _hand_made_keys(path: Path) -> list[str]:
    """Where ``path`` names a setting's environment variable as a whole string (an environment
    key written by hand) or builds one from the prefix: ``file:line: text``, one per line."""
    found = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                NAME.fullmatch(node.value) or node.value in HUB_KEYS or node.value.startswith(ENV_PREFIX)
                and node.value.rstrip("_") == node.value[:-1] and node.value.isupper()):
            found.setdefault(node.lineno, f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    return [found[line] for line in sorted(found)]


def test_no_module_but_settings_names_an_environment_key():
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) if path != SETTINGS_PY for hit in _hand_made_keys(path)]
    assert found == [], ("environment keys written by hand outside settings.py (read the setting, or name its "
                         "variable with iso20k.settings.env_name):\n" + "\n".join(found))


def test_the_check_finds_a_hand_made_key(tmp_path):
    """The check above sees the forms it forbids (so its silence means something)."""
    bad = ROOT / "tests" / f"_bad_{tmp_path.name}.py"
    bad.write_text('import os\nfolder = os.environ.get("ISO20K_WORKER_RESULTS")\n'
                   'user = os.environ["JUPYTERHUB_USER"]\nname = f"ISO20K_{x.upper()}"\n'
                   'fine = "set ISO20K_DATA_DIR to a folder"\n')
    try:
        found = [hit.split(": ", 1)[1] for hit in _hand_made_keys(bad)]
    finally:
        bad.unlink()
    assert found == ["'ISO20K_WORKER_RESULTS'", "'JUPYTERHUB_USER'", "'ISO20K_'"]


def test_every_iso20k_name_mentioned_is_a_setting():
    known = _setting_names()
    files = [p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix not in (".pyc", ".mo", ".ttc", ".png", ".pdf")]
    files += [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("scripts/*"), *ROOT.glob("dashboard/**/*.ipynb")]
    unknown = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, IsADirectoryError):
            continue
        for name in set(NAME.findall(text)) - known:
            unknown.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert unknown == {}, f"ISO20K_ names that are no setting: {unknown}"


def test_settings_reach_the_variables_the_product_used_to_read_itself(monkeypatch, tmp_path, http_server):
    monkeypatch.setenv("ISO20K_WORKER_RESULTS", str(tmp_path / "runs"))
    monkeypatch.setenv("ISO20K_DASHBOARD_SIGNING_KEY", "sign-me-123")
    monkeypatch.setenv("ISO20K_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv(JUPYTERHUB_USER, "e042")
    monkeypatch.setenv(JUPYTERHUB_API_TOKEN, "hub-token-456")
    s = reload_settings()
    assert (s.worker_results, s.runtime_dir, s.jupyterhub_user) == (tmp_path / "runs", tmp_path / "run", "e042")
    assert s.dashboard_signing_key.get_secret_value() == "sign-me-123"
    assert s.jupyterhub_api_token.get_secret_value() == "hub-token-456"
    shown = {row[0]: row[1] for row in s.describe()}
    assert shown["ISO20K_DASHBOARD_SIGNING_KEY"] == "***" and shown[JUPYTERHUB_API_TOKEN] == "***"
    # handed on to a child process unmasked, except JupyterHub's own (the hub gives each its own)
    env = s.environment()
    assert env["ISO20K_DASHBOARD_SIGNING_KEY"] == "sign-me-123"
    assert JUPYTERHUB_USER not in env and JUPYTERHUB_API_TOKEN not in env

    from iso20k.dashboard.access import signing_key
    from iso20k.identity import resolve_learner_id
    from iso20k.records.choose import default_records
    from iso20k.records.remote import ServiceRecords

    assert signing_key() == b"sign-me-123"
    assert resolve_learner_id() == "e042"
    # a learner's kernel on the hub reaches the records service with the hub's token from the settings
    base, service = http_server
    service.replies["/services/records/api/me"] = (200, {"learner_id": "e042", "language": "zh"})
    monkeypatch.setenv("ISO20K_RECORDS_URL", f"{base}/services/records/")
    records = default_records(reload_settings())
    assert isinstance(records, ServiceRecords) and records.learner_id == "e042"
    assert service.requests == [("GET", "/services/records/api/me", "token hub-token-456", None)]


def test_statements_reach_the_learning_record_store_with_basic_auth_in_batches(http_server):
    from pydantic import SecretStr

    from iso20k.xapi.lrs import LrsError, send

    base, lrs = http_server
    lrs.replies["/xapi/statements"] = (200, ["id"])
    settings = Settings(lrs_url=f"{base}/xapi/", lrs_username="key-1", lrs_password=SecretStr("pä:ss"))
    statements = [{"id": str(i), "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}, "name": "张伟"}
                  for i in range(5)]
    assert send(statements, settings, batch=2) == 5
    basic = "Basic " + base64.b64encode("key-1:pä:ss".encode()).decode()
    assert [(m, p, a) for m, p, a, _ in lrs.requests] == [("POST", "/xapi/statements", basic)] * 3
    assert [body for *_, body in lrs.requests] == [statements[:2], statements[2:4], statements[4:]]

    lrs.replies["/xapi/statements"] = (401, {"message": "bad key"})
    with pytest.raises(LrsError, match="refused statements 1-2: HTTP 401") as refused:
        send(statements, settings, batch=2)
    assert "pä:ss" not in str(refused.value)


def test_one_list_of_trainers(monkeypatch):
    monkeypatch.setenv("ISO20K_TRAINERS", "E0101, E0102")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the current name warns of nothing
        s = reload_settings()
    assert s.trainer_ids == ["E0101", "E0102"]
    assert s.trainer_groups == [GRADERS_GROUP]  # nbgrader's graders group, named once
    assert Settings.model_fields["dashboard_trainer_groups"].default == GRADERS_GROUP


@pytest.mark.parametrize("old", ["ISO20K_HUB_TRAINERS", "ISO20K_DASHBOARD_TRAINERS"])
def test_the_old_trainer_settings_still_work_with_a_warning(monkeypatch, old):
    monkeypatch.setenv("ISO20K_TRAINERS", "E0101")
    monkeypatch.setenv(old, "E0102,e0101")
    with pytest.warns(FutureWarning, match=f"{old} is deprecated.*ISO20K_TRAINERS"):
        s = reload_settings()
    assert s.trainer_ids == ["E0101", "E0102", "e0101"]
    env = s.environment()
    assert env["ISO20K_TRAINERS"] == "E0101,E0102,e0101" and old not in env  # children get the one list

    # both faces read the one list: the hub's sync and the dashboard's viewer rules
    from iso20k.dashboard.viewer import Identity, viewer_for
    from iso20k.hub.accounts import plan_accounts

    people = [{"employee_id": e, "role": "staff", "department": "Ops", "active": True, "tracks": {}}
              for e in ("E0101", "E0102", "E0103")]
    plan = plan_accounts(people, set(), {}, trainers=s.trainer_ids)
    assert sorted(plan.group_adds[GRADERS_GROUP]) == ["e0101", "e0102"]
    roster = {p["employee_id"]: ("staff", "Ops") for p in people}
    assert viewer_for(Identity("e0102"), roster, trainers=s.trainer_ids).whole_company
    assert viewer_for(Identity("x", (GRADERS_GROUP,)), roster, trainers=s.trainer_ids,
                      trainer_groups=s.trainer_groups).whole_company


def test_hub_configuration_builds_roles_and_scopes_from_the_one_table():
    from jupyterhub.scopes import _check_scopes_exist

    from iso20k.hub import roles

    for role in roles.ROLES:
        _check_scopes_exist(set(role.scopes), who_for=f"role {role.name}")  # raises on a scope JupyterHub lacks
    _check_scopes_exist(set(roles.SERVER_TOKEN_SCOPES), who_for="learner servers")
    assert [r["name"] for r in roles.load_roles()] == ["user", "roster-sync", GRADERS_GROUP, "dashboard-viewer"]
    assert roles.load_roles()[3]["groups"] == list(roles.DASHBOARD_GROUPS)
    # hub/config.py writes no scope itself: it takes them from the table
    config = (PACKAGE / "hub" / "config.py").read_text(encoding="utf-8")
    assert "c.JupyterHub.load_roles = load_roles()" in config
    assert "c.Spawner.server_token_scopes = list(SERVER_TOKEN_SCOPES)" in config
    scope = re.compile(r"self|(?:admin|access|read|list|users|servers|tokens|groups|shares|delete):[\w:-]+(?:!.*)?")
    elsewhere = sorted({f"{p.relative_to(ROOT)}: {node.value}" for p in PACKAGE.rglob("*.py") if p.name != "roles.py"
                        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                        if isinstance(node, ast.Constant) and isinstance(node.value, str)
                        and scope.fullmatch(node.value)})
    assert elsewhere == [], f"hub scopes written outside iso20k/hub/roles.py: {elsewhere}"


def test_the_deployment_guide_shows_the_roles_table():
    from iso20k.hub.roles import markdown

    doc = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert markdown() in doc, "docs/deployment.md must carry iso20k.hub.roles.markdown() verbatim"
