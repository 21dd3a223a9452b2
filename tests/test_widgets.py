"""Quiz widgets driven as a learner would: choose, press “Check answer”, read the feedback,
and find the answer in the real SQLite store."""

from __future__ import annotations

from iso20k.store import ProgressStore
from iso20k.widgets import QuizSession, language_picker, progress, quiz, quiz_module


def press(widget) -> None:
    widget.check_button.click()


def test_single_choice_wrong_then_right_records_each_attempt(session, store):
    w = quiz("all-staff/sample/q01")
    assert w.input.kind == "radio"  # one answer: a radio group, labelled by the prompt
    assert "Who conducts the management review" in w.input.legend
    w.input.value = "a"  # the browser sends the chosen option's id: "The certification body"
    press(w)
    assert "Not quite" in w.feedback.value
    assert "Clause 9.3 gives the review" in w.feedback.value  # the explanation
    assert "9.3" in w.feedback.value  # the clause reference
    assert "Attempts: 1" in w.attempts_label.value

    w.input.value = "b"  # changes to "Top management"
    press(w)
    assert "Correct!" in w.feedback.value
    rows = store.answers("alice")
    assert [(r["question_id"], r["response"], r["correct"], r["attempt"], r["language"]) for r in rows] == [
        ("all-staff/sample/q01", "a", False, 1, "en"),
        ("all-staff/sample/q01", "b", True, 2, "en"),
    ]
    assert rows[0]["track"] == "all-staff" and rows[0]["module"] == "sample"


def test_nothing_chosen_asks_for_an_answer_and_records_nothing(session, store):
    w = quiz("all-staff/sample/q01")
    press(w)
    assert "Choose an answer first" in w.feedback.value
    assert store.answers("alice") == []


def test_multiple_choice_needs_exactly_the_right_set(session, store):
    w = quiz("all-staff/sample/q02")
    assert w.input.kind == "checkbox"
    w.input.value = ["a"]
    press(w)
    assert w.last_correct is False
    w.input.value = ["b", "a"]
    press(w)
    assert w.last_correct is True
    w.input.value = ["a", "c", "b"]
    press(w)
    assert w.last_correct is False
    assert [r["response"] for r in store.answers("alice")] == [["a"], ["a", "b"], ["a", "b", "c"]]


def test_true_false(session, store):
    w = quiz("all-staff/sample/q03")
    assert w.input.kind == "radio"
    assert w.input.options == [{"id": "true", "label": "True"}, {"id": "false", "label": "False"}]
    w.input.value = "false"
    press(w)
    assert w.last_correct is True
    assert store.answers("alice")[0]["response"] is False


def test_ordering_with_buttons(session, store):
    w = quiz("all-staff/sample/q04")
    start = list(w.input.order)
    assert start != ["s1", "s2", "sv", "rc"]  # never shown already solved
    press(w)
    assert w.last_correct is False
    # Put it right with "move up" only (in the browser: the ▲ buttons; tests/test_learner_browser.py).
    for target, step_id in enumerate(["s1", "s2", "sv", "rc"]):
        while w.input.order.index(step_id) > target:
            w.input.move(w.input.order.index(step_id), -1)
    assert w.input.order == ["s1", "s2", "sv", "rc"]
    w.input.move(0, -1)  # the first step cannot move up
    assert w.input.order == ["s1", "s2", "sv", "rc"]
    assert w.input.texts["move_up"] == "Move up"
    press(w)
    assert w.last_correct is True


def test_matching_with_dropdowns(session, store):
    w = quiz("all-staff/sample/q05")
    assert w.input.kind == "matching"
    w.input.value = {"manual": "l1"}
    press(w)
    assert "category for every item" in w.feedback.value
    w.input.value = {"manual": "l1", "form": "l1"}
    press(w)
    assert w.last_correct is False
    w.input.value = {"manual": "l1", "form": "l4"}
    press(w)
    assert w.last_correct is True
    assert store.answers("alice")[-1]["response"] == {"form": "l4", "manual": "l1"}


def test_scenario_shows_the_case(session):
    w = quiz("all-staff/sample/q06")
    assert "no internal audit has ever been done" in w.header.value
    w.select("major")
    press(w)
    assert w.last_correct is True


def test_language_switch_relabels_everything(session, store):
    w = quiz("all-staff/sample/q01")
    w.select("a")
    press(w)
    session.set_language("zh")
    assert "谁主持管理评审" in w.input.legend
    assert "最高管理者" in [o["label"] for o in w.input.options]
    assert w.check_button.description == "提交答案"
    assert "还不对" in w.feedback.value and "条款 9.3" in w.feedback.value
    assert w.input.response() == "a"  # the learner's choice survives the switch
    w.select("b")
    press(w)
    assert store.answers("alice")[-1]["language"] == "zh"
    # The choice is remembered for the learner (a new kernel starts in Chinese).
    assert store.language("alice") == "zh"


def test_language_picker_switches_the_session(session):
    picker = language_picker()
    toggle = picker.children[1]
    toggle.value = "zh"
    assert session.language == "zh"
    w = quiz("all-staff/sample/q03")
    assert w.input.options[0]["label"] == "正确"


