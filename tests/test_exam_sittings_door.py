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


def test_a_late_hand_in_is_in_the_trail_and_on_the_dashboard(tmp_path):
    """The hand-in after the limit plus grace is recorded late in the trail; the dashboard's
    drill-down list says so next to the person's status, in both languages."""
    import datetime as dt

    from iso20k.dashboard import Filters, Snapshot, build_view, statuses
    from iso20k.dashboard.tables import people_cells
    from iso20k.grading.sittings import record_hand_in, start_or_resume
    from iso20k.results import Person
    from iso20k.results.late import late_marks

    settings = Settings(data_dir=tmp_path, exam_grace_minutes=5, _env_file=None)
    store = ProgressStore(f"sqlite:///{tmp_path / 'progress.sqlite'}")
    for learner, after in (("e1", 50), ("e2", 20)):
        sitting, new = start_or_resume(settings, learner, A, 30, store=store)
        record_hand_in(settings, learner, A, store=store, now=sitting.started_at + dt.timedelta(minutes=after))
    handed = {e.subject: e.details for e in entries(store) if e.action == "exam-handed-in"}
    assert handed == {f"e1/{A}": {"attempt": 1, "late": True, "minutes_late": 15.0},
                      f"e2/{A}": {"attempt": 1, "late": False, "minutes_late": 0.0}}
    late = late_marks(store, ["E1", "E2"])  # hub names map to the roster's ids
    assert late == {("E1", "all-staff"): 15.0}
    people = [Person(e, f"Name {e}", "Desk", "staff", {"all-staff": None}) for e in ("E1", "E2")]
    snap = Snapshot(people=people, modules={"all-staff": 2, "key-personnel": 3, "document-writing": 3},
                    pass_marks={"all-staff": 0.65, "key-personnel": 0.7, "document-writing": 0.7})
    day = dt.date(2026, 12, 7)
    view = build_view(snap, statuses(snap, day), Filters(day, department="Desk"))
    header, rows = people_cells(view, "en", late=late)
    column = len(header) - len(view.tracks) + view.tracks.index("all-staff")
    assert "handed in 15 min late" in rows[0][column] and "late" not in rows[1][column]
    _, rows = people_cells(view, "zh", late=late)
    assert "迟交 15 分钟" in rows[0][column]
    store.close()
