"""Chinese renders as Chinese: every Markdown cell of every notebook (committed and freshly
generated) renders in a CommonMark renderer with no ``**`` or ``__`` left showing; the bank and
exam texts too; Chinese texts use full-width punctuation, also where the widgets put a label and a
value together; lessons' Markdown carries its language (``lang``), and the wording the review
retired does not come back.  The browser side (what JupyterLab keeps of ``lang``) is in
test_lab_browser."""

from __future__ import annotations

import base64
import html
import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

from iso20k.authoring import load_sources, planned_notebooks
from iso20k.grading.build import build_sources
from iso20k.settings import REPO_ROOT, Settings
from iso20k.texts import catalogue, html_lang

#: A real CommonMark implementation, with the GitHub tables and strikethrough JupyterLab also reads.
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
NOTEBOOK_DIRS = ("course", "source", "release", "dashboard")
YAML_TEXTS = [*sorted((REPO_ROOT / "assessments").rglob("*.yaml")), *sorted((REPO_ROOT / "exams").rglob("*.yaml"))]

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK = f"{HAN}\u3000-\u303f\uff00-\uffef"  # Han characters and full-width punctuation
#: An ASCII : ( ) , ; ? ! or straight quote next to Chinese (a space between counts as next to).
ASCII_BY_CHINESE = re.compile(rf"(?<=[{CJK}])[ ]?[:(),;?!\"']|[:(),;?!\"'][ ]?(?=[{CJK}])")


def literal_markers(markdown: str) -> list[str]:
    """The ``**`` / ``__`` a CommonMark renderer leaves as text in ``markdown`` (code aside), each
    with the text around it."""
    rendered = MARKDOWN.render(markdown)
    text = re.sub(r"<(pre|code)>.*?</\1>", " ", rendered, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return [text[max(0, m.start() - 25):m.end() + 25].replace("\n", " ") for m in re.finditer(r"\*\*|__", text)]


def ascii_punctuation_in_chinese(text: str) -> list[str]:
    """ASCII punctuation next to Chinese in ``text``; code (`...`), URLs, Markdown link targets and
    {fields} are left out (clause numbers and times like 23:10 have digits on both sides)."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"\{[^{}]*\}", "0", text)
    return [text[max(0, m.start() - 12):m.end() + 12].replace("\n", " ") for m in ASCII_BY_CHINESE.finditer(text)]


def _markdown_cells(nb: dict):
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            yield index, "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _texts(node, where: str, language: str | None = None):
    """(place, text) of every text under ``language``'s key (any language's, when None) in a bank
    or exam file's YAML."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("en", "zh") and isinstance(value, str):
                if language in (None, key):
                    yield f"{where}.{key}", value
            else:
                yield from _texts(value, f"{where}.{key}" if where else str(key), language)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            name = value.get("id", index) if isinstance(value, dict) else index
            yield from _texts(value, f"{where}[{name}]", language)


@cache
def _yaml_documents() -> tuple:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return tuple((path, yaml.load(path.read_text(encoding="utf-8"), Loader=loader)) for path in YAML_TEXTS)


def _yaml_texts(language: str | None = None):
    for path, document in _yaml_documents():
        yield from ((f"{path.relative_to(REPO_ROOT)}:{place}", text) for place, text in _texts(document, "", language))


def _chinese_catalogue():
    for message in catalogue.read(catalogue.po_file("zh_CN")):
        if message.id and message.string:
            yield f"iso20k.po: {message.id!r}", message.string


@cache
def _chinese_lessons() -> tuple:
    return tuple((str(source.path.relative_to(REPO_ROOT)), re.sub(r"```.*?```", " ", source.prose(), flags=re.S))
                 for source in load_sources(REPO_ROOT / "content").all() if source.language == "zh")


# -- bold markup --------------------------------------------------------------------------------

def test_every_markdown_cell_of_every_notebook_renders_its_emphasis(tmp_path):
    """Committed notebooks (course with START_HERE, source, release, dashboard) and the ones the
    builds make now from content/ and exams/: no literal ** or __ once rendered."""
    notebooks = {str(p.relative_to(REPO_ROOT)): json.loads(p.read_text(encoding="utf-8"))
                 for d in NOTEBOOK_DIRS for p in sorted((REPO_ROOT / d).rglob("*.ipynb"))}
    notebooks.update({f"built course/{rel}": json.loads(text)
                      for rel, text in planned_notebooks(REPO_ROOT / "content").items()})
    build_sources(REPO_ROOT / "exams", tmp_path / "source", Settings())
    notebooks.update({f"built {p.relative_to(tmp_path)}": json.loads(p.read_text(encoding="utf-8"))
                      for p in sorted((tmp_path / "source").rglob("*.ipynb"))})
    assert sum(1 for name in notebooks if name.startswith("course/")) >= 35
    assert sum(1 for name in notebooks if name.startswith("release/")) >= 3
    shown = [f"{name}, cell {index}: …{context}…" for name, nb in notebooks.items()
             for index, source in _markdown_cells(nb) for context in literal_markers(source)]
    assert shown == [], "Markdown emphasis that does not close (in Chinese, put the punctuation after " \
                        "the closing ** , e.g. **考核结束**。):\n" + "\n".join(shown)


