"""Read question banks from YAML, check them, and look questions up by id."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..settings import TRACKS, get_settings
from .errors import BankError, BankProblem
from .model import QUESTION_TYPES, Bank, Question
from .rules import check_question

#: Tracks a bank may belong to: the three training tracks, plus the start page's welcome quiz.
BANK_TRACKS = TRACKS + ("start",)
_LINE = "__line__"

_FIELD_HINTS = {
    "en": "add the English text under 'en'",
    "zh": "add the Simplified Chinese text under 'zh' (every learner-facing text needs both)",
    "type": f"use one of: {', '.join(QUESTION_TYPES)}",
    "clauses": "list at least one ISO/IEC 20000-1 clause, e.g. clauses: ['8.5.1']",
    "answer": "give the correct answer (see docs/question-banks.md for each type)",
    "explanation": "explain why the answer is right, in both languages",
    "keys": "leave it out (only learners' copies made by 'iso20k learner-banks' say keys: withheld)",
    "id": "ids use lower-case letters, digits, '-' and '_', e.g. q01",
}


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers on which line every mapping starts."""

    def construct_mapping(self, node, deep=False):  # noqa: D102 - PyYAML hook
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        return mapping


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != _LINE}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _problems_from_validation(exc: ValidationError, raw: dict, path: Path) -> list[BankProblem]:
    problems = []
    for err in exc.errors():
        loc = list(err["loc"])
        question_id, line = None, raw.get(_LINE)
        if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
            questions = raw.get("questions") or []
            if loc[1] < len(questions) and isinstance(questions[loc[1]], dict):
                q = questions[loc[1]]
                question_id = str(q.get("id") or f"#{loc[1] + 1}")
                line = q.get(_LINE, line)
            loc = loc[2:]
        field_name = ".".join(str(p) for p in loc) or None
        last = str(loc[-1]) if loc else ""
        kind = err["type"]
        if kind == "missing":
            message = f"'{last}' is missing"
            if last == "zh":
                message = "the Simplified Chinese translation (zh) is missing"
            elif last == "en":
                message = "the English text (en) is missing"
        elif kind == "literal_error" and last == "type":
            message = f"unknown question type {err.get('input')!r}"
        elif kind == "extra_forbidden":
            message = f"'{last}' is not a field a bank knows"
        else:
            message = err["msg"].removeprefix("Value error, ")
        hint = _FIELD_HINTS.get(last) or (
            "remove it or check its spelling" if kind == "extra_forbidden"
            else "see docs/question-banks.md for the bank format"
        )
        problems.append(BankProblem(path, question_id, field_name, message, hint, line))
    return problems


