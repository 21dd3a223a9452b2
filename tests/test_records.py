"""The records layer without a hub: trusted judging refuses responses that cannot be answers
and stores nothing then; the in-process records answer as the widget expects."""

from __future__ import annotations

import pytest

from iso20k.banks import cached_catalog
from iso20k.records import LocalRecords, ResponseError, judge_and_record
from iso20k.settings import REPO_ROOT


@pytest.mark.parametrize("question, response, problem", [
    ("all-staff/sample/q01", "z", "not one of the options"),
    ("all-staff/sample/q01", ["b"], "not one of the options"),
    ("all-staff/sample/q01", {"__class__": "x"}, "not one of the options"),
    ("all-staff/sample/q01", "b" * 5000, "bytes; at most"),
])
def test_a_response_that_cannot_be_an_answer_is_refused_and_nothing_stored(store, banks_dir, question, response, problem):
    with pytest.raises(ResponseError, match=problem):
        judge_and_record(store, cached_catalog(banks_dir), "alice", question, response, "en")
    assert store.answers() == []


def test_an_unknown_question_or_language_stores_nothing(store, banks_dir):
    catalog = cached_catalog(banks_dir)
    with pytest.raises(KeyError):
        judge_and_record(store, catalog, "alice", "all-staff/sample/q99", "a", "en")
    with pytest.raises(ResponseError, match="language"):
        judge_and_record(store, catalog, "alice", "all-staff/sample/q01", "b", "fr")
    assert store.answers() == []


def test_every_question_type_is_judged_by_the_bank_not_the_caller(store, banks_dir):
    catalog = cached_catalog(banks_dir)
    records = LocalRecords(store, "alice", banks_dir)
    for bank_question in catalog.module("all-staff/sample").questions:
        right = records.answer(bank_question.full_id, bank_question.answer, "en")
        assert right.correct and right.learner_id == "alice"
    assert {r["correct"] for r in store.answers("alice")} == {True}
    assert records.completed_modules() == {"all-staff/sample"}
    assert records.attempts("all-staff/sample/q01") == 1


def _enrol(store, employee_id: str, *tracks: str, active: bool = True) -> None:
    from datetime import datetime, timezone

    from sqlalchemy import insert

    from iso20k.store import tables

    with store.engine.begin() as conn:
        conn.execute(insert(tables.employees).values(employee_id=employee_id, name=employee_id, department="D",
                                                     role="staff", active=active, updated_at=datetime.now(timezone.utc)))
        for track in tracks:
            conn.execute(insert(tables.enrolments).values(employee_id=employee_id, track=track))


def test_answers_to_a_track_the_learner_is_not_enrolled_in_are_refused_unless_enrolment_is_open(store):
    from iso20k.records import NotEnrolled

    catalog = cached_catalog(REPO_ROOT / "assessments")  # the banks with the keys: every track
    _enrol(store, "E1", "all-staff")
    leadership = catalog.module("key-personnel/leadership").questions[0]
    with pytest.raises(NotEnrolled, match="not enrolled in the key-personnel track.*your tracks: all-staff"):
        judge_and_record(store, catalog, "E1", leadership.full_id, leadership.answer, "en", open_enrolment=False)
    assert store.answers() == []
    # the start page's welcome quiz is everyone's; an enrolled track is accepted
    welcome = catalog.module("start/welcome").questions[0]
    intro = catalog.module("all-staff/intro").questions[0]
    for q in (welcome, intro):
        judge_and_record(store, catalog, "E1", q.full_id, q.answer, "en", open_enrolment=False)
    # someone not in the roster takes all-staff, as "My training" shows them
    with pytest.raises(NotEnrolled):
        judge_and_record(store, catalog, "nobody", leadership.full_id, leadership.answer, "en", open_enrolment=False)
    judge_and_record(store, catalog, "nobody", intro.full_id, intro.answer, "en", open_enrolment=False)
    # open enrolment (the single-user lab's default) accepts it
    assert judge_and_record(store, catalog, "E1", leadership.full_id, leadership.answer, "en").correct
    assert len(store.answers()) == 4


