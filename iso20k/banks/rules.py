"""Checks that need more than one field: answers among options, translations, clauses."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import BankProblem
from .model import Question

_CLAUSE = re.compile(r"^(\d+(\.\d+)*|ISO/IEC [0-9-]+(:\d{4})?( \d+(\.\d+)*)?|GB/T [0-9.-]+)$")


def check_question(q: Question, file: Path, line: int | None, keys_withheld: bool = False) -> list[BankProblem]:
    """Every problem with one question whose fields each parsed on their own.  In a learners'
    copy (``keys_withheld``) the answer and explanation must be absent, not checked."""
    problems: list[BankProblem] = []

    def bad(field: str, message: str, hint: str) -> None:
        problems.append(BankProblem(file, q.id, field, message, hint, line))

    if keys_withheld:
        for name in ("answer", "explanation"):
            if getattr(q, name) is not None:
                bad(name, f"a bank with keys withheld carries '{name}'",
                    "learners' banks are made by 'iso20k learner-banks'; never write keys into them")
    else:
        if q.answer is None:
            bad("answer", "'answer' is missing", "give the correct answer (see docs/question-banks.md for each type)")
        if q.explanation is None:
            bad("explanation", "'explanation' is missing", "explain why the answer is right, in both languages")

    option_ids = [o.id for o in q.options]
    seen: set[str] = set()
    for oid in option_ids:
        if oid in seen:
            bad("options", f"option id '{oid}' is used twice", "give every option its own id")
        seen.add(oid)

    for clause in q.clauses:
        if not _CLAUSE.match(clause):
            bad(
                "clauses",
                f"'{clause}' is not a clause reference",
                "write an ISO/IEC 20000-1 clause number such as '8.6.1', "
                "or another standard such as 'ISO/IEC 17021-1'",
            )

    if q.type == "scenario" and q.scenario is None:
        bad("scenario", "a scenario question has no scenario text", "add scenario: {en: ..., zh: ...}")
    if q.type != "scenario" and q.scenario is not None:
        bad("scenario", f"a {q.type} question cannot have scenario text", "use type: scenario")
    if q.type != "matching" and q.categories:
        bad("categories", f"a {q.type} question cannot have categories", "use type: matching")

    if q.answer is None:
        return problems
    if q.type in ("single", "scenario"):
        if len(option_ids) < 2:
            bad("options", "needs at least two options", "add the wrong options too")
        if not isinstance(q.answer, str) or q.answer not in option_ids:
            bad("answer", f"answer {q.answer!r} is not among the options {option_ids}",
                "set answer to the id of the correct option")
    elif q.type == "multiple":
        if len(option_ids) < 2:
            bad("options", "needs at least two options", "add the wrong options too")
        ans = q.answer if isinstance(q.answer, list) else None
        if not ans:
            bad("answer", "answer must be a non-empty list of option ids",
                "write answer: [a, c] with every correct option")
        else:
            missing = [a for a in ans if a not in option_ids]
            if missing:
                bad("answer", f"answer {missing} is not among the options {option_ids}",
                    "use only ids that appear under options")
            if len(set(map(str, ans))) != len(ans):
                bad("answer", "the answer lists an option twice", "list each correct option once")
    elif q.type == "true_false":
        if q.options:
            bad("options", "a true/false question has no options",
                "remove options; the True/False buttons are added for you")
        if not isinstance(q.answer, bool):
            bad("answer", f"answer {q.answer!r} is not true or false", "write answer: true or answer: false")
    elif q.type == "ordering":
        if len(option_ids) < 3:
            bad("options", "an ordering question needs at least three steps", "add more steps")
        if not isinstance(q.answer, list) or sorted(map(str, q.answer)) != sorted(option_ids):
            bad("answer", "answer must list every option id exactly once, in the right order",
                f"write answer: {option_ids} rearranged into the correct order")
    elif q.type == "matching":
        category_ids = [c.id for c in q.categories]
        if len(category_ids) < 2:
            bad("categories", "a matching question needs at least two categories",
                "add categories: [{id: ..., en: ..., zh: ...}, ...]")
        if len(option_ids) < 2:
            bad("options", "a matching question needs at least two items", "add more items under options")
        if not isinstance(q.answer, dict):
            bad("answer", "answer must map every item id to a category id",
                "write answer: {item-id: category-id, ...}")
        else:
            if sorted(map(str, q.answer)) != sorted(option_ids):
                bad("answer", f"answer covers {sorted(map(str, q.answer))}, not every item {option_ids}",
                    "give exactly one category for every item")
            wrong = sorted({str(v) for v in q.answer.values() if v not in category_ids})
            if wrong:
                bad("answer", f"categories {wrong} are not among {category_ids}",
                    "use only ids that appear under categories")
    return problems
