"""Question-bank validation: each kind of bad bank gives its own, specific error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from iso20k.banks import BankError, load_catalog, parse_bank
from iso20k.settings import REPO_ROOT

GOOD = """\
track: all-staff
module: demo
title: {en: Demo, zh: 演示}
questions:
  - id: q01
    type: single
    clauses: ["9.2"]
    prompt: {en: "Pick b", zh: "选 b"}
    options:
      - {id: a, en: "A", zh: "甲"}
      - {id: b, en: "B", zh: "乙"}
    answer: b
    explanation: {en: "Because.", zh: "因为。"}
"""


def write(tmp_path: Path, text: str, name: str = "all-staff/demo.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path):
    with pytest.raises(BankError) as info:
        parse_bank(path)
    return info.value.problems


def test_a_good_bank_loads(tmp_path):
    bank = parse_bank(write(tmp_path, GOOD))
    q = bank.questions[0]
    assert (q.full_id, q.track, q.module) == ("all-staff/demo/q01", "all-staff", "demo")
    assert q.prompt.get("zh") == "选 b"
    assert q.is_correct("b") and not q.is_correct("a")


def test_missing_translation_names_file_question_and_field(tmp_path):
    path = write(tmp_path, GOOD.replace('prompt: {en: "Pick b", zh: "选 b"}', 'prompt: {en: "Pick b"}'))
    [p] = problems_of(path)
    assert (p.file, p.question_id, p.field) == (path, "q01", "prompt.zh")
    assert "Simplified Chinese translation (zh) is missing" in str(p)
    assert "Hint:" in str(p) and "line 5" in str(p)


def test_empty_translation_is_refused(tmp_path):
    [p] = problems_of(write(tmp_path, GOOD.replace('zh: "因为。"', 'zh: "  "')))
    assert (p.question_id, p.field) == ("q01", "explanation.zh") and "empty" in p.message


def test_answer_not_among_options(tmp_path):
    [p] = problems_of(write(tmp_path, GOOD.replace("answer: b", "answer: z")))
    assert (p.question_id, p.field) == ("q01", "answer")
    assert "'z' is not among the options ['a', 'b']" in p.message


def test_duplicate_id(tmp_path):
    twice = GOOD + GOOD[GOOD.index("  - id: q01"):]
    problems = problems_of(write(tmp_path, twice))
    assert [(p.question_id, p.field) for p in problems] == [("q01", "id")]
    assert "duplicate id (first used on line 5)" in problems[0].message
    assert problems[0].line == 14


def test_unknown_type(tmp_path):
    [p] = problems_of(write(tmp_path, GOOD.replace("type: single", "type: essay")))
    assert (p.question_id, p.field) == ("q01", "type")
    assert "unknown question type 'essay'" in p.message and "single, multiple" in p.hint


def test_malformed_yaml_names_the_line(tmp_path):
    path = write(tmp_path, GOOD.replace('prompt: {en: "Pick b", zh: "选 b"}', 'prompt: {en: "Pick b", zh: "选 b"'))
    [p] = problems_of(path)
    assert "malformed YAML" in p.message and p.line is not None and "indentation" in p.hint


def test_file_must_match_its_track_and_module(tmp_path):
    [p] = problems_of(write(tmp_path, GOOD, name="all-staff/other.yaml"))
    assert p.field == "track/module" and "all-staff/demo" in p.message


def test_unknown_track(tmp_path):
    problems = problems_of(write(tmp_path, GOOD.replace("track: all-staff", "track: sales"), name="sales/demo.yaml"))
    assert any(p.field == "track" and "unknown track 'sales'" in p.message for p in problems)


@pytest.mark.parametrize("replacement, field, words", [
    ("type: true_false", "answer", "not true or false"),
    ("type: multiple", "answer", "non-empty list"),
    ("type: ordering", "answer", "every option id exactly once"),
    ("type: matching", "categories", "at least two categories"),
    ("type: scenario", "scenario", "no scenario text"),
])
def test_answer_shape_is_checked_per_type(tmp_path, replacement, field, words):
    problems = problems_of(write(tmp_path, GOOD.replace("type: single", replacement)))
    assert any(p.field == field and words in p.message for p in problems), [str(p) for p in problems]


def test_clause_reference_format(tmp_path):
    [p] = problems_of(write(tmp_path, GOOD.replace('clauses: ["9.2"]', 'clauses: ["chapter nine"]')))
    assert p.field == "clauses" and "not a clause reference" in p.message


def test_catalog_collects_problems_from_every_file(tmp_path):
    write(tmp_path, GOOD)
    write(tmp_path, GOOD.replace("module: demo", "module: two").replace("answer: b", "answer: q"), "all-staff/two.yaml")
    write(tmp_path, "track: [", "key-personnel/broken.yaml")
    with pytest.raises(BankError) as info:
        load_catalog(tmp_path)
    files = sorted(p.file.name for p in info.value.problems)
    assert files == ["broken.yaml", "two.yaml"]


def test_check_banks_command_reports_and_fails(tmp_path):
    write(tmp_path, GOOD.replace("answer: b", "answer: z"))
    result = subprocess.run([sys.executable, "-m", "iso20k.cli", "check-banks", "--banks-dir", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "demo.yaml" in result.stderr and "question q01" in result.stderr and "field 'answer'" in result.stderr
    assert "1 problem(s) found" in result.stderr


def test_check_banks_command_on_a_good_folder(tmp_path):
    write(tmp_path, GOOD)
    result = subprocess.run([sys.executable, "-m", "iso20k.cli", "check-banks", "--banks-dir", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "All 1 banks are valid: 1 questions (1 single)" in result.stdout


def test_the_course_banks_are_valid():
    catalog = load_catalog(REPO_ROOT / "assessments")
    assert catalog.questions
    for q in catalog.questions.values():
        assert q.prompt.en and q.prompt.zh and q.explanation.en and q.explanation.zh
