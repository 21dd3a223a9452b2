"""The records service asks the hub whose token it is without blocking its event loop.

The hub here is a real HTTP server standing in for the hub's ``GET /hub/api/user`` (the real
hub cannot be made slow on purpose): it answers one token ("slow") after a few seconds and every
other token at once.  The service is the real Tornado application with a real ``HubAuth`` aimed
at that server.  While the slow learner's first answer waits on the hub, other learners' answers
are taken, judged and stored; requests with the slow token that arrive meanwhile wait for that
one hub request; the token cache holds at most its size.  The roster is not read again for
every request of a hub user who is not in it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from browser import free_port
from records_flood import request

REPO = Path(__file__).resolve().parents[1]
WELCOME = "start/welcome/q01"
SLOW_S = 3.0
SCOPE = "access:services!service=records"


class SlowHub(BaseHTTPRequestHandler):
    asked: list[str] = []

    def do_GET(self):
        token = self.headers.get("Authorization", "")[len("token "):]
        type(self).asked.append(token)
        if token == "slow":
            time.sleep(SLOW_S)
        if token.startswith("nobody"):
            self.send_response(403)
            self.end_headers()
            return
        scopes = [] if token.startswith("noscope") else [SCOPE]  # a hub user without access to the service
        body = json.dumps({"kind": "user", "name": f"rl-{token}", "groups": [], "scopes": scopes}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    from jupyterhub.services.auth import HubAuth
    from tornado.ioloop import IOLoop

    from iso20k.hub.records_service import make_app
    from iso20k.settings import Settings

    hub = ThreadingHTTPServer(("127.0.0.1", 0), SlowHub)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    data = tmp_path_factory.mktemp("records-auth")
    settings = Settings(data_dir=data, db_url=f"sqlite:///{data / 'progress.sqlite'}", keyed_banks_dir=REPO / "assessments",
                        records_token_cache_size=100, records_refusal_delay_s=0)
    port, ready, box = free_port(), threading.Event(), {}

    def run():
        asyncio.set_event_loop(asyncio.new_event_loop())
        hub_auth = HubAuth(api_url=f"http://127.0.0.1:{hub.server_address[1]}/hub/api", api_token="unused",
                           access_scopes={SCOPE})
        app = make_app(settings, "/services/records/", hub_auth=hub_auth)
        box["server"], box["loop"] = app.listen(port, address="127.0.0.1"), IOLoop.current()
        box["loop"].add_callback(ready.set)
        box["loop"].start()

    threading.Thread(target=run, daemon=True).start()
    assert ready.wait(60), "the records service did not start"
    yield f"http://127.0.0.1:{port}/services/records/", settings
    box["loop"].add_callback(box["loop"].stop)
    hub.shutdown()


def _answer(url: str, token: str, response="c"):
    body = json.dumps({"question_id": WELCOME, "response": response, "language": "en"}).encode()
    return request(url + "api/answers", token, "POST", body, {"Content-Type": "application/json"}, timeout=30)


def test_other_learners_are_answered_while_the_hub_is_slow_for_one(service):
    url, _ = service
    SlowHub.asked.clear()
    slow: dict = {}

    def slow_learner(i):
        reply = _answer(url, "slow")
        slow[i] = (reply.status, time.monotonic())

    waiting = [threading.Thread(target=slow_learner, args=(i,)) for i in range(3)]
    started = time.monotonic()
    for t in waiting:
        t.start()
    fast = []
    for i in range(12):  # 12 other learners answer (each asked of the hub once) while the hub is slow
        reply = _answer(url, f"quick{i}")
        fast.append((reply.status, reply.json.get("attempt"), time.monotonic()))
    for t in waiting:
        t.join(30)
    assert [s for s, _, _ in fast] == [200] * 12 and [a for _, a, _ in fast] == [1] * 12
    assert all(s == 200 for s, _ in slow.values()) and len(slow) == 3
    slow_done = min(at for _, at in slow.values())
    assert slow_done - started >= SLOW_S
    # every other learner's answer was stored before the slow learner's token check came back
    assert max(at for _, _, at in fast) < slow_done
    # the three requests with the slow token waited for one hub request
    assert SlowHub.asked.count("slow") == 1


def test_the_token_cache_keeps_at_most_its_size_refusals_included(service):
    url, settings = service
    SlowHub.asked.clear()
    assert _answer(url, "nobody").status == 403
    assert _answer(url, "nobody").status == 403
    assert SlowHub.asked.count("nobody") == 1  # a refusal is remembered too
    tokens = [f"many{i}" for i in range(settings.records_token_cache_size + 20)]
    for token in tokens:
        assert request(url + "api/me", token).status == 200
    SlowHub.asked.clear()
    assert request(url + "api/me", tokens[-1]).status == 200
    assert SlowHub.asked == []  # a recent token: from the cache
    assert request(url + "api/me", tokens[0]).status == 200
    assert SlowHub.asked == [tokens[0]]  # the oldest was forgotten: the cache stayed at its size


def test_a_hub_user_without_the_services_scope_is_refused_every_time_and_asked_about_once(service):
    """The service's verdict on a token's owner (check_hub_user: the scope) is kept with the hub's
    answer: it is the same on every request, the hub is asked once, and a learner who may use the
    service is not refused because another was."""
    url, _ = service
    SlowHub.asked.clear()
    for _ in range(3):
        assert _answer(url, "noscope1").status == 403
        assert request(url + "api/me", "noscope1").status == 403
        assert _answer(url, "allowed1").status == 200
    assert SlowHub.asked.count("noscope1") == 1 and SlowHub.asked.count("allowed1") == 1


def test_a_hub_user_not_in_the_roster_does_not_reload_the_roster_per_request(tmp_path):
    from iso20k.hub.learners import LearnerNames
    from iso20k.store import ProgressStore

    store = ProgressStore(f"sqlite:///{tmp_path / 'p.sqlite'}")
    names = LearnerNames(store)
    for _ in range(50):
        assert names.learner_id("gr-grader") == "gr-grader"
    assert names.reads == 1
    names._read_at -= names.unknown_retry_s + 1  # the negative answer has aged
    names.learner_id("gr-grader")
    assert names.reads == 2


def test_the_services_processes_ask_the_hub_once_per_token_between_them():
    """The records service's processes share the hub's word on tokens (shared memory made before
    they fork): a token one process learned, let in or refused, is known to another process
    without asking the hub again; the table keeps at most its slots, and a token it forgot is
    simply asked about again, with the right verdict."""
    import multiprocessing

    from jupyterhub.services.auth import HubAuth, UserNotAllowed

    from iso20k.hub.shared_tokens import SharedTokens
    from iso20k.hub.token_owners import TokenOwners

    hub = ThreadingHTTPServer(("127.0.0.1", 0), SlowHub)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{hub.server_address[1]}/hub/api"
    shared = SharedTokens(64)

    def check(model):  # the service's rule: its access scope
        if SCOPE not in model["scopes"]:
            raise UserNotAllowed(model)
        return model

    def owners():
        return TokenOwners(HubAuth(api_url=api, api_token="unused"), 1000, 300.0, shared=shared)

    async def verdicts(of: TokenOwners, tokens):
        return [await of.allowed_owner(t, check) for t in tokens]

    def other_process(tokens, out):
        out.put(asyncio.run(verdicts(owners(), tokens)))

    try:
        SlowHub.asked.clear()
        first = asyncio.run(verdicts(owners(), ["p1", "noscope2", "nobody3"]))
        assert first[0]["name"] == "rl-p1" and first[1] is None and first[2] is None
        ctx = multiprocessing.get_context("fork")
        out = ctx.Queue()
        child = ctx.Process(target=other_process, args=(["p1", "noscope2", "nobody3", "p4"], out))
        child.start()
        seen = out.get(timeout=30)
        child.join(30)
        assert [v and {"name": v["name"], "kind": v["kind"]} for v in seen] == [
            {"name": "rl-p1", "kind": "user"}, None, None, {"name": "rl-p4", "kind": "user"}]
        assert sorted(SlowHub.asked) == ["nobody3", "noscope2", "p1", "p4"]  # each once, by either process
        many = [f"p{i}" for i in range(100, 300)] + [f"noscope{i}" for i in range(300, 400)]
        got = asyncio.run(verdicts(owners(), many))
        assert len(shared) <= 64
        assert [v["name"] if v else None for v in got] == [f"rl-{t}" if t.startswith("p") else None for t in many]
        asked = len(SlowHub.asked)
        again = asyncio.run(verdicts(owners(), many[:50] + many[-50:]))  # forgotten ones are asked again
        assert [v and v["name"] for v in again] == [v and v["name"] for v in got[:50] + got[-50:]]
        assert 0 < len(SlowHub.asked) - asked <= 100
    finally:
        hub.shutdown()
