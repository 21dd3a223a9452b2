"""Diagram rendering: valid SVG, sensible line breaks, clear errors for bad specs."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from iso20k.authoring.diagrams import DiagramError, render, wrap


@pytest.mark.parametrize("spec", [
    {"kind": "flow", "title": "Roadmap", "steps": ["Training", "Diagnosis", "Design"]},
    {"kind": "hierarchy", "title": "文件层次", "levels": ["一阶：手册", "二阶：程序文件", "三阶：作业指导书", "四阶：记录"]},
    {"kind": "timeline", "title": "Editions", "events": [{"when": "2005", "what": "first"}, {"when": "2018", "what": "third"}]},
    {"kind": "cycle", "title": "PDCA", "steps": ["Plan", "Do", "Check", "Act"]},
])
def test_every_kind_renders_well_formed_svg_with_its_text(spec):
    svg = render(spec)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    assert spec["title"] in text
    for item in spec.get("steps") or spec.get("levels") or [e["what"] for e in spec["events"]]:
        assert item.split("：")[-1] in text.replace("\n", "")


def test_long_text_wraps_by_words_and_chinese_by_characters():
    assert wrap("Decide which old documents are obsolete", 150) == ["Decide which old", "documents are", "obsolete"]
    lines = wrap("确定哪些旧文件作废、哪些保留并登记", 100)
    assert len(lines) > 1 and all(len(line) <= 8 for line in lines)


def test_closing_punctuation_never_starts_a_line():
    for text in ("3. 体系诊断（差距分析）", "10. 正式运行（第二版）", "审核、批准、复印、装订。"):
        for width in range(60, 200, 7):
            assert all(line[0] not in "）。、" for line in wrap(text, width))


@pytest.mark.parametrize("spec, words", [
    ({"kind": "mermaid", "title": "x", "steps": ["a", "b"]}, "unknown diagram kind"),
    ({"kind": "flow", "steps": ["a", "b"]}, "has no title"),
    ({"kind": "flow", "title": "x", "steps": ["only one"]}, "2 to 16 entries"),
    ({"kind": "timeline", "title": "x", "events": [{"when": "2005"}, {"when": "2018", "what": "y"}]}, "'when' and 'what'"),
    (["not", "a", "mapping"], "YAML mapping"),
])
def test_bad_specs_say_what_is_wrong(spec, words):
    with pytest.raises(DiagramError, match=words):
        render(spec)
