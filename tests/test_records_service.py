"""The records service under bad input, for real: ``iso20k hub`` starts JupyterHub and the records
service; each learner attacks with their own hub token (the one their server holds), straight at
the service's port as a learner's kernel reaches it.  Huge bodies (Content-Length, chunked, one
giant chunk), 200,000-deep JSON, fuzzed bodies, an answer flood and answers to a track the
learner is not enrolled in: each refused with the right status and a JSON message, never 500,
and the progress store's fingerprint unchanged.

The hub runs with the test authenticator (no OS accounts are needed: nobody signs in or starts a
server; tokens work as in production), SQLite, and two settings changed so the tests are quick:
an answer burst of 10 (default 40) and a body limit of 512 KB (default 64 KB), so that a
200,000-deep body (400 KB) reaches the depth check instead of the size check.  The service runs
as two processes on its one port (ISO20K_RECORDS_PROCESSES): every limit below holds across them.  Needs root (the
hub's default spawner)."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import string
import tempfile
import threading
import time
from pathlib import Path

import pytest

from hub_world import Learner, install_product, start_hub, stop_hub, user_token
from records_flood import deep_json, memory_kb, request, service_pid, stream_huge_body

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the hub's default spawner needs root")]

MAX_BODY = 512 * 1024
BURST, PER_MINUTE = 10, 60
DELAY = 0.2
PROCESSES = 2  # the service runs as several processes on one port, as on a server with more cores
WELCOME = "start/welcome/q01"
KEYED = Path(__file__).resolve().parent.parent / "assessments"  # the banks with the keys  # everyone's (the start page's welcome quiz)


@pytest.fixture(scope="module")
def hub():
    root = Path(tempfile.mkdtemp(prefix="iso20k-records-"))
    root.chmod(0o755)
    tag = secrets.token_hex(3)
    roles = {"S": "staff", "V": "staff", "F": "staff", "Z": "staff", "Y": "staff", "X": "staff",
             "M": "manager", "W": "staff", "P": "staff"}
    learners = [Learner(f"RS{tag}{k}", "", "Service Desk", role=r) for k, r in roles.items()]
    # the hub's services run as other accounts (the grader's formgrader): the product must be
    # installed where they can read it, as in tests/test_hub.py
    python = Path(os.environ["ISO20K_TEST_HUB_PYTHON"]) if os.environ.get("ISO20K_TEST_HUB_PYTHON") \
        else install_product()
    h = start_hub(root, python, learners, os_users=False, settings={
        "ISO20K_HUB_AUTHENTICATOR": "dummy", "ISO20K_RECORDS_MAX_BODY_BYTES": str(MAX_BODY),
        "ISO20K_RECORDS_ANSWER_BURST": str(BURST), "ISO20K_RECORDS_ANSWERS_PER_MINUTE": str(PER_MINUTE),
        "ISO20K_RECORDS_REFUSAL_DELAY_S": str(DELAY), "ISO20K_RECORDS_PROCESSES": str(PROCESSES)})
    try:
        h.iso20k("hub-sync")
        h.tokens = {x.employee_id[-1]: user_token(h, x.user) for x in learners}
        h.ids = {x.employee_id[-1]: x.employee_id for x in learners}
        h.records = f"http://127.0.0.1:{h.env['ISO20K_HUB_RECORDS_PORT']}/services/records/"
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
            ("answers", "module_completions", "preferences", "employees", "enrolments", "audit_trail")}
    return hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()


def _answer(hub, who: str, question: str, response, conn=None):
    body = json.dumps({"question_id": question, "response": response, "language": "en"}).encode()
    return request(hub.records + "api/answers", hub.tokens[who], "POST", body,
                   {"Content-Type": "application/json"}, conn=conn)


def _service_log(hub) -> str:
    return (hub.root / "hub.log").read_text(errors="replace")


def test_a_known_answer_is_still_recorded(hub):
    reply = _answer(hub, "W", WELCOME, "c")
    assert reply.status == 200, reply.body
    assert reply.json["learner_id"] == hub.ids["W"] and reply.json["attempt"] == 1


@pytest.mark.parametrize("chunked", ["", "pieces", "one"])
def test_an_80_mb_body_is_refused_with_413_before_it_is_read(hub, chunked):
    before_fp = _fingerprint(hub)
    pid = service_pid(hub.root / "state")
    before = memory_kb(pid)
    replies = [stream_huge_body(hub.records + "api/answers", hub.tokens["S"], 80_000_000, chunked=chunked)
               for _ in range(4)]
    after = memory_kb(pid)
    for reply in replies:
        assert reply.status == 413, (reply.status, reply.body[:300])
        assert "at most" in reply.json["message"] and reply.headers.get("connection") == "close"
        # refused on the headers (or the first 512 KB of a chunked body): the reply came while the
        # client had sent a fraction of the body (what the sockets' buffers take)
        assert reply.sent < 16_000_000, reply.sent
        assert reply.seconds < 5, reply.seconds
    # nothing near 80 MB was ever held: the peak resident size grew by less than 16 MB over four
    assert after["VmHWM"] - before["VmHWM"] < 16_000, (before, after)
    assert _fingerprint(hub) == before_fp


def test_curl_sending_an_80_mb_file_gets_413(hub, tmp_path):
    import subprocess

    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(80_000_000)
    for extra in ([], ["-H", "Expect:"], ["-H", "Transfer-Encoding: chunked"]):
        t0 = time.perf_counter()
        done = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", *extra,
                               "-H", f"Authorization: token {hub.tokens['S']}", "--data-binary", f"@{big}",
                               hub.records + "api/answers"], capture_output=True, text=True, timeout=120)
        elapsed = time.perf_counter() - t0
        body, _, code = done.stdout.rpartition("\n")
        assert code == "413", (extra, done.stdout[-300:], done.stderr[-300:])
        assert json.loads(body)["status"] == 413 and elapsed < 10, (extra, elapsed)


def test_deep_json_is_refused_with_400_and_no_500(hub):
    before_fp = _fingerprint(hub)
    for levels in (200_000, 20_000, 17):
        reply = request(hub.records + "api/answers", hub.tokens["S"], "POST", deep_json(levels))
        assert reply.status == 400, (levels, reply.status, reply.body[:200])
        assert "nested deeper than 16" in reply.json["message"]
    deep_in_field = b'{"question_id": "start/welcome/q01", "language": "en", "response": ' + deep_json(100_000) + b"}"
    reply = request(hub.records + "api/answers", hub.tokens["S"], "POST", deep_in_field)
    assert reply.status == 400 and "nested deeper" in reply.json["message"]
    reply = request(hub.records + "api/language", hub.tokens["S"], "PUT", b"[" * 200_000)
    assert reply.status == 400 and "brackets do not balance" in reply.json["message"]
    assert _fingerprint(hub) == before_fp


def test_malformed_bodies_get_a_clear_400(hub):
    cases = {
        b'{"question_id": "start/welcome/q01", "response": NaN, "language": "en"}': "NaN",
        b'{"question_id": "start/welcome/q01", "response": Infinity, "language": "en"}': "Infinity",
        b'{"question_id": "start/welcome/q01", "response": 1e999, "language": "en"}': "too large",
        b'{"question_id": "a", "question_id": "start/welcome/q01", "response": "c", "language": "en"}': "twice",
        b'{"question_id": "start/welcome/q01", "response": "\\ud800", "language": "en"}': "surrogate",
        b'{"question_id": "start/welcome/q01", "response": ' + b"9" * 5000 + b', "language": "en"}': "not JSON",
        b"\xff\xfe{}": "UTF-8",
        b"[]": "JSON object",
        b'{"question_id": 7}': "question_id",
        b'{"question_id": "start/welcome/q01", "response": "c", "language": ["en"]}': "language",
        b'{"question_id": "start/welcome/q01", "response": {"c": 1}, "language": "en"}': "options",
    }
    before_fp = _fingerprint(hub)
    for body, words in cases.items():
        reply = request(hub.records + "api/answers", hub.tokens["S"], "POST", body)
        assert reply.status == 400, (body[:80], reply.status, reply.body[:200])
        assert words in reply.json["message"], (body[:80], reply.json)
    assert _fingerprint(hub) == before_fp


def test_fuzzed_bodies_never_get_a_500(hub):
    import http.client

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    conn = http.client.HTTPConnection("127.0.0.1", int(hub.env["ISO20K_HUB_RECORDS_PORT"]), timeout=30)
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50) | \
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=70_000)
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
                          max_leaves=20)
    real_ids = st.sampled_from([WELCOME, "start/welcome/q02", "all-staff/intro/q01", "key-personnel/leadership/q01",
                                "../../etc/passwd", "start/welcome/q01\x00", "%s%n", "start/welcome/q99"])
    fields = st.fixed_dictionaries({}, optional={"question_id": real_ids | values, "response": values,
                                                 "language": st.sampled_from(["en", "zh", "fr", ""]) | values})
    as_json = (fields | values).map(lambda v: json.dumps(v, allow_nan=True).encode())
    raw = st.binary(max_size=2000) | st.text(alphabet=string.printable + "[]{}\"\\:,", max_size=2000).map(str.encode)
    dupes = st.lists(st.sampled_from(['"question_id": "start/welcome/q01"', '"response": "c"', '"language": "en"',
                                      '"question_id": 1', '"response": NaN', '"language": -Infinity']),
                     min_size=1, max_size=8).map(lambda parts: ("{" + ", ".join(parts) + "}").encode())
    seen: dict[int, int] = {}

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(body=as_json | raw | dupes, path=st.sampled_from(["api/answers", "api/language"]))
    def attack(body, path):
        method = "POST" if path == "api/answers" else "PUT"
        try:
            reply = request(hub.records + path, hub.tokens["Z"], method, body, conn=conn)
        except (http.client.HTTPException, OSError):
            conn.close()  # a refused body may end the connection: the next request opens another
            reply = request(hub.records + path, hub.tokens["Z"], method, body)
        seen[reply.status] = seen.get(reply.status, 0) + 1
        assert reply.status in (200, 400, 403, 404, 413, 429), (reply.status, body[:200], reply.body[:300])
        assert "message" in reply.json or reply.status == 200
        if reply.status == 413:
            conn.close()

    attack()
    conn.close()
    assert seen.get(400, 0) > 50, seen  # the fuzzing reached the parser and the judge
    assert "Traceback" not in _service_log(hub)


def test_wrong_types_in_query_strings_and_paths_never_get_a_500(hub):
    token = hub.tokens["Y"]
    for path in ["api/attempts", "api/attempts?question_id=", "api/attempts?question_id=%ff%fe",
                 "api/attempts?question_id=" + "x" * 4000, "api/correct?track=a", "api/correct?track=%00&module=%00",
                 "api/correct?track=all-staff&module=intro&track=x", "api/nothing", "api/answers", "api/me?x=%80",
                 "api/language", "api/last-answer", "api/last-answer?question_id=%ff%fe",
                 "api/last-answer?question_id=" + "x" * 4000]:
        reply = request(hub.records + path, token)
        assert reply.status in (200, 400, 404, 405), (path, reply.status, reply.body[:200])
        assert reply.status == 200 or "message" in reply.json, (path, reply.body[:200])
    reply = request(hub.records + "api/answers", token, "POST", b"{}", {"Content-Length": "9" * 30})
    assert reply.status in (400, 413), reply.status
    reply = request(hub.records + "api/answers", "not-a-token" + "x" * 100, "POST", b"{}")
    assert reply.status == 403 and "message" in reply.json
    assert "Traceback" not in _service_log(hub)


def test_an_answer_flood_gets_429_with_retry_after_and_nothing_more_is_stored(hub):
    import http.client

    learner = hub.ids["F"]
    conn = http.client.HTTPConnection("127.0.0.1", int(hub.env["ISO20K_HUB_RECORDS_PORT"]), timeout=30)
    t0 = time.monotonic()
    statuses, refused = [], None
    for _ in range(40):
        reply = _answer(hub, "F", WELCOME, "a", conn=conn)
        statuses.append(reply.status)
        if reply.status == 429:
            refused = reply
            assert reply.seconds >= DELAY * 0.9, reply.seconds  # a refusal is held back a moment
            conn.close()  # the service ends the connection after a refusal
    elapsed = time.monotonic() - t0
    conn.close()
    accepted = statuses.count(200)
    assert set(statuses) == {200, 429}, statuses
    assert refused is not None and int(refused.headers["retry-after"]) >= 1
    assert "too many answers" in refused.json["message"]
    # the burst, plus what the sustained rate refilled while the flood ran
    assert BURST <= accepted <= BURST + int(elapsed * PER_MINUTE / 60) + 1, (accepted, elapsed)
    stored = _rows(hub, f"SELECT COUNT(*) FROM answers WHERE learner_id = '{learner}'")[0][0]
    assert stored == accepted
    # after Retry-After the learner answers again; the others were never limited by F's flood
    time.sleep(int(refused.headers["retry-after"]))
    assert _answer(hub, "F", WELCOME, "c").status == 200
    assert _answer(hub, "V", WELCOME, "c").status == 200


def test_a_request_flood_gets_429_and_other_learners_are_not_limited(hub):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", int(hub.env["ISO20K_HUB_RECORDS_PORT"]), timeout=30)
    t0 = time.monotonic()
    statuses, refused = [], None
    for _ in range(230):
        reply = request(hub.records + "api/me", hub.tokens["X"], conn=conn)
        statuses.append(reply.status)
        if reply.status == 429:
            refused = reply
            conn.close()
    elapsed = time.monotonic() - t0
    conn.close()
    assert statuses[:200] == [200] * 200, statuses  # the default burst: 200 requests at once
    assert refused is not None and "too many requests" in refused.json["message"] and refused.headers["retry-after"]
    # beyond the burst, no more than the sustained rate (600 a minute) got through
    assert statuses.count(200) <= 200 + int(elapsed * 10) + 1, (statuses.count(200), elapsed)
    victim = request(hub.records + "api/me", hub.tokens["V"])
    assert victim.status == 200 and victim.seconds < DELAY  # the others are neither limited nor held


def test_answers_to_a_track_the_learner_is_not_enrolled_in_are_refused(hub):
    from iso20k.banks import cached_catalog

    catalog = cached_catalog(KEYED)
    module = catalog.module("key-personnel/leadership")
    before_fp = _fingerprint(hub)
    for question in module.questions:  # every answer right: would complete the module
        reply = _answer(hub, "S", question.full_id, question.answer)
        assert reply.status == 403, (reply.status, reply.body)
        assert "not enrolled in the key-personnel track" in reply.json["message"]
        assert "all-staff" in reply.json["message"]
    assert _fingerprint(hub) == before_fp
    staff = hub.ids["S"]
    assert _rows(hub, f"SELECT COUNT(*) FROM module_completions WHERE learner_id = '{staff}'")[0][0] == 0
    # a manager is enrolled in key-personnel: the same answers are recorded and complete the module
    manager = hub.ids["M"]
    verdicts = [_answer(hub, "M", q.full_id, q.answer) for q in module.questions]
    assert [v.status for v in verdicts] == [200] * len(module.questions)
    assert verdicts[-1].json["module_completed"] is True
    assert _rows(hub, f"SELECT track, module FROM module_completions WHERE learner_id = '{manager}'") == \
        [("key-personnel", "leadership")]


def test_another_learner_is_served_while_one_floods(hub):
    """A functional bound only (generous: 2 s); the latency ratio is measured by
    benchmarks/records_service.py --flood."""
    stop = threading.Event()
    flood_counts = {"huge": 0, "deep": 0, "answers": 0}

    def flood(kind):
        while not stop.is_set():
            if kind == "huge":
                stream_huge_body(hub.records + "api/answers", hub.tokens["F"], 80_000_000, timeout=10)
            elif kind == "deep":
                request(hub.records + "api/answers", hub.tokens["F"], "POST", deep_json(200_000))
            else:
                _answer(hub, "F", WELCOME, "a")
            flood_counts[kind] += 1

    threads = [threading.Thread(target=flood, args=(k,), daemon=True) for k in flood_counts for _ in range(2)]
    for t in threads:
        t.start()
    try:
        time.sleep(1)
        waits = []
        for _ in range(20):
            reply = request(hub.records + "api/me", hub.tokens["V"], timeout=10)
            assert reply.status == 200
            waits.append(reply.seconds)
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert all(flood_counts.values()), flood_counts
    assert max(waits) < 2.0, waits
    assert "Traceback" not in _service_log(hub)


def test_my_training_shows_an_answer_given_just_before(hub):
    """"My training" is kept 3 s per learner against floods; after the learner's own answer it is
    worked out anew (not more often than once a second)."""
    from iso20k.banks import cached_catalog

    def intro_correct():
        reply = request(hub.records + "api/training", hub.tokens["W"])
        assert reply.status == 200, reply.body
        track = next(t for t in reply.json["tracks"] if t["track"] == "all-staff")
        return next(m for m in track["modules"] if m["key"] == "all-staff/intro")["correct"]

    before = intro_correct()
    question = cached_catalog(KEYED).module("all-staff/intro").questions[0]
    assert _answer(hub, "W", question.full_id, question.answer).status == 200
    # the question shown again (a reload): the answer just given, its verdict and explanation
    last = request(hub.records + f"api/last-answer?question_id={question.full_id}", hub.tokens["W"])
    assert last.status == 200, last.body
    assert last.json["answer"]["response"] == question.answer and last.json["answer"]["correct"] is True
    assert last.json["answer"]["explanation"]["en"] == question.explanation.en
    other = request(hub.records + f"api/last-answer?question_id={question.full_id}", hub.tokens["X"])
    assert other.json == {"answer": None}  # another learner's answers are not theirs
    time.sleep(1.0)  # worked out anew after the learner's own answer, at most once a second
    assert intro_correct() == before + 1


def test_the_trail_endpoint_refuses_a_huge_body_before_reading_it_too(hub):
    before_fp = _fingerprint(hub)
    for chunked in ("", "pieces"):
        reply = stream_huge_body(hub.records + "api/trail/grades", hub.tokens["S"], 80_000_000, chunked=chunked)
        assert reply.status == 413 and reply.seconds < 5, (chunked, reply.status, reply.body[:200])
        assert "message" in reply.json
    reply = request(hub.records + "api/trail/grades", hub.tokens["S"], "POST", deep_json(200_000))
    assert reply.status in (400, 403), reply.status  # a learner's token: refused either way, never 500
    assert _fingerprint(hub) == before_fp


def test_several_processes_share_the_port_and_one_learners_attempts_stay_gap_free(hub):
    """Answers of one learner sent at once over as many connections (the kernel spreads them over
    the processes' sockets, SO_REUSEPORT), reaching both processes: each
    stored once, attempt numbers 1..n without a gap or a repeat, the learner's chain unbroken."""
    import re

    question = "all-staff/intro/q01"
    replies, threads = [], []
    for i in range(BURST):
        t = threading.Thread(target=lambda: replies.append(_answer(hub, "P", question, "a")))
        threads.append(t)
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r.status for r in replies) == [200] * BURST, [r.body for r in replies]
    assert sorted(r.json["attempt"] for r in replies) == list(range(1, BURST + 1))
    learner = hub.ids["P"]
    rows = _rows(hub, f"SELECT attempt, lseq, prev_hash, hash FROM answers WHERE learner_id = '{learner}' ORDER BY lseq")
    assert [r[0] for r in rows] == list(range(1, BURST + 1)) and [r[1] for r in rows] == list(range(1, BURST + 1))
    assert all(rows[k][2] == rows[k - 1][3] for k in range(1, len(rows)))
    # both processes answered (the log names the process of each recorded answer)
    pids = set(re.findall(rf"\[records (\d+) [^\]]*\] answer recorded: learner={learner} ", _service_log(hub)))
    assert len(pids) == PROCESSES, pids
    # the learner's rate is one across the processes: the burst is spent, the next answer is refused
    assert _answer(hub, "P", question, "a").status == 429