def test_every_bank_and_exam_text_renders_its_emphasis():
    """Prompts, options, explanations, scenarios and rubrics, alone and, when one line, bold (the
    exams show a question's prompt in bold)."""
    shown = [f"{place}: …{context}…" for place, text in _yaml_texts()
             for context in literal_markers(text) + (literal_markers(f"**{text}**") if "\n" not in text else [])]
    assert shown == [], "\n".join(shown)


def test_the_renderer_is_strict_about_chinese_bold():
    """The check can fail: CommonMark does not close ** after "：" when a Chinese letter follows."""
    assert literal_markers("**显示练习题：**请在菜单栏中选择") != []
    assert literal_markers("**本课程已全部学完。**返回") != []
    assert literal_markers("**显示练习题**：请在菜单栏中选择 **运行**，写 `a**b`") == []  # code is left out


# -- full-width punctuation -------------------------------------------------------------------------

def test_chinese_texts_use_full_width_punctuation():
    """The catalogue's Chinese, the Chinese of every bank and exam (pool included), and the prose
    of every Chinese lesson."""
    sources = [*_chinese_catalogue(), *_yaml_texts("zh"), *_chinese_lessons()]
    assert len(sources) > 1000
    shown = [f"{place}: …{context}…" for place, text in sources for context in ascii_punctuation_in_chinese(text)]
    assert shown == [], "ASCII punctuation in Chinese text; use ：（）、，；？！ and “”:\n" + "\n".join(shown)


def test_the_punctuation_check_can_fail_and_allows_code_clauses_and_times():
    assert ascii_punctuation_in_chinese("作答次数: 1") and ascii_punctuation_in_chinese("解析:")
    assert ascii_punctuation_in_chinese("接受 (1)，否决 (2)") and ascii_punctuation_in_chinese('他说："好"')
    assert ascii_punctuation_in_chinese("ISO/IEC 20000-1:2018 条款 7.2、23:10 前，运行 `a, b: c`，见 "
                                        "[首页](../START_HERE.ipynb)，{n} 天") == []


