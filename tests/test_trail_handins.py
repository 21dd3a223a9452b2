"""The trail writer's door for quarantined hand-ins (iso20k.hub.records_service.TrailHandIns): only the
formgrader service's hub token is let in, reports are checked for shape, the entry names the
service, and the chain stays intact."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from tornado import web
from tornado.testing import AsyncHTTPTestCase

from iso20k.audit import entries, verify_trail
from iso20k.hub.records_service import TrailHandIns
from iso20k.settings import Settings
from iso20k.store import ProgressStore


class FakeHubAuth:
    """The hub's answer to 'whose token is this?'."""

    MODELS = {"svc-formgrader": {"kind": "service", "name": "iso20k"},
              "svc-dashboard": {"kind": "service", "name": "dashboard"},
              "learner": {"kind": "user", "name": "ann", "groups": []}}

    async def user_for_token(self, token, use_cache=True, session_id="", *, sync=True):
        return self.MODELS.get(token)


REPORT = {"assignment": "all-staff-exam", "claimed_student": "bob", "hand_in": "bob+all-staff-exam+2099+x",
          "owner": "ann", "reason": "the hand-in's folder belongs to ann, not to bob",
          "quarantined_as": "20261206T000000-abc-bob+all-staff-exam+2099+x", "contents_sha256": "0" * 64,
          "claimed_by": "trainer-t"}


class TrailHandInsTest(AsyncHTTPTestCase):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path):
        self.tmp = tmp_path

    def get_app(self):
        self.settings = Settings(data_dir=self.tmp, _env_file=None)
        self.store = ProgressStore(f"sqlite:///{self.tmp / 'progress.sqlite'}")
        return web.Application([("/api/trail/hand-ins", TrailHandIns, dict(
            store=self.store, hub_auth=FakeHubAuth(), executor=ThreadPoolExecutor(1), settings=self.settings))])

    def post(self, body, token: str | None = "svc-formgrader"):
        headers = {"Authorization": f"token {token}"} if token else {}
        return self.fetch("/api/trail/hand-ins", method="POST", headers=headers,
                          body=body if isinstance(body, bytes) else json.dumps(body))

    def test_only_the_formgrader_service_is_let_in(self):
        for token in (None, "unknown", "learner", "svc-dashboard"):
            assert self.post(REPORT, token).code == 403, token
        assert list(entries(self.store)) == []
        reply = self.post(REPORT)
        assert reply.code == 200, reply.body
        [entry] = list(entries(self.store))
        assert (entry.actor, entry.action, entry.subject) == ("service:iso20k", "hand-in-quarantined", "bob/all-staff-exam")
        assert entry.details == REPORT
        assert json.loads(reply.body)["hash"] == entry.hash
        assert json.loads((self.tmp / "audit-trail-head.json").read_text())["hash"] == entry.hash

    def test_malformed_reports_are_refused_and_nothing_else_passes(self):
        for body in (b"not json", [], {**REPORT, "reason": ""}, {**REPORT, "owner": 7},
                     {k: v for k, v in REPORT.items() if k != "hand_in"}, {**REPORT, "reason": "x" * 601}):
            assert self.post(body).code == 400, body
        assert self.post(b"{" + b" " * 70_000 + b"}").code == 413
        assert self.post({**REPORT, "seq": 1, "actor": "someone-else"}).code == 200
        [entry] = list(entries(self.store))
        assert entry.actor == "service:iso20k" and "seq" not in entry.details and "actor" not in entry.details
        assert verify_trail(self.store, None).ok

    def test_collect_reports_through_the_trail_writer_with_the_formgrader_token(self):
        import asyncio
        import os

        from iso20k.grading.exchange import _send_to_trail_writer

        def send(token):
            old = os.environ.get("JUPYTERHUB_API_TOKEN")
            os.environ["JUPYTERHUB_API_TOKEN"] = token
            try:
                return self.io_loop.run_sync(lambda: asyncio.get_running_loop().run_in_executor(
                    None, _send_to_trail_writer, self.get_url("/"), REPORT))
            finally:
                os.environ.pop("JUPYTERHUB_API_TOKEN") if old is None else os.environ.update(JUPYTERHUB_API_TOKEN=old)

        assert "refused the report (403)" in send("learner")
        assert send("svc-formgrader") is None
        [entry] = list(entries(self.store))
        assert entry.subject == "bob/all-staff-exam" and entry.details["claimed_by"] == "trainer-t"
