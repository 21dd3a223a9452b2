"""The records layer without a hub: trusted judging refuses responses that cannot be answers
and stores nothing then; the in-process records answer as the widget expects."""

from __future__ import annotations

import pytest

from iso20k.banks import cached_catalog
from iso20k.records import LocalRecords, ResponseError, judge_and_record


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
