"""The records service's event-loop writer of answers (PostgreSQL) keeps the store's rules: two
writers (as two service processes) recording one learner's answers at once give attempt numbers
1..n without a gap or a repeat, one unbroken chain that ``iso20k audit-trail verify`` accepts with
its anchor, the module completed exactly once; an answer to a track the learner is not enrolled in
stores nothing; the in-process writer continues the same chain."""

from __future__ import annotations

import asyncio

import pytest

from iso20k.audit import verify_trail
from iso20k.store import NotEnrolledIn, ProgressStore

MODULE = [f"all-staff/m1/q{i}" for i in range(1, 4)]


@pytest.mark.slow
def test_two_event_loop_writers_keep_attempts_gap_free_and_the_chain_whole(postgres_url, tmp_path):
    anchors = tmp_path / "audit-anchors" / "answers"
    store = ProgressStore(postgres_url, anchor_dir=anchors)
    a, b = store.async_answers(3), store.async_answers(3)

    async def go():
        jobs = []
        for i in range(24):
            writer = a if i % 2 else b
            jobs.append(writer.record_answer("E900", "all-staff", "m1", MODULE[i % 3], "a", True, "en", MODULE))
        done = await asyncio.gather(*jobs)
        with pytest.raises(NotEnrolledIn):
            await a.record_answer("E900", "key-personnel", "k", "key-personnel/k/q1", "a", True, "en",
                                  enrolled_in="key-personnel")
        await a.close()
        await b.close()
        return done

    done = asyncio.run(go())
    assert sum(r.module_completed for r in done) == 1
    store.record_answer("E900", "all-staff", "m1", MODULE[0], "b", False, "en", MODULE)  # the thread path goes on
    rows = store.answers("E900")
    assert len(rows) == 25 and [r["lseq"] for r in rows] == list(range(1, 26))
    for qid in MODULE:
        assert sorted(r["attempt"] for r in rows if r["question_id"] == qid) == \
            list(range(1, 1 + sum(r["question_id"] == qid for r in rows)))
    assert store.completed_modules("E900") == {"all-staff/m1"}
    report = verify_trail(store, None, tmp_path / "audit-trail-head.json", answer_anchors=anchors)
    assert report.records == [] and report.answers >= 25, report.text()
    store.close()


HOSTILE = ["it's", "'); DROP TABLE answers; --", "\\'; COMMIT; DELETE FROM answers; --", "$$ $q$ %s %(l)s %%",
           "E'\\x00'", "a\nb\r\tc\u2028", "服务管理体系 “引号” \\", {"nested": ["'", "\\", ";"]}, ["x" * 5000]]


@pytest.mark.slow
def test_hostile_responses_are_stored_as_sent_and_a_refusal_after_the_read_holds_no_lock(postgres_url, tmp_path):
    """The writer's queries carry the values inside their text (client-side binding): responses
    made to break out of a quoted literal are stored exactly as sent and nothing else happens; a
    refusal after the read (not enrolled, over the rate) rolls back, stores nothing and leaves the
    learner's lock free, so the next answer (on another connection) goes through at once."""
    anchors = tmp_path / "audit-anchors" / "answers"
    store = ProgressStore(postgres_url, anchor_dir=anchors)
    a, b = store.async_answers(1), store.async_answers(1)

    class OverRate(Exception):
        pass

    def over_rate():
        raise OverRate()

    async def go():
        for i, response in enumerate(HOSTILE):
            await a.record_answer("E'1", "all-staff", "m1", MODULE[i % 3], response, False, "zh")
        with pytest.raises(OverRate):
            await a.record_answer("E'1", "all-staff", "m1", MODULE[0], "late", True, "en", MODULE,
                                  before_write=over_rate)
        with pytest.raises(NotEnrolledIn):
            await a.record_answer("E'1", "key-personnel", "k", "key-personnel/k/q1", "a", True, "en",
                                  enrolled_in="key-personnel")
        # the learner's lock is free: the other writer's answer is not kept waiting
        await asyncio.wait_for(b.record_answer("E'1", "all-staff", "m1", MODULE[0], "next", False, "en"), 10)
        # and the refused writer's one connection is back in a clean state
        await asyncio.wait_for(a.record_answer("E'1", "all-staff", "m1", MODULE[1], "after", False, "en"), 10)
        await a.close()
        await b.close()

    asyncio.run(go())
    rows = store.answers("E'1")
    assert [r["response"] for r in rows] == HOSTILE + ["next", "after"]
    assert [r["lseq"] for r in rows] == list(range(1, len(HOSTILE) + 3))
    assert len(store.answers()) == len(rows) and len({r["question_id"] for r in rows}) == 3
    report = verify_trail(store, None, tmp_path / "audit-trail-head.json", answer_anchors=anchors)
    assert report.records == [] and report.answers == len(HOSTILE) + 2, report.text()
    store.close()