def test_the_in_process_records_are_open_unless_the_setting_closes_them(store, monkeypatch):
    from iso20k.records import NotEnrolled
    from iso20k.settings import reload_settings

    _enrol(store, "E2", "all-staff")
    leadership = cached_catalog(REPO_ROOT / "assessments").module("key-personnel/leadership").questions[0]
    assert LocalRecords(store, "E2").open_enrolment is True
    monkeypatch.setenv("ISO20K_OPEN_ENROLMENT", "false")
    reload_settings()
    records = LocalRecords(store, "E2")
    with pytest.raises(NotEnrolled):
        records.answer(leadership.full_id, leadership.answer, "en")
    assert store.answers() == []


@pytest.mark.parametrize("body, problem", [
    (b"[" * 200_000 + b"]" * 200_000, "nested deeper than 16"),
    (b'{"a": ' + b"[" * 17 + b"]" * 17 + b"}", "nested deeper than 16"),
    (b"[" * 200_000, "brackets do not balance"),
    (b'{"a": NaN}', "NaN"), (b'{"a": -Infinity}', "Infinity"), (b'{"a": 1e400}', "too large"),
    (b'{"a": 1, "a": 2}', "appears twice"), (b'{"a": "\\udc00"}', "surrogate"), (b"\xc3\x28", "UTF-8"),
    (b'{"a": ' + b"1" * 5000 + b"}", "not JSON"), (b"[1]", "JSON object"), (b"{", "not JSON"),
])
def test_bodies_that_cannot_be_parsed_safely_are_refused_with_a_reason(body, problem):
    from iso20k.hub.guard import BadBody, parse_json_object

    with pytest.raises(BadBody, match=problem):
        parse_json_object(body, 16)


def test_brackets_inside_strings_do_not_count_as_nesting():
    from iso20k.hub.guard import parse_json_object

    text = '{"a": "' + "[" * 1000 + '\\"{{{", "b": [[["x"]]]}'
    assert parse_json_object(text.encode(), 16) == {"a": "[" * 1000 + '"{{{', "b": [[["x"]]]}
    assert parse_json_object(b"  ", 16) == {}
    assert parse_json_object(b"[" * 16 and (b"{\"a\":" + b"[" * 15 + b"]" * 15 + b"}"), 16)["a"]


def test_the_rate_limit_is_a_token_bucket_per_learner():
    from iso20k.hub.guard import RateLimit

    now = [100.0]
    limit = RateLimit(burst=3, per_minute=60, clock=lambda: now[0])
    assert [limit.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limit.take("a")
    assert wait == pytest.approx(1.0) and limit.retry_after(wait) == "1"
    assert limit.take("b") == 0.0  # another learner has their own bucket
    now[0] += 0.5
    assert limit.take("a") == pytest.approx(0.5)  # half a token back: nothing taken
    now[0] += 0.5
    assert limit.take("a") == 0.0
    now[0] += 3600
    assert [limit.take("a") for _ in range(4)][:3] == [0.0] * 3  # refilled to the burst, no more


def test_my_training_is_worked_out_again_after_an_answer_but_not_more_than_once_a_second():
    import asyncio

    from iso20k.hub import records_service as rs

    calls = []

    async def compute():
        calls.append(1)
        return len(calls)

    async def go():
        recent = rs.Recent(fresh_s=3.0)
        assert await recent.get("a", compute) == 1
        assert await recent.get("a", compute) == 1  # fresh for 3 s
        recent.forget("a")
        assert await recent.get("a", compute) == 1  # an answer just now: not again within a second
        await asyncio.sleep(rs.MIN_RECOMPUTE_S + 0.05)
        assert await recent.get("a", compute) == 2
        assert await recent.get("b", compute) == 3  # each learner their own
        together = await asyncio.gather(*(recent.get("c", compute) for _ in range(5)))
        assert together == [4] * 5  # asked at once: worked out once

    asyncio.run(go())
