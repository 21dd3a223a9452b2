"""Quiz widgets driven as a learner would: choose, press “Check answer”, read the feedback,
and find the answer in the real SQLite store."""

from __future__ import annotations

from iso20k.store import ProgressStore
from iso20k.widgets import QuizSession, language_picker, progress, quiz, quiz_module


def press(widget) -> None:
    widget.check_button.click()


def test_single_choice_wrong_then_right_records_each_attempt(session, store):
    w = quiz("all-staff/sample/q01")
    w.input.boxes[0].value = True  # the learner ticks "The certification body"
    press(w)
    assert "Not quite" in w.feedback.value
    assert "Clause 9.3 gives the review" in w.feedback.value  # the explanation
    assert "9.3" in w.feedback.value  # the clause reference
    assert "Attempts: 1" in w.attempts_label.value

    w.input.boxes[1].value = True  # changes to "Top management"; the first box clears itself
    assert [b.value for b in w.input.boxes] == [False, True, False]
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
    w.input.boxes[0].value = True
    press(w)
    assert w.last_correct is False
    w.input.boxes[1].value = True
    press(w)
    assert w.last_correct is True
    w.input.boxes[2].value = True
    press(w)
    assert w.last_correct is False
    assert [r["response"] for r in store.answers("alice")] == [["a"], ["a", "b"], ["a", "b", "c"]]


def test_true_false(session, store):
    w = quiz("all-staff/sample/q03")
    labels = [lab.value for lab in w.input.labels]
    assert "True" in labels[0] and "False" in labels[1]
    w.input.boxes[1].value = True
    press(w)
    assert w.last_correct is True
    assert store.answers("alice")[0]["response"] is False


def test_ordering_with_buttons(session, store):
    w = quiz("all-staff/sample/q04")
    start = list(w.input.order)
    assert start != ["s1", "s2", "sv", "rc"]  # never shown already solved
    press(w)
    assert w.last_correct is False
    # Put it right with the ▲ buttons only, as a keyboard user would (Tab + Enter presses a button).
    for target, step_id in enumerate(["s1", "s2", "sv", "rc"]):
        while w.input.order.index(step_id) > target:
            row = w.input.children[w.input.order.index(step_id)]
            up_button = row.children[2]
            assert up_button.description == "▲" and up_button.tooltip == "Move up"
            up_button.click()
    assert w.input.order == ["s1", "s2", "sv", "rc"]
    press(w)
    assert w.last_correct is True
    assert w.input.children[0].children[2].disabled  # the first step cannot move up


def test_matching_with_dropdowns(session, store):
    w = quiz("all-staff/sample/q05")
    w.input.dropdowns[0].value = "l1"
    press(w)
    assert "category for every item" in w.feedback.value
    w.input.dropdowns[1].value = "l1"
    press(w)
    assert w.last_correct is False
    w.input.dropdowns[1].value = "l4"
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
    assert "谁主持管理评审" in w.header.value
    assert "最高管理者" in w.input.labels[1].value
    assert w.check_button.description == "检查答案"
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
    assert "正确" in w.input.labels[0].value


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