def test_progress_bar_counts_correct_answers_and_survives_a_restart(session, store, banks_dir):
    bar = progress("all-staff/sample")
    assert (bar.done, bar.total) == (0, 6)
    q1 = quiz("all-staff/sample/q01")
    q1.select("b")
    press(q1)
    assert bar.done == 1
    assert "1 of 6" in bar.label.value
    q1.select("a")
    press(q1)
    assert bar.done == 1  # once answered correctly, a question stays counted

    # "Kernel restart": a brand-new session over the same SQLite file.
    reopened = ProgressStore(store.url)
    fresh = QuizSession(reopened, "alice", banks_dir=banks_dir)
    assert progress("all-staff/sample", session=fresh).done == 1
    again = quiz("all-staff/sample/q01", session=fresh)
    assert "Attempts: 2" in again.attempts_label.value
    # Another learner's progress is their own.
    assert progress("all-staff/sample", session=QuizSession(reopened, "bob", banks_dir=banks_dir)).done == 0


def test_answering_every_question_completes_the_module(session, store):
    box = quiz_module("all-staff/sample")
    bar, questions = box.children[0], box.children[1:]
    right = {"q01": "b", "q02": ["a", "b"], "q03": False, "q05": {"manual": "l1", "form": "l4"}, "q06": "major"}
    for w in questions:
        if w.question.type == "ordering":
            w.select(["s1", "s2", "sv", "rc"])
        else:
            w.select(right[w.question.id])
        press(w)
        assert w.last_correct is True
    assert bar.done == bar.total == 6
    assert "Module complete" in bar.label.value
    assert store.completed_modules("alice") == {"all-staff/sample"}


def test_unknown_question_id_says_what_ids_look_like(session):
    import pytest

    with pytest.raises(KeyError, match="track/module/question"):
        quiz("all-staff/sample/q99")


def test_a_store_failure_says_so_and_claims_no_verdict(session, store):
    """The records judge and store in one step: when the store breaks, the learner is told the
    answer was neither checked nor saved (never a verdict that was not recorded)."""
    import sqlite3

    w = quiz("all-staff/sample/q01")
    with sqlite3.connect(store.url.removeprefix("sqlite:///")) as raw:
        raw.execute("DROP TABLE answers")  # the store breaks underneath the learner
    w.select("b")
    press(w)
    assert "Correct" not in w.feedback.value and w.last_correct is None
    assert "could not be checked or saved" in w.feedback.value and "try again" in w.feedback.value


def test_a_question_shown_again_shows_the_last_answer_and_its_feedback(session, store, banks_dir):
    """After a reload (a new kernel, a new widget) every type shows the learner's newest stored
    answer selected, its verdict, explanation and attempts: read through the records, in both
    languages; a question never answered shows nothing."""
    answers = {"all-staff/sample/q01": ("a", "b"), "all-staff/sample/q02": (["a"], None),
               "all-staff/sample/q03": (True, None)}
    for qid, (first, second) in answers.items():
        w = quiz(qid)
        w.select(first)
        press(w)
        if second is not None:
            w.select(second)
            press(w)
    ordering = quiz("all-staff/sample/q04")
    ordering.select(list(reversed(ordering.input.order)))
    press(ordering)
    matching = quiz("all-staff/sample/q05")
    matching.select(matching.question.answer)
    press(matching)
    stored = {r["question_id"]: r for r in store.answers("alice")}  # the newest answer of each

    fresh = QuizSession(ProgressStore(store.url), "alice", banks_dir=banks_dir, language="en")
    for qid in (*answers, "all-staff/sample/q04", "all-staff/sample/q05"):
        again = quiz(qid, session=fresh)
        newest = stored[qid]
        assert again.input.response() == newest["response"], qid
        assert again.attempts == newest["attempt"] and f"Attempts: {newest['attempt']}" in again.attempts_label.value
        verdict = "Correct!" if newest["correct"] else "Not quite"
        assert verdict in again.feedback.value and again.last_correct is newest["correct"], qid
    single = quiz("all-staff/sample/q01", session=fresh)
    assert single.input.value == "b" and "Clause 9.3 gives the review" in single.feedback.value
    fresh.set_language("zh", remember=False)
    assert "回答正确" in single.feedback.value and "作答次数" in single.attempts_label.value
    untouched = quiz("all-staff/sample/q06", session=fresh)
    assert untouched.feedback.value == "" and untouched.attempts_label.value == "" and untouched.input.value is None


def test_a_stored_response_the_question_no_longer_fits_shows_only_the_attempts(session, store, banks_dir):
    """An ordering answer missing steps, an option that is gone: the controls start afresh and no
    verdict is claimed for an answer not shown; the attempts still count."""
    for qid, response in (("all-staff/sample/q04", ["demo"]), ("all-staff/sample/q01", "gone"),
                          ("all-staff/sample/q05", {"manual": "nowhere"})):
        track, module, _ = qid.split("/")
        store.record_answer("alice", track, module, qid, response, False, "en")
        shown = quiz(qid)
        assert shown.attempts == 1 and "Attempts: 1" in shown.attempts_label.value
        assert shown.feedback.value == "" and shown.last_correct is None
        assert shown.input.response() != response
