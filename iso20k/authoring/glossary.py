"""The bilingual glossary (docs/glossary.md) and the check that lessons use its terms."""

from __future__ import annotations

import re
from pathlib import Path

#: Glossary rows whose alternatives share a word ("Major / minor nonconformity"), or whose
#: English word is also an everyday word, spelled out as (English phrase, Chinese term) pairs.
EXPLICIT_PAIRS = {
    "Major / minor nonconformity": [("major nonconformity", "严重不符合"), ("minor nonconformity", "一般不符合")],
    "Stage 1 / stage 2 audit": [("stage 1", "第一阶段"), ("stage 2", "第二阶段")],
    "Objectives": [("service management objectives", "服务管理目标")],
    "Knowledge": [("organizational knowledge", "知识")],
    "Manual / procedure / work instruction / record": [
        ("manual", "手册"), ("procedure", "程序"), ("work instruction", "作业指导书"), ("record", "记录")],
}

#: Translations that are common elsewhere but not the glossary's; the course must not use them.
WRONG_TERMS = {
    "事故管理": "事件管理 (incident management)",
    "服务水平协议": "服务级别协议 (service level agreement)",
    "服务水平管理": "服务级别管理 (service level management)",
    "持续改善": "持续改进 (continual improvement)",
    "利益相关方": "相关方 (interested party)",
    "形成文件的信息": "成文信息 (documented information)",
    "管理复审": "管理评审 (management review)",
    "内部稽核": "内部审核 (internal audit)",
}


def load_glossary(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] not in ("English", "") and not cells[0].startswith("---"):
            rows.append((cells[0], cells[1]))
    return rows


def term_pairs(glossary: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(English phrase, Chinese term) pairs to check, one per alternative of each row."""
    pairs = []
    for en, zh in glossary:
        if en in EXPLICIT_PAIRS:
            pairs.extend(EXPLICIT_PAIRS[en])
            continue
        en_alts = [a.strip() for a in re.sub(r"\s*\([^)]*\)", "", en).split("/") if a.strip()]
        zh_alts = [a.strip() for a in re.sub(r"（[^）]*）", "", zh).split("/") if a.strip()]
        if len(en_alts) == len(zh_alts):
            pairs.extend(zip(en_alts, zh_alts))
        else:
            pairs.extend((a, "|".join(zh_alts)) for a in en_alts)
    return [(e.lower(), z) for e, z in pairs]


def missing_terms(en_text: str, zh_text: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Glossary terms the English text uses whose Chinese term the Chinese text never uses."""
    en_text = en_text.lower()
    zh_text = re.sub(r"\s+", "", zh_text)
    out = []
    for en, zh in pairs:
        if re.search(r"\b" + re.escape(en) + r"s?\b", en_text):
            if not any(alt.replace(" ", "") in zh_text for alt in zh.split("|")):
                out.append((en, zh))
    return out


def wrong_terms(zh_text: str) -> list[tuple[str, str]]:
    return [(bad, good) for bad, good in WRONG_TERMS.items() if bad in zh_text]
