"""Read a learner's answers from their notebook as data, never by running it.

An answer cell holds one plain literal assignment such as ``answer_q07 = "b"``: the cell is parsed
with :mod:`ast` and only such assignments are taken (the value is the exact ``str`` the learner
typed; lower case, full-width letters and spaces are left for the course's checks to accept).
Nothing in a learner cell is executed.  Anything else there (other statements, imports, function
definitions, a value that is not text between quotes, an answer given again in another cell) is
returned as a finding naming the cell and its first line, and changes no answer.

An item's *answer cell* is the first learner code cell, in notebook order, that assigns its answer
variable; only that cell's assignment counts (as when the notebook is run top to bottom, where the
test after the answer cell sees it).  Added cells therefore cannot change any score.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

ANSWER_NAME = re.compile(r"^answer_[a-z0-9_]+$")
#: Longer cells are not parsed (an answer is a letter or a few letters).
MAX_CELL_CHARS = 20_000
#: Longer texts are not answers.
MAX_ANSWER_CHARS = 200


@dataclass
class AnswerSheet:
    """What a notebook's learner cells say: item variable -> text, and what was ignored."""

    answers: dict[str, str] = field(default_factory=dict)
    answer_cell: dict[str, int] = field(default_factory=dict)  # variable -> 1-based cell number
    findings: list[str] = field(default_factory=list)


def first_line(source: str) -> str:
    """The cell's first line that is not blank, shortened, for reports."""
    for line in source.splitlines():
        if line.strip():
            text = line.strip()
            return text if len(text) <= 60 else text[:57] + "..."
    return ""


class _NotText:
    """The value of an answer assignment that is not a literal (a call, a list, a name...)."""


def _plain_answer(stmt: ast.stmt) -> tuple[str, object] | None:
    """(variable, value) when ``stmt`` is ``answer_x = <something>``: the literal's value, or a
    _NotText instance when the right-hand side is anything but one constant; else None."""
    if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
            and ANSWER_NAME.match(stmt.targets[0].id)):
        return stmt.targets[0].id, stmt.value.value if isinstance(stmt.value, ast.Constant) else _NotText()
    return None


def _is_blank(source: str) -> bool:
    return all(not ln.strip() or ln.strip().startswith("#") for ln in source.splitlines())


def read_answers(cells: list[tuple[int, str]], names: set[str]) -> AnswerSheet:
    """Answers from learner code cells given as (1-based cell number, source), in notebook order.
    ``names`` are the assessment's answer variables; other names are never answers."""
    sheet = AnswerSheet()
    for number, source in cells:
        if _is_blank(source):
            continue
        where = f"cell {number} ({first_line(source)!r})"
        if len(source) > MAX_CELL_CHARS:
            sheet.findings.append(f"{where}: {len(source)} characters, far too long for an answer; not read, never run")
            continue
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", None)
            sheet.findings.append(f"{where}: not valid Python{f' (line {line})' if line else ''}; "
                                  "no answer read from it, never run")
            continue
        problems: list[str] = []
        taken: dict[str, str] = {}
        lines = source.splitlines()
        for stmt in tree.body:
            plain = _plain_answer(stmt)
            code = first_line(lines[stmt.lineno - 1]) if 0 < stmt.lineno <= len(lines) else ""
            if plain is None:
                problems.append(f"line {stmt.lineno} is not an answer ({code!r})")
                continue
            name, value = plain
            if name not in names:
                problems.append(f"line {stmt.lineno} sets {name}, which is no question of this assessment")
            elif isinstance(value, _NotText):
                problems.append(f"line {stmt.lineno}: {name} is not text between quotes ({code!r}); not taken")
            elif not isinstance(value, str):
                problems.append(f"line {stmt.lineno}: {name} is {type(value).__name__}, not text between quotes; "
                                "not taken")
            elif len(value) > MAX_ANSWER_CHARS:
                problems.append(f"line {stmt.lineno}: {name} is {len(value)} characters long; not taken")
            elif name in sheet.answer_cell:
                problems.append(f"line {stmt.lineno} sets {name} again; its answer cell is cell "
                                f"{sheet.answer_cell[name]}, which counts")
            else:
                if name in taken:
                    problems.append(f"line {stmt.lineno} sets {name} a second time in this cell; the last one counts")
                taken[name] = value  # the last assignment in the answer cell, as when it runs
        for name, value in taken.items():
            sheet.answers[name] = value
            sheet.answer_cell[name] = number
        if problems:
            sheet.findings.append(f"{where}: " + "; ".join(problems) + "; ignored, never run")
    return sheet


def template_names(source: str) -> set[str] | None:
    """The answer variables a release notebook's learner code cell offers (``answer_q01 = ""``),
    or None when the cell is anything else (then learners are meant to write code there)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names = set()
    for stmt in tree.body:
        plain = _plain_answer(stmt)
        if plain is None or not isinstance(plain[1], str):
            return None
        names.add(plain[0])
    return names or None
