"""The exam item pools (``exams/pool/<assignment>/<area>.yaml``): shape, balance and cueing.

Checks what a reviewer would otherwise count by hand: the schema of every item (ids, four
bilingual options, key A-D, difficulty, area), the spread of key letters and difficulties, that the
keyed option is not given away by being the only long one, no "all / none of the above", Chinese
written with full-width punctuation and the glossary's terms, and no pool item that is
near-identical to another pool item, to an item of the fixed exam, or to a formative quiz
question (the rules of :mod:`iso20k.banks.similarity`).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from iso20k.authoring.glossary import load_glossary, missing_terms, term_pairs, wrong_terms
from iso20k.banks import load_catalog
from iso20k.banks.model import Text
from iso20k.banks.similarity import SAME_QUESTION, jaccard, near_duplicates, tokens
from iso20k.settings import REPO_ROOT

POOL = REPO_ROOT / "exams" / "pool"

#: Areas per assignment (docs: session plan / issue 24) and the least number of items per pool.
AREAS = {
    "all-staff-exam": ("scope-terms", "general-sms", "processes", "improvement", "audit"),
    "key-personnel-assessment": ("leadership", "planning", "design", "running", "audit-improvement"),
    "document-writing-assessment": ("system", "manual-policy", "procedures", "work-records", "control"),
}
KEYS = {"id", "kind", "points", "difficulty", "clauses", "scenario", "prompt", "options", "answer", "explanation"}
DIFFICULTIES = ("easy", "medium", "hard")
#: Share of items whose keyed option is strictly the longest (or strictly the shortest), per language, at most.
MAX_LONGEST_KEY = 0.35
ALL_NONE_EN = re.compile(r"\b(all|none|both|neither) of (the )?(above|options|other options|others)\b"
                         r"|^(all|none|both|neither) of (them|these)\W*$", re.I)
ALL_NONE_ZH = re.compile(r"以上(都|皆|均|全)|都不(对|正确)|均不(对|正确)|全部正确")
#: ASCII punctuation a Chinese text must not use (a colon or full stop between ASCII characters,
#: as in "ISO/IEC 20000-1:2018" or "8.6.1", is part of a name or number).
ASCII_PUNCT_ZH = re.compile(r"[,;?!()]|(?<![A-Za-z0-9]):|:(?![0-9])|(?<![0-9])\.|\.(?![0-9])")


def pool_files() -> list[Path]:
    return sorted(POOL.glob("*/*.yaml"))


@lru_cache(maxsize=None)
def load(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def items_of(assignment: str) -> list[tuple[Path, dict]]:
    return [(p, it) for p in pool_files() if p.parent.name == assignment for it in load(p)["items"]]


def where(path: Path, item: dict) -> str:
    return f"{path.relative_to(REPO_ROOT)}, item {item.get('id')!r}"


def texts_of(item: dict) -> list[dict]:
    return [t for t in [item.get("scenario"), item["prompt"], *item["options"], item["explanation"]] if t]


def test_pool_files_sit_in_known_assignments_and_areas():
    assert pool_files(), f"no pool files under {POOL}"
    for path in pool_files():
        assignment, area = path.parent.name, path.stem
        assert assignment in AREAS, f"{path}: unknown assignment folder {assignment!r}; use one of {sorted(AREAS)}"
        assert area in AREAS[assignment], f"{path}: unknown area {area!r}; use one of {AREAS[assignment]}"
        assert (REPO_ROOT / "exams" / f"{assignment}.yaml").is_file(), f"{path}: no exams/{assignment}.yaml"
        raw = load(path)
        assert set(raw) == {"area", "items"}, f"{path}: top level must be exactly 'area' and 'items'"
        assert raw["area"] == area, f"{path}: says area {raw['area']!r}; the file name says {area!r}"


@pytest.mark.parametrize("assignment", sorted(AREAS))
def test_every_item_has_the_schema(assignment):
    seen: dict[str, str] = {}
    for path, item in items_of(assignment):
        at = where(path, item)
        assert set(item) <= KEYS, f"{at}: unknown field(s) {sorted(set(item) - KEYS)}"
        missing = {"id", "kind", "points", "difficulty", "clauses", "prompt", "options", "answer", "explanation"} - set(item)
        assert not missing, f"{at}: missing field(s) {sorted(missing)}"
        assert re.fullmatch(rf"{re.escape(path.stem)}-\d{{3}}", item["id"]), f"{at}: id must be '{path.stem}-NNN'"
        assert item["id"] not in seen, f"{at}: id also used in {seen[item['id']]}"
        seen[item["id"]] = str(path)
        assert item["kind"] == "choice" and item["points"] == 1, f"{at}: must be kind 'choice', points 1"
        assert item["difficulty"] in DIFFICULTIES, f"{at}: difficulty must be one of {DIFFICULTIES}"
        assert item["clauses"] and all(isinstance(c, str) and c.strip() for c in item["clauses"]), \
            f"{at}: clauses must be a non-empty list of clause references"
        assert len(item["options"]) == 4, f"{at}: needs exactly 4 options (A-D)"
        assert item["answer"] in tuple("ABCD"), f"{at}: answer must be one of A, B, C, D"
        for t in texts_of(item):
            Text.model_validate(t)  # en and zh, both non-empty, nothing else
        for lang in ("en", "zh"):
            opts = [o[lang].strip() for o in item["options"]]
            assert len(set(opts)) == 4, f"{at}: two options say the same ({lang})"


@pytest.mark.parametrize("assignment", sorted(AREAS))
def test_key_letters_and_difficulties_are_spread(assignment):
    items = [it for _, it in items_of(assignment)]
    n = len(items)
    if not n:
        pytest.skip(f"no pool for {assignment} yet")
    letters = Counter(it["answer"] for it in items)
    for letter in "ABCD":
        assert abs(letters[letter] - n / 4) <= max(2, 0.05 * n), f"{assignment}: key letters {dict(letters)} of {n}"
    for path in pool_files():
        if path.parent.name == assignment:
            per_file = Counter(it["answer"] for it in load(path)["items"])
            m = len(load(path)["items"])
            assert all(abs(per_file[c] - m / 4) <= 2 for c in "ABCD"), f"{path}: key letters {dict(per_file)}"
    share = Counter(it["difficulty"] for it in items)
    # Aim ~30/50/20; the key-personnel and document-writing blueprints draw 30 % hard, so up to 35 %.
    assert 0.15 <= share["easy"] / n <= 0.4, f"{assignment}: {dict(share)} (aim ~30 % easy)"
    assert 0.4 <= share["medium"] / n <= 0.6, f"{assignment}: {dict(share)} (aim ~50 % medium)"
    assert 0.1 <= share["hard"] / n <= 0.35, f"{assignment}: {dict(share)} (aim ~20 % hard, up to 35 %)"


@pytest.mark.parametrize("assignment", sorted(AREAS))
def test_the_key_is_not_the_only_long_or_short_option(assignment):
    """Length must not give the key away: strictly the longest option, or strictly the shortest (the
    over-correction), each in at most MAX_LONGEST_KEY of the items, per language (chance is ~25 %)."""
    items = items_of(assignment)
    for lang in ("en", "zh"):
        longest, shortest = [], []
        for path, item in items:
            lengths = [len(o[lang]) for o in item["options"]]
            key = "ABCD".index(item["answer"])
            others = [n for i, n in enumerate(lengths) if i != key]
            if all(lengths[key] > n for n in others):
                longest.append(item["id"])
            if all(lengths[key] < n for n in others):
                shortest.append(item["id"])
        for which, ids in (("longest", longest), ("shortest", shortest)):
            assert len(ids) <= MAX_LONGEST_KEY * len(items), (
                f"{assignment} ({lang}): the keyed option is strictly the {which} in {len(ids)} of {len(items)} "
                f"items (at most {MAX_LONGEST_KEY:.0%}); rebalance option lengths in some of: {ids}")


def test_no_all_or_none_of_the_above_and_clean_chinese():
    glossary = term_pairs(load_glossary(REPO_ROOT / "docs" / "glossary.md"))
    for path in pool_files():
        for item in load(path)["items"]:
            at = where(path, item)
            for o in item["options"]:
                assert not ALL_NONE_EN.search(o["en"]), f"{at}: option {o['en']!r} cues the answer"
                assert not ALL_NONE_ZH.search(o["zh"]), f"{at}: option {o['zh']!r} cues the answer"
            for t in texts_of(item):
                zh = t["zh"]
                assert "**" not in zh and "**" not in t["en"], f"{at}: no bold markup in exam texts: {zh!r}"
                bad = ASCII_PUNCT_ZH.search(re.sub(r"[A-Za-z]+/[A-Za-z]+", "", zh))
                assert not bad, f"{at}: Chinese text uses ASCII {bad.group()!r}; write full-width punctuation: {zh!r}"
                assert not wrong_terms(zh), f"{at}: {wrong_terms(zh)} — use the glossary's term"
            en_all = " ".join(t["en"] for t in texts_of(item))
            zh_all = " ".join(t["zh"] for t in texts_of(item))
            missing = missing_terms(en_all, zh_all, glossary)
            assert not missing, f"{at}: English uses glossary terms whose Chinese term is missing: {missing}"


def _prompt_and_key(item: dict, lang: str) -> frozenset[str]:
    text = (item.get("scenario") or {}).get(lang, "") + " " + item["prompt"][lang]
    return tokens(text + " " + item["options"]["ABCD".index(item["answer"])][lang], lang)


@pytest.mark.parametrize("assignment", sorted(AREAS))
def test_no_two_items_are_near_identical(assignment):
    """Pool items against each other and against the fixed exam's choice items."""
    fixed = [it for it in load(REPO_ROOT / "exams" / f"{assignment}.yaml")["items"] if it["kind"] == "choice"]
    pool = [it for _, it in items_of(assignment)]
    for lang in ("en", "zh"):
        toks = [(it["id"], _prompt_and_key(it, lang)) for it in pool]
        others = toks + [(f"exam {it['id']}", _prompt_and_key(it, lang)) for it in fixed]
        for i, (a, ta) in enumerate(toks):
            for b, tb in others[i + 1:]:
                score = jaccard(ta, tb)
                assert score < SAME_QUESTION, f"{assignment} {a} and {b} are near-identical ({lang}, {score:.2f})"


def _as_exam(assignment: str):
    items = []
    for _, it in items_of(assignment):
        items.append(SimpleNamespace(
            id=it["id"], kind="choice", answer=it["answer"], clauses=it["clauses"],
            prompt=Text.model_validate(it["prompt"]),
            scenario=Text.model_validate(it["scenario"]) if it.get("scenario") else None,
            options=[Text.model_validate(o) for o in it["options"]]))
    return SimpleNamespace(assignment=assignment, items=items)


def test_no_pool_item_is_near_identical_to_a_formative_question():
    catalog = load_catalog(REPO_ROOT / "assessments")
    found = near_duplicates(catalog, [_as_exam(a) for a in sorted(AREAS)])
    assert not found, "\n".join(str(d) for d in found)
