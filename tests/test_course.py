"""The course: built notebooks match their sources, every module is complete in both languages,
terms follow the glossary, diagrams work offline, and every notebook runs on a fresh kernel."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from iso20k.authoring import build_course, check_course, check_module, check_pair, load_sources, parse_source
from iso20k.authoring.glossary import load_glossary, missing_terms, term_pairs, wrong_terms
from iso20k.banks import load_catalog
from iso20k.settings import REPO_ROOT
from iso20k.tracks import TRACKS

CONTENT, COURSE = REPO_ROOT / "content", REPO_ROOT / "course"
SOURCES = load_sources(CONTENT)
CATALOG = load_catalog(REPO_ROOT / "assessments")
PAIRS = [pair for pairs in SOURCES.modules.values() for pair in pairs]
MODULE_NOTEBOOKS = sorted(p.relative_to(REPO_ROOT).as_posix() for t in TRACKS for p in (COURSE / t).glob("*.ipynb"))


def test_course_notebooks_are_exactly_what_the_sources_build():
    stale = build_course(CONTENT, COURSE, check_only=True)
    assert stale == [], f"run 'iso20k build-course': out of date: {stale}"


def test_every_module_passes_every_check():
    assert check_course(SOURCES, CATALOG) == []


def test_three_tracks_with_modules_in_both_languages():
    # The catalogue decides: every question bank of a track is one module, in both languages.
    counts = {t: len(SOURCES.modules[t]) for t in TRACKS}
    banks = {t: sum(1 for b in CATALOG.banks.values() if b.track == t) for t in TRACKS}
    assert counts == banks and min(counts.values()) >= 5
    assert len(MODULE_NOTEBOOKS) == 2 * sum(counts.values())


def test_at_least_150_formative_questions_of_several_types():
    course_questions = [q for q in CATALOG.questions.values() if q.track in TRACKS]
    assert len(course_questions) >= 150
    assert {q.type for q in course_questions} == {"single", "multiple", "true_false", "ordering", "matching", "scenario"}


def test_every_bank_question_is_used_and_every_quiz_exists():
    shown = {q.question_id for src in SOURCES.all() for q in src.quizzes()}
    assert shown == set(CATALOG.questions)


def test_glossary_copy_matches_the_reference_facts_sheet():
    facts = REPO_ROOT.parent / "shared" / "reference" / "iso20000-facts.md"
    if not facts.exists():
        pytest.skip("the shared reference folder is not beside this checkout")
    text = facts.read_text(encoding="utf-8")
    for en, zh in load_glossary(REPO_ROOT / "docs" / "glossary.md"):
        assert f"| {en} | {zh} |" in text


@pytest.mark.parametrize("en, zh", PAIRS, ids=[en.stem for en, _ in PAIRS])
def test_terms_follow_the_glossary(en, zh):
    pairs = term_pairs(load_glossary(REPO_ROOT / "docs" / "glossary.md"))
    assert missing_terms(en.prose(), zh.prose(), pairs) == []
    assert wrong_terms(zh.prose()) == []
    bank = CATALOG.banks[en.module_key]
    for q in bank.questions:
        texts = [q.prompt, q.explanation] + ([q.scenario] if q.scenario else []) + list(q.options) + list(q.categories)
        assert wrong_terms(" ".join(t.zh for t in texts)) == [], q.full_id


SEED_STEPS = [  # the seed article's roadmap, in its order, as the Chinese lessons name each step
    "培训", "领导小组", "工作小组", "管理者代表", "诊断", "设计", "编写", "试点运行", "试运行",
    "内部审核", "管理评审", "正式运行", "预审", "认证机构", "第一阶段", "第二阶段", "监督审核", "再认证", "持续改进",
]


def test_all_staff_track_teaches_the_whole_roadmap_in_both_languages():
    zh = " ".join(zh.prose() for en, zh in SOURCES.modules["all-staff"])
    assert [step for step in SEED_STEPS if step not in zh] == []
    en = " ".join(en.prose() for en, zh in SOURCES.modules["all-staff"]).lower()
    for step in ("training", "working group", "management representative", "diagnosis", "pilot run", "trial run",
                 "internal audit", "management review", "formal operation", "pre-audit", "certification body",
                 "stage 1", "stage 2", "surveillance", "recertification", "continual improvement"):
        assert step in en


def test_each_module_says_where_the_2018_edition_differs():
    for en, zh in PAIRS:
        assert "2018" in en.prose() and "2018" in zh.prose()


# -- the checks themselves can fail ------------------------------------------------------------

def _copy(tmp_path: Path, src_path: Path, edit) -> Path:
    target = tmp_path / src_path.parent.name / src_path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(edit(src_path.read_text(encoding="utf-8")), encoding="utf-8")
    return target


def test_parity_check_catches_a_missing_quiz_in_the_translation(tmp_path):
    en, zh = PAIRS[0]
    last = zh.quizzes()[-1]
    broken = parse_source(_copy(tmp_path, zh.path, lambda t: t.replace(f"::: quiz {last.question_id.rsplit('/', 1)[1]}\n", "")))
    problems = check_pair(en, broken)
    assert problems, "the parity check missed a quiz removed from the translation"
    assert "structure differs" in problems[0] or "headings/quizzes/diagrams" in problems[0]


def test_module_check_catches_untranslated_text_and_missing_parts(tmp_path):
    en, zh = PAIRS[0]

    def damage(text: str) -> str:
        text = text.replace("## 小结", "## 总结")
        text = text.replace("> **2005 版以来的变化：**", "> **注意：**")
        return text + "\nThis whole sentence was left in English by mistake.\n"

    problems = "\n".join(check_module(parse_source(_copy(tmp_path, zh.path, damage), "zh"), CATALOG))
    assert "'## 小结' is missing" in problems
    assert "2005 版以来的变化" in problems
    assert "untranslated English" in problems


def test_glossary_check_catches_a_wrong_translation():
    assert wrong_terms("我们的事故管理流程") == [("事故管理", "事件管理 (incident management)")]
    pairs = term_pairs(load_glossary(REPO_ROOT / "docs" / "glossary.md"))
    assert ("incident management", "事件管理") in missing_terms("Incident management restores service.", "事故处理。", pairs)


# -- diagrams work with no network ------------------------------------------------------------

def _images(nb) -> list[str]:
    return [m for c in nb.cells if c.cell_type == "markdown" for m in re.findall(r'<img [^>]*src="([^"]+)"', c.source)]


@pytest.mark.parametrize("path", MODULE_NOTEBOOKS)
def test_diagrams_are_self_contained_svg(path):
    nb = nbformat.read(REPO_ROOT / path, as_version=4)
    images = _images(nb)
    assert images, f"{path} has no diagram"
    for src in images:
        assert src.startswith("data:image/svg+xml;base64,")
        svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
        assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in svg
    text = (REPO_ROOT / path).read_text(encoding="utf-8")
    assert "cdn." not in text and "mermaid" not in text.lower()


def test_html_export_carries_the_diagrams_inline():
    from nbconvert import HTMLExporter

    nb = nbformat.read(COURSE / "all-staff" / "03-roadmap.zh.ipynb", as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    assert body.count('src="data:image/svg+xml;base64,') == len(_images(nb))


# -- every notebook runs top to bottom on a fresh kernel ----------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("path", MODULE_NOTEBOOKS)
def test_module_notebook_runs_on_a_fresh_kernel(path, tmp_path, monkeypatch):
    monkeypatch.setenv("ISO20K_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ISO20K_LEARNER_ID", "E-test")
    nb = nbformat.read(REPO_ROOT / path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str((REPO_ROOT / path).parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type in ("error", "stream") and o.get("name") != "stdout"]
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    quizzes = sum(1 for c in nb.cells if c.cell_type == "code" and c.source.lstrip().startswith("quiz("))
    assert len(widgets) == quizzes + 2  # every question plus the progress bar at the top and bottom


# -- lessons read like lessons ------------------------------------------------------------------

@pytest.mark.parametrize("path", ["course/START_HERE.ipynb", *MODULE_NOTEBOOKS])
def test_code_cells_are_hidden_and_show_no_first_line(path):
    nb = nbformat.read(REPO_ROOT / path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, cell.source
        # JupyterLab shows a hidden cell's first line beside its "..." button: it must be empty.
        assert cell.source.split("\n", 1)[0].strip() == "", cell.source


@pytest.mark.parametrize("path", MODULE_NOTEBOOKS)
def test_every_question_links_to_a_heading_of_its_lesson(path):
    from iso20k.sections import heading_text

    nb = nbformat.read(REPO_ROOT / path, as_version=4)
    headings = {heading_text(line) for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith(("## ", "### "))}
    sections = [re.search(r'section=("(?:[^"\\]|\\.)*")', c.source) for c in nb.cells
                if c.cell_type == "code" and "quiz(" in c.source]
    assert sections and all(sections), f"{path}: a quiz without its section"
    for match in sections:
        section = json.loads(match.group(1))
        assert section in headings
        assert section not in ("Learning objectives", "学习目标", "Summary", "小结")