def parse_bank(path: Path) -> Bank:
    """Load one bank file, raising :class:`BankError` listing every problem in it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BankError([BankProblem(path, None, None, f"not UTF-8 text ({exc.reason})",
                                     "save the file as UTF-8")]) from exc
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise BankError([BankProblem(path, None, None, f"malformed YAML: {problem}",
                                     "check indentation and quoting near that line "
                                     "(a ':' inside text needs quotes)", line)]) from exc
    if not isinstance(raw, dict):
        raise BankError([BankProblem(path, None, None, "the file is not a bank (a mapping with "
                                     "track, module, title and questions)",
                                     "start from an existing bank in assessments/")])

    problems: list[BankProblem] = []
    expected_track, expected_module = path.parent.name, path.stem
    if raw.get("track") != expected_track or raw.get("module") != expected_module:
        problems.append(BankProblem(
            path, None, "track/module",
            f"the file says {raw.get('track')}/{raw.get('module')} but lives at "
            f"{expected_track}/{expected_module}.yaml",
            "name the file assessments/<track>/<module>.yaml after its track and module",
            raw.get(_LINE)))
    if raw.get("track") not in BANK_TRACKS:
        problems.append(BankProblem(path, None, "track", f"unknown track {raw.get('track')!r}",
                                    f"use one of: {', '.join(BANK_TRACKS)}", raw.get(_LINE)))

    seen: dict[str, int | None] = {}
    for q in raw.get("questions") or []:
        if isinstance(q, dict) and q.get("id") is not None:
            qid = str(q["id"])
            if qid in seen:
                problems.append(BankProblem(path, qid, "id", f"duplicate id (first used on line {seen[qid]})",
                                            "give every question in a bank its own id", q.get(_LINE)))
            else:
                seen[qid] = q.get(_LINE)
            for key in ("track", "module"):
                if key in q:
                    problems.append(BankProblem(path, qid, key, f"'{key}' is set by the file, not per question",
                                                "remove it from the question", q.get(_LINE)))
                    q.pop(key)

    try:
        bank = Bank.model_validate(_strip_lines(raw))
    except ValidationError as exc:
        raise BankError(problems + _problems_from_validation(exc, raw, path)) from None

    filled = []
    lines = [q.get(_LINE) if isinstance(q, dict) else None for q in raw["questions"]]
    for q, line in zip(bank.questions, lines):
        q = q.model_copy(update={"track": bank.track, "module": bank.module})
        problems.extend(check_question(q, path, line, keys_withheld=bank.keys == "withheld"))
        filled.append(q)
    if problems:
        raise BankError(problems)
    return bank.model_copy(update={"questions": filled})


@dataclass
class Catalog:
    """Every bank in a folder, with questions looked up by their full id."""

    root: Path
    banks: dict[str, Bank] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)

    @property
    def keyed(self) -> bool:
        """Whether every question carries its answer and explanation (not a learners' copy)."""
        return bool(self.questions) and all(q.keyed for q in self.questions.values())

    def question(self, full_id: str) -> Question:
        try:
            return self.questions[full_id]
        except KeyError:
            raise KeyError(
                f"No question '{full_id}' in the banks under {self.root}. Question ids look like "
                "'all-staff/roadmap/q03' (track/module/question); run 'iso20k check-banks' to list them."
            ) from None

    def module_questions(self) -> dict[str, set[str]]:
        """``track/module`` -> the full ids of its questions (what completes the module)."""
        return {key: {q.full_id for q in bank.questions} for key, bank in self.banks.items()}

    def module(self, module_key: str) -> Bank:
        try:
            return self.banks[module_key]
        except KeyError:
            raise KeyError(f"No module '{module_key}' in the banks under {self.root}. "
                           f"Known modules: {', '.join(sorted(self.banks)) or 'none'}") from None


def bank_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).glob("*/*.yaml") if not p.name.startswith("."))


def load_catalog(root: Path | None = None) -> Catalog:
    """Load and check every bank under ``root``; raise one :class:`BankError` listing all problems."""
    root = Path(root or get_settings().banks_dir)
    if not root.is_dir():
        raise BankError([BankProblem(root, None, None, "the question-bank folder does not exist",
                                     "set ISO20K_BANKS_DIR to the folder holding <track>/<module>.yaml")])
    catalog = Catalog(root)
    problems: list[BankProblem] = []
    for path in bank_files(root):
        try:
            bank = parse_bank(path)
        except BankError as exc:
            problems.extend(exc.problems)
            continue
        catalog.banks[bank.module_key] = bank
        for q in bank.questions:
            catalog.questions[q.full_id] = q
    if problems:
        raise BankError(problems)
    return catalog


def keyed_catalog_if_readable(settings=None) -> Catalog:
    """The banks with the keys when this process can read them (ISO20K_KEYED_BANKS_DIR: the
    training office's commands, e.g. an xAPI export with the correct responses), else the
    learners' copies."""
    import os

    settings = settings or get_settings()
    keyed = settings.keyed_banks_dir
    if keyed is not None and Path(keyed).is_dir() and os.access(keyed, os.R_OK | os.X_OK):
        return load_catalog(keyed)
    return load_catalog(settings.banks_dir)


_cache: dict[Path, tuple[tuple, Catalog]] = {}


def cached_catalog(root: Path | None = None) -> Catalog:
    """:func:`load_catalog`, reloaded only when a bank file changed (cheap for every quiz cell)."""
    root = Path(root or get_settings().banks_dir).resolve()
    stats = [(str(p), p.stat()) for p in bank_files(root)] if root.is_dir() else []
    stamp = tuple((name, st.st_mtime_ns, st.st_size) for name, st in stats)
    hit = _cache.get(root)
    if hit and hit[0] == stamp:
        return hit[1]
    catalog = load_catalog(root)
    _cache[root] = (stamp, catalog)
    return catalog
