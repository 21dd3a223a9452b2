"""The hub's doors for timed per-learner forms (iso20k.hub.records_service.ExamSittings and
TrailSittings): a sitting belongs to whoever the hub says owns the token, its minutes come from the
release and its moment from the service's clock; only the formgrader reads them all back."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from tornado import web
from tornado.testing import AsyncHTTPTestCase

from iso20k.audit import entries, verify_trail
from iso20k.hub.records_service import ExamSittings, TrailSittings
from iso20k.settings import Settings
from iso20k.store import ProgressStore

A = "all-staff-exam"


class FakeHubAuth:
    MODELS = {"svc-formgrader": {"kind": "service", "name": "iso20k"},
              "ann-token": {"kind": "user", "name": "ann", "groups": []},
              "bob-token": {"kind": "user", "name": "bob", "groups": []}}

    async def user_for_token(self, token, use_cache=True, session_id="", *, sync=True):
        return self.MODELS.get(token)


class ExamSittingsTest(AsyncHTTPTestCase):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path):
        self.tmp = tmp_path

    def get_app(self):
        released = self.tmp / "exchange" / "iso20k" / "outbound" / A
        released.mkdir(parents=True)
        (released / "form-pool.json").write_text(json.dumps({"exam": {"minutes": 45}}))
        self.settings = Settings(data_dir=self.tmp, exchange_dir=self.tmp / "exchange", exam_max_attempts=2,
                                 exam_retake_wait_days=0, _env_file=None)
        self.store = ProgressStore(f"sqlite:///{self.tmp / 'progress.sqlite'}")
        kwargs = dict(store=self.store, hub_auth=FakeHubAuth(), executor=ThreadPoolExecutor(1), settings=self.settings)
        return web.Application([("/api/exam/sittings", ExamSittings, kwargs),
                                ("/api/trail/sittings", TrailSittings, kwargs)])

    def post(self, body, token="ann-token"):
        headers = {"Authorization": f"token {token}"} if token else {}
        return self.fetch("/api/exam/sittings", method="POST", headers=headers, body=json.dumps(body))

    def test_a_learner_opens_resumes_hands_in_and_retakes_only_their_own_sitting(self):
        start = {"assignment": A, "action": "start"}
        for token in (None, "unknown", "svc-formgrader"):
            assert self.post(start, token).code == 403
        for body in ({"assignment": "../../etc", "action": "start"}, {"assignment": A, "action": "finish"}, {}):
            assert self.post(body).code == 400
        first = json.loads(self.post({**start, "minutes": 9999, "learner": "bob"}).body)
        assert first["new"] and first["sitting"]["learner"] == "ann" and first["sitting"]["minutes"] == 45
        again = json.loads(self.post(start).body)
        assert not again["new"] and again["sitting"] == first["sitting"]  # same attempt, same clock
        assert self.post({"assignment": A, "action": "hand-in"}).code == 200
        retake = json.loads(self.post(start).body)
        assert retake["new"] and retake["sitting"]["attempt"] == 2
        assert self.post({"assignment": A, "action": "hand-in"}).code == 200
        refused = self.post(start)
        assert refused.code == 409 and "attempts are used" in json.loads(refused.body)["message"]
        actions = [(e.actor, e.action, e.subject) for e in entries(self.store)]
        assert actions[0] == ("learner:ann", "exam-started", f"ann/{A}") and len(actions) == 4
        assert verify_trail(self.store, None).ok
        # only the formgrader reads every sitting back
        assert self.fetch("/api/trail/sittings", headers={"Authorization": "token ann-token"}).code == 403
        read = json.loads(self.fetch("/api/trail/sittings", headers={"Authorization": "token svc-formgrader"}).body)
        assert [(s["learner"], s["attempt"], bool(s["handed_in_at"])) for s in read["sittings"]] == \
            [("ann", 1, True), ("ann", 2, True)]
