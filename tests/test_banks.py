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


# --- Learners' copies and exam items near-identical to formative questions ----------------------

def test_a_learners_copy_has_no_answers_or_explanations_and_cannot_judge(tmp_path):
    from iso20k.banks.public import write_learner_banks
    from iso20k.records import LocalRecords, RecordsError
    from iso20k.store import ProgressStore

    keyed = load_catalog(REPO_ROOT / "assessments")
    written = write_learner_banks(REPO_ROOT / "assessments", tmp_path / "learners")
    assert len(written) == len(keyed.banks)
    text = "\n".join(p.read_text(encoding="utf-8") for p in written)
    for q in keyed.questions.values():
        assert q.explanation.en not in text and q.explanation.zh not in text
    copy = load_catalog(tmp_path / "learners")
    assert set(copy.questions) == set(keyed.questions) and not copy.keyed and keyed.keyed
    assert all(q.answer is None and q.explanation is None for q in copy.questions.values())
    assert [o.id for o in copy.question("all-staff/intro/q01").options] == \
        [o.id for o in keyed.question("all-staff/intro/q01").options]
    # a key written into a learners' copy is a problem; a keyed bank without a key too
    bad = written[0].read_text(encoding="utf-8").replace("  type:", "  answer: a\n  type:", 1)
    written[0].write_text(bad, encoding="utf-8")
    with pytest.raises(BankError, match="keys withheld carries 'answer'"):
        parse_bank(written[0])
    with pytest.raises(BankError, match="'explanation' is missing"):
        parse_bank(write(tmp_path / "k", GOOD.replace('    explanation: {en: "Because.", zh: "因为。"}\n', "")))
    # the in-process records refuse to judge against a learners' copy (no silent "wrong")
    records = LocalRecords(ProgressStore(f"sqlite:///{tmp_path / 'p.sqlite'}"), "E1", keyed_banks_dir=tmp_path / "learners2")
    write_learner_banks(REPO_ROOT / "assessments", tmp_path / "learners2")
    with pytest.raises(RecordsError, match="ISO20K_KEYED_BANKS_DIR"):
        records.answer("all-staff/intro/q01", "a", "en")


def _check_banks(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "iso20k.cli", "check-banks", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_check_banks_passes_on_the_shipped_banks_and_exams():
    result = _check_banks("--banks-dir", str(REPO_ROOT / "assessments"), "--exams-dir", str(REPO_ROOT / "exams"))
    assert result.returncode == 0, result.stderr
    assert "No exam item is near-identical to a formative question" in result.stdout


PLANTED = [  # (exam item as planted, the formative question it copies, the rule that must catch it)
    # the old q31: same key as all-staff/intro/q08 in other words
    ({"id": "p1", "clauses": ["ISO/IEC 17021-1"], "prompt": {"en": "Which description of the certification cycle is correct?",
      "zh": "关于认证周期，下列哪种描述正确？"},
      "key": {"en": "Three years, with surveillance audits in years 1 and 2 and recertification in year 3",
              "zh": "有效期三年，第一年和第二年进行监督审核，第三年进行再认证"}}, "all-staff/intro/q08", "same key"),
    # a formative question copied with its prompt reworded slightly
    ({"id": "p2", "clauses": ["GB/T 24405.1-2009"], "prompt": {"en": "China's national standard GB/T 24405.1-2009 adopts which edition of ISO/IEC 20000-1, then?",
      "zh": "我国国家标准 GB/T 24405.1-2009 采用的是 ISO/IEC 20000-1 的哪一个版本？"},
      "key": {"en": "The 2005 edition", "zh": "2005 版"}}, "all-staff/intro/q10", "same question"),
    # the old q25: asks what the formative question tells, and the other way round
    ({"id": "p3", "clauses": ["9.2", "9.3"], "prompt": {
        "en": "According to the roadmap, what must be done before the system moves into formal operation with the second edition of the manual and procedures?",
        "zh": "按照路线图，在体系使用第二版手册和程序文件进入正式运行之前，必须完成什么？"},
      "key": {"en": "At least one internal audit and one management review", "zh": "至少一次内部审核和一次管理评审"}},
     "all-staff/roadmap/q09", "reversed question"),
]


@pytest.mark.parametrize("planted, copied, rule", PLANTED, ids=[p[2] for p in PLANTED])
def test_check_banks_fails_on_a_planted_near_duplicate(tmp_path, planted, copied, rule):
    import shutil

    import yaml

    shutil.copytree(REPO_ROOT / "exams", tmp_path / "exams")
    path = tmp_path / "exams" / "all-staff-exam.yaml"
    exam = yaml.safe_load(path.read_text(encoding="utf-8"))
    others = [{"en": f"Another answer {n}", "zh": f"另一个答案 {n}"} for n in range(3)]
    area = "scope-terms" if planted["clauses"][0].startswith("GB/T") else "audit"  # the blueprint's areas
    exam["items"].append({"id": planted["id"], "kind": "choice", "points": 1, "clauses": planted["clauses"],
                          "prompt": planted["prompt"], "options": [*others[:2], planted["key"], others[2]],
                          "answer": "C", "area": area, "difficulty": "medium"})
    path.write_text(yaml.safe_dump(exam, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = _check_banks("--banks-dir", str(REPO_ROOT / "assessments"), "--exams-dir", str(tmp_path / "exams"))
    assert result.returncode != 0, result.stdout
    assert f"exam item all-staff-exam/{planted['id']} is near-identical to formative question {copied}" in result.stderr
    assert rule in result.stderr
    assert "1 exam item(s) near-identical" in result.stderr


def test_the_similarity_rule_is_documented_with_its_numbers():
    from iso20k.banks import similarity

    doc = (REPO_ROOT / "docs" / "question-banks.md").read_text(encoding="utf-8")
    for value in (similarity.SAME_QUESTION, similarity.SAME_KEY, similarity.REVERSED_KEY, similarity.REVERSED_BACK):
        assert str(value) in doc
    assert "near-identical" in doc
