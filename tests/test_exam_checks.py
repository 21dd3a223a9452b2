"""What learners type into assessment answers, and how it is judged."""

from __future__ import annotations

import pytest

from iso20k.exam_checks import assert_key, check_letter, check_order, normalise
from iso20k.grading.exam_model import ExamError, load_exam
from iso20k.grading.students import split_name
from iso20k.grading.tamper import tamper_findings


@pytest.mark.parametrize("typed, expected", [
    ("b", "B"), (" B ", "B"), ("Ｂ", "B"), ("ｃ", "C"), ("B, A, D, C", "BADC"), ("B→A→D→C", "BADC"), ("", ""), (None, ""),
])
def test_normalise_accepts_what_people_type(typed, expected):
    assert normalise(typed) == expected


def test_format_checks_explain_in_both_languages_without_the_answer():
    check_letter("d", 3)
    with pytest.raises(AssertionError) as info:
        check_letter("", 3)
    assert "Question 3" in str(info.value) and "第 3 题" in str(info.value)
    with pytest.raises(AssertionError):
        check_letter("AB", 3)
    check_order("badc", 5, "ABCD")
    with pytest.raises(AssertionError, match="each once"):
        check_order("AABC", 5, "ABCD")


def test_the_hidden_check_says_only_right_or_wrong():
    assert_key("b", "B")
    with pytest.raises(AssertionError) as info:
        assert_key("A", "B")
    assert "B" not in str(info.value).replace("答案不正确", "")


def test_chinese_and_western_names_split_for_nbgrader():
    assert split_name("Alice Wong") == ("Alice", "Wong")
    assert split_name("王小明") == ("小明", "王")


def test_exam_definition_errors_name_the_item_and_field(tmp_path):
    path = tmp_path / "all-staff-exam.yaml"
    path.write_text("""assignment: all-staff-exam
title: {en: T, zh: 题}
minutes: 10
items:
  - id: q01
    kind: choice
    points: 1
    clauses: ["9.2"]
    prompt: {en: P, zh: 问}
    options: [{en: a, zh: 甲}, {en: b, zh: 乙}, {en: c, zh: 丙}, {en: d, zh: 丁}]
    answer: E
""", encoding="utf-8")
    with pytest.raises(ExamError, match="item q01.*must be one of A, B, C, D"):
        load_exam(path)


def test_tamper_findings_spot_extra_code_in_answer_cells():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('answer_q01 = "B"  # my answer'),
        nbformat.v4.new_code_cell("# a note\nanswer_q02 = 'C'"),
        nbformat.v4.new_code_cell("import os\nanswer_q03 = 'A'"),
    ])
    findings = tamper_findings(nb, {})
    assert findings == ["unexpected code in a learner cell: 'import os'"]


def test_the_time_left_is_shown_in_both_languages_each_under_its_lang(tmp_path):
    """What the exam's time-left cell shows a learner (the page counts it down; the browser side is
    in the quick-start journey): the minutes left and the hand-in time, English and Chinese, each
    part marked with its language; nothing for a notebook that was not fetched."""
    import datetime
    import json
    import re

    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from iso20k.exam_checks import TIME_LIMIT_FILE, show_time_left

    InteractiveShell.instance()
    with capture_output() as nothing:
        show_time_left(str(tmp_path))
    assert nothing.outputs == []
    deadline = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=42, seconds=30)
    (tmp_path / TIME_LIMIT_FILE).write_text(json.dumps({"deadline": deadline.isoformat()}), encoding="utf-8")
    with capture_output() as shown:
        show_time_left(str(tmp_path))
    page = shown.outputs[0].data["text/html"]
    local = deadline.astimezone().strftime("%H:%M")
    english = re.search(r'<span lang="en">(.*?)</span> · ', page).group(1)
    chinese = re.search(r'<span lang="zh-Hans">(.*?)</span></div>', page).group(1)
    assert re.sub(r"<[^>]+>", "", english) == f"Time left: 42 min (hand in by {local})."
    assert re.sub(r"<[^>]+>", "", chinese) == f"剩余时间：42 分钟（请在 {local} 前提交）。"
