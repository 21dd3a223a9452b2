"""What every course module must have, and English/Chinese parity.  Used by
``iso20k build-course`` and by the tests; each problem names the file and what to fix."""

from __future__ import annotations

import re

from ..banks import Catalog
from .diagrams import KINDS, DiagramError, render
from ..sections import heading_text
from .source import ModuleSource
from .terms import review_term_problems

REQUIRED_HEADINGS = {"en": ("Learning objectives", "Summary"), "zh": ("学习目标", "小结")}
EDITION_NOTE = {"en": "> **Since the 2005 edition:**", "zh": "> **2005 版以来的变化：**"}
MIN_QUIZZES, MIN_TYPES, MIN_EN_WORDS = 6, 2, 900
_LATIN_RUN = re.compile(r"(?:\b[A-Za-z][A-Za-z'’-]*\b[ ,]+){5,}[A-Za-z]+")
_STRIP = re.compile(r"`[^`]*`|\[[^\]]*\]\([^)]*\)|<[^>]+>|https?://\S+")


def english_words(text: str) -> int:
    return len(re.findall(r"[A-Za-z][A-Za-z'’-]*", _STRIP.sub(" ", text)))


def untranslated_runs(text: str) -> list[str]:
    """Runs of five or more English words in a Chinese text (names of standards excepted)."""
    cleaned = _STRIP.sub(" ", text)
    return [m.group(0).strip() for m in _LATIN_RUN.finditer(cleaned)]


def _structure(src: ModuleSource) -> list[tuple]:
    out = []
    for block in src.blocks:
        kind = type(block).__name__
        if kind == "Markdown":
            out.extend(("h2",) for line in block.text.splitlines() if line.startswith("## "))
        elif kind == "Quiz":
            out.append(("quiz", block.question_id))
        elif kind == "Diagram":
            spec = block.spec if isinstance(block.spec, dict) else {}
            field = KINDS.get(spec.get("kind"), ("steps",))[0]
            out.append(("diagram", spec.get("kind"), len(spec.get(field) or [])))
    return out


def check_module(src: ModuleSource, catalog: Catalog) -> list[str]:
    """Problems with one language version of one module."""
    where = str(src.path)
    lang = src.language
    problems = []
    expected_track = src.path.parent.name
    if src.track != expected_track:
        problems.append(f"{where}: front matter says track '{src.track}' but the file is in '{expected_track}/'")
    minutes = src.meta.get("minutes")
    if not isinstance(minutes, int) or not 10 <= minutes <= 25:
        problems.append(f"{where}: 'minutes' must be a whole number from 10 to 25, not {minutes!r}")
    headings = src.headings()
    for heading in REQUIRED_HEADINGS[lang]:
        if heading not in headings:
            problems.append(f"{where}: the heading '## {heading}' is missing")
    if EDITION_NOTE[lang] not in src.prose():
        problems.append(f"{where}: no '{EDITION_NOTE[lang]}' note saying what changed since the 2005-era roadmap")
    if not src.diagrams():
        problems.append(f"{where}: no diagram block (```diagram)")
    for d in src.diagrams():
        try:
            render(d.spec)
        except DiagramError as exc:
            problems.append(f"{where}, line {d.line}: diagram: {exc}")
    quizzes = src.quizzes()
    ids = [q.question_id for q in quizzes]
    if len(quizzes) < MIN_QUIZZES:
        problems.append(f"{where}: {len(quizzes)} quiz questions; a module needs at least {MIN_QUIZZES}")
    unknown = [q for q in quizzes if q.question_id not in catalog.questions]
    for q in unknown:
        problems.append(f"{where}, line {q.line}: quiz '{q.question_id}' is not in the question banks")
    types = {catalog.questions[i].type for i in ids if i in catalog.questions}
    if len(types) < MIN_TYPES:
        problems.append(f"{where}: the quizzes use {len(types)} question type(s); use at least {MIN_TYPES}")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        problems.append(f"{where}: quizzes shown more than once: {', '.join(duplicates)}")
    if src.module_key in catalog.banks:
        bank_ids = [q.full_id for q in catalog.banks[src.module_key].questions]
        missing = [i for i in bank_ids if i not in ids]
        if missing:
            problems.append(f"{where}: bank questions never shown: {', '.join(missing)} (add '::: quiz' lines)")
    else:
        problems.append(f"{where}: there is no question bank assessments/{src.track}/{src.module}.yaml")
    if lang == "en" and english_words(src.prose()) < MIN_EN_WORDS:
        problems.append(f"{where}: only {english_words(src.prose())} words of reading; write at least {MIN_EN_WORDS}")
    if lang == "zh":
        for run in untranslated_runs(src.prose())[:3]:
            problems.append(f"{where}: untranslated English: '{run[:60]}'")
    for block in src.blocks:
        if type(block).__name__ == "Markdown" and not block.text.strip():
            problems.append(f"{where}: an empty text cell")
    problems.extend(_section_problems(src))
    problems.extend(f"{where}, {p}" for p in review_term_problems(src.path.read_text(encoding="utf-8"), lang))
    return problems


def _section_problems(src: ModuleSource) -> list[str]:
    """A question links back to the section it stands in (the nearest ## or ### heading above
    its ``::: quiz`` line), so it must stand in a teaching section."""
    problems, heading = [], None
    not_teaching = set(REQUIRED_HEADINGS[src.language])
    for block in src.blocks:
        kind = type(block).__name__
        if kind == "Markdown":
            for line in block.text.splitlines():
                if line.startswith(("## ", "### ")):
                    heading = heading_text(line)
        elif kind == "Quiz" and (heading is None or heading in not_teaching):
            problems.append(f"{src.path}, line {block.line}: quiz '{block.question_id}' stands under "
                            f"{'no heading' if heading is None else repr(heading)}; put it after the section "
                            "that teaches it (its wrong-answer feedback links there)")
    return problems


def check_pair(en: ModuleSource, zh: ModuleSource | None) -> list[str]:
    """English/Chinese parity of one module."""
    if zh is None:
        return [f"{en.path}: the Chinese version {en.path.name.replace('.en.md', '.zh.md')} is missing"]
    problems = []
    for key in ("track", "module", "minutes"):
        if en.meta.get(key) != zh.meta.get(key):
            problems.append(f"{zh.path}: front matter '{key}' is {zh.meta.get(key)!r} but the English "
                            f"version says {en.meta.get(key)!r}")
    a, b = _structure(en), _structure(zh)
    if a != b:
        for index, (x, y) in enumerate(zip(a, b)):
            if x != y:
                problems.append(f"{zh.path}: structure differs from the English version at element "
                                f"{index + 1}: English has {x}, Chinese has {y}")
                break
        else:
            problems.append(f"{zh.path}: the English version has {len(a)} headings/quizzes/diagrams, "
                            f"the Chinese version {len(b)}")
    return problems


def check_course(sources, catalog: Catalog) -> list[str]:
    """Every problem in every module, plus banks no module uses."""
    problems = []
    used = set()
    for pairs in sources.modules.values():
        for en, zh in pairs:
            problems.extend(check_module(en, catalog))
            problems.extend(check_pair(en, zh))
            if zh is not None:
                problems.extend(check_module(zh, catalog))
            used.add(en.module_key)
    if sources.start is not None:
        used.add(sources.start.module_key)
        for q in sources.start.quizzes():
            if q.question_id not in catalog.questions:
                problems.append(f"{sources.start.path}, line {q.line}: quiz '{q.question_id}' is not in the banks")
    for key in sorted(set(catalog.banks) - used):
        problems.append(f"assessments/{key}.yaml: no module in content/ uses this bank")
    return problems
