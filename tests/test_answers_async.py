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