def _plain(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def test_the_widgets_put_chinese_labels_and_values_together_with_full_width_punctuation(store):
    from datetime import date, timedelta

    from iso20k.learner import AssessmentResult, ModuleState, NextStep, TrackSummary, TrainingSummary
    from iso20k.widgets import QuizSession, language_picker, quiz, use_session
    from iso20k.widgets.training import render_summary

    session = use_session(QuizSession(store, "alice", banks_dir=REPO_ROOT / "assessments", language="zh"))
    question = next(q for q in session.catalog.questions.values() if q.scenario is not None and q.type == "scenario")
    widget = quiz(question.full_id, section="## 认证审核")
    widget.input.value = next(o.id for o in question.options if o.id != question.answer)
    widget.check_button.click()
    assert widget.check_button.description == "提交答案"
    shown = {"header": _plain(widget.header.value), "feedback": _plain(widget.feedback.value),
             "attempts": _plain(widget.attempts_label.value),
             "picker": _plain(language_picker(session=session).children[0].value)}
    assert "作答次数：1" in shown["attempts"] and "解析：" in shown["feedback"] and "案例：" in shown["header"]

    today = date.today()
    result = AssessmentResult("all-staff-exam", today, 34.0, 40.0, False, 0.65)
    passed = TrackSummary("all-staff", today + timedelta(days=9), "passed", [], result, NextStep("done", "all-staff"))
    lesson = ModuleState("key-personnel/leadership", {"en": "Leadership", "zh": "领导作用"},
                         "key-personnel/01-leadership", 0, 8, False)
    open_track = TrackSummary("key-personnel", today + timedelta(days=3), "in-progress", [lesson], None,
                              NextStep("module", "key-personnel", module=lesson))
    summary = TrainingSummary("alice", "Alice", today, [passed, open_track])
    chinese, english = _plain(render_summary(summary, "zh")), _plain(render_summary(summary, "en"))
    assert "85%（通过）" in chinese and "85% (passed)" in english  # the same figure in both languages
    # the lesson's link inside the translated sentence, still a link
    assert ("学习课文：<a href='key-personnel/01-leadership.zh.ipynb' target='_self'>领导作用</a>（骨干培训）"
            in render_summary(summary, "zh"))
    shown["my training"] = chinese
    problems = {name: ascii_punctuation_in_chinese(text) for name, text in shown.items()}
    assert {name: found for name, found in problems.items() if found} == {}


# -- language of the lessons' Markdown ------------------------------------------------------------

def test_lesson_markdown_cells_carry_their_language_and_still_render():
    course = REPO_ROOT / "course"
    lessons = sorted(course.glob("*/*.??.ipynb"))
    assert len(lessons) >= 34
    pictures = 0
    for path in lessons:
        lang = html_lang(path.suffixes[-2].lstrip("."))
        for index, source in _markdown_cells(json.loads(path.read_text(encoding="utf-8"))):
            assert source.startswith(f'<div lang="{lang}">\n\n') and source.endswith("\n\n</div>"), \
                f"{path.relative_to(REPO_ROOT)}, cell {index}"
            rendered = MARKDOWN.render(source)
            assert rendered.startswith(f'<div lang="{lang}">\n<') and rendered.rstrip().endswith("</div>")
            assert not re.search(r"^\s*(#|\*\*|- )", _plain(rendered), flags=re.M), (path, index)
            for picture in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', source):
                # a picture is a document of its own: its text needs its own lang
                assert f'<svg xml:lang="{lang}" lang="{lang}" ' in base64.b64decode(picture).decode(), (path, index)
            pictures += source.count("<img ")
    assert pictures >= 20


class _LangOfText(HTMLParser):
    """Each text of an HTML fragment with the ``lang`` of its closest element that has one."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, outer: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = [("", outer)]
        self.texts: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs).get("lang") or self.stack[-1][1]))

    def handle_endtag(self, tag):
        while len(self.stack) > 1:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if data.strip():
            self.texts.append((self.stack[-1][1], data))


def test_every_chinese_word_of_the_course_is_marked_chinese():
    """In every notebook of course/ (the bilingual start page and English lessons quoting Chinese
    terms included), Chinese text sits inside ``lang="zh-Hans"`` when rendered, the way JupyterLab
    shows the page with its English interface (``lang="en"``)."""
    unmarked = []
    for path in sorted((REPO_ROOT / "course").rglob("*.ipynb")):
        for index, source in _markdown_cells(json.loads(path.read_text(encoding="utf-8"))):
            parser = _LangOfText("en")
            parser.feed(MARKDOWN.render(source))
            unmarked += [f"{path.relative_to(REPO_ROOT)}, cell {index}: {text.strip()[:40]!r} in lang={lang}"
                         for lang, text in parser.texts if lang != "zh-Hans" and re.search(f"[{HAN}]", text)]
    assert unmarked == [], "\n".join(unmarked)


def _unmarked_chinese(markdown: str) -> list[str]:
    parser = _LangOfText("en")
    parser.feed(MARKDOWN.render(markdown))
    return [text.strip()[:40] for lang, text in parser.texts if lang != "zh-Hans" and re.search(f"[{HAN}]", text)]


def test_every_chinese_word_of_the_exams_is_marked_chinese():
    """The same in the exam notebooks (source and release, as nbgrader, formgrader and the feedback
    show them) and in every pool item as a learner's form shows it.  The learner's own answer cells
    are theirs: plain text, no markup to meet when they edit it."""
    unmarked, exam_cells = [], 0
    for path in sorted([*(REPO_ROOT / "source").rglob("*.ipynb"), *(REPO_ROOT / "release").rglob("*.ipynb")]):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "markdown" and "nbgrader" in cell.get("metadata", {}):
                exam_cells += 1
                unmarked += [f"{path.relative_to(REPO_ROOT)}: {text!r}" for text in _unmarked_chinese("".join(cell["source"]))]
    assert exam_cells >= 60
    from iso20k.grading.item_pool import load_pools
    from iso20k.grading.source_notebook import _question_markdown

    items = [item for pool in load_pools(REPO_ROOT / "exams") for item in pool.items.values()]
    assert len(items) >= 300
    for item in items:
        unmarked += [f"pool item {item.id}: {text!r}" for text in _unmarked_chinese(_question_markdown(1, item))]
    assert unmarked == [], "\n".join(unmarked[:30])


def test_the_language_check_can_fail():
    assert _unmarked_chinese("**考核结束**。") == ["考核结束"]
    assert _unmarked_chinese('<span lang="zh-Hans">**考核结束**。</span>') == []


# -- wording --------------------------------------------------------------------------------------

#: Wording the review retired, and what the course says instead.
RETIRED = {
    r"判断对错": "判断正误",
    r"检查答案(?!\*?格式)": "提交答案 (the button's name)",
    r"第[一二三四]层|[一二三四]级[：:文]|四级文件": "一阶、二阶、三阶、四阶 (document levels)",
    r"英国政府商务部": "英国政府商务办公室 (OGC)",
    r"案例演练": "流程走查 (walk-through)",
    r"第\d+(\.\d+)*条": "条款 7.2 (clause numbers with spaces)",
}


def test_retired_wording_does_not_come_back():
    code = [(str(p.relative_to(REPO_ROOT)), p.read_text(encoding="utf-8"))
            for p in sorted((REPO_ROOT / "iso20k").rglob("*.py"))]
    sources = [*_chinese_catalogue(), *_yaml_texts("zh"), *_chinese_lessons(), *code]
    shown = [f"{place}: {match.group(0)!r}, write {preferred}" for place, text in sources
             for pattern, preferred in RETIRED.items() for match in re.finditer(pattern, text)]
    assert shown == [], "\n".join(shown)
