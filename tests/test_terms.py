"""审核 (audit) never stands where the standard says 评审 (review), in lessons, diagrams,
question banks or graded assessments; quotations of the seed roadmap (in “...”) are allowed."""

from __future__ import annotations

import pytest

from iso20k.authoring.terms import review_term_problems
from iso20k.settings import REPO_ROOT

FILES = sorted([*REPO_ROOT.glob("content/**/*.zh.md"), *REPO_ROOT.glob("content/*.md"),
                *REPO_ROOT.glob("assessments/**/*.yaml"), *REPO_ROOT.glob("exams/*.yaml")])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_review_is_never_called_audit(path):
    assert review_term_problems(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("text", ["文件发布前须经审核和批准。", "由审核人检查草稿", "审核、批准后发布", "审核批准、复印装订",
                                  "重新起草、审核并批准"])
def test_the_check_finds_review_called_audit(text):
    problems = review_term_problems(text)
    assert problems and "评审" in problems[0] and "line 1" in problems[0]


@pytest.mark.parametrize("text", ["内部审核按策划的时间间隔进行。", "审核员在机房发现一份旧版本。", "需要多少审核人日",
                                  "路线图原文写作“审核批准、复印装订”。", "文件发布前须经评审和批准。"])
def test_audit_in_its_own_sense_and_quotations_pass(text):
    assert review_term_problems(text) == []


def test_the_authoring_check_reports_it_with_file_and_line(tmp_path):
    from iso20k.authoring.checks import check_module
    from iso20k.authoring.source import parse_source
    from iso20k.banks import load_catalog

    original = REPO_ROOT / "content" / "document-writing" / "05-document-control.zh.md"
    broken = tmp_path / "document-writing" / original.name
    broken.parent.mkdir()
    broken.write_text(original.read_text(encoding="utf-8").replace("评审和批准", "审核和批准", 1), encoding="utf-8")
    problems = check_module(parse_source(broken, "zh"), load_catalog(REPO_ROOT / "assessments"))
    assert [p for p in problems if str(broken) in p and "审核" in p and "评审" in p and ", line " in p]
