"""Answering a learner's own exam form in tests: each answer is chosen by what it should be (right
or wrong), never by a fixed item id, since with per-learner forms (on by default) the answer
cells are slots (``answer_s01``) whose item differs per learner.

``sit`` gives the learner's copy of a released notebook as the fetch would (their form's questions
in the slots, the form in the metadata); ``answer_form`` says what to type in each answer cell of a
learner's notebook and what the answers deserve; ``fill`` (nbgrader_course) types them in::

    nb = sit(release, course, "all-staff-exam", "E900")
    answers = answer_form(nb, course, "all-staff-exam", "mixed")
    submit(course, "all-staff-exam", "E900", fill(nb, answers.texts))
    ... == answers.points

An assessment built without forms (no keyed pool, or ``ISO20K_EXAM_FORMS=0``) is answered by
its exam file's items, so the same helper serves both."""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Union

from iso20k.grading.exam_model import Exam, load_exam
from iso20k.grading.form_notebook import FORM_METADATA, apply_form, read_keyed_pool
from iso20k.grading.forms import LETTERS, draw_form
from iso20k.settings import REPO_ROOT

#: right, wrong, mixed (every other answer right, the first one right), a share right (0..1, seeded),
#: or a rule: answer cell's position (0, 1, ...) -> right or not.
How = Union[str, float, Callable[[int], bool]]

_ANSWER_CELL = re.compile(r'answer_(\w+) = ""')


@dataclass
class Answers:
    texts: dict[str, str]  # answer name (s01, q41, ...) -> what is typed between the quotes
    right: dict[str, bool]  # answer name -> whether that answer is right
    points: float  # what the auto-graded answers deserve
    total: float  # the auto-graded points of the form

    def wrong(self) -> list[str]:
        return [name for name, ok in self.right.items() if not ok]


def sit(release_nb: dict, course: Path, assignment: str, learner: str, attempt: int = 1) -> dict:
    """``learner``'s copy of the released notebook as the fetch gives it (the form of ``attempt``
    in the slots and the metadata, no sitting recorded); the notebook itself without forms."""
    nb = copy.deepcopy(release_nb)
    pool = read_keyed_pool(Path(course), assignment)
    if pool is None:
        return nb
    return apply_form(nb, draw_form(pool, learner, attempt), pool, {})


def _rule(how: How) -> Callable[[int], bool]:
    if callable(how):
        return how
    if how == "right":
        return lambda n: True
    if how == "wrong":
        return lambda n: False
    if how == "mixed":
        return lambda n: n % 2 == 0
    if isinstance(how, (int, float)):
        rng = random.Random(f"form-answers-{how}")
        return lambda n: rng.random() < how
    raise ValueError(f"how: right, wrong, mixed, a share or a rule, not {how!r}")


def _wrong(key: str, letters: str) -> str:
    if len(key) == 1:
        return next(c for c in letters if c != key)
    return key[1:] + key[0]  # an order, turned by one: every step in a wrong place


def answer_form(nb: dict, course: Path, assignment: str, how: How = "right", lower: bool = False,
                exams_dir: Path = REPO_ROOT / "exams") -> Answers:
    """What to type in each answer cell of the learner's notebook ``nb`` so that the answers are
    ``how`` (see :data:`How`), judged from the learner's form (drawn again from the course's keyed
    pool for the learner and attempt the notebook's form names), or, without forms, from the exam
    file in ``exams_dir``; ``lower`` types the letters in lower case."""
    names = [m.group(1) for cell in nb["cells"] if (m := _ANSWER_CELL.match("".join(cell["source"])))]
    keys, points, letters = {}, {}, {}
    pool = read_keyed_pool(Path(course), assignment)
    claimed = (nb.get("metadata") or {}).get(FORM_METADATA)
    exam: Exam = pool.exam if pool is not None else \
        load_exam(Path(exams_dir) / f"{assignment}.yaml").model_copy(update={"blueprint": None})  # built without forms
    if pool is not None and claimed:
        form = draw_form(pool, claimed["learner"], int(claimed["attempt"]))
        keys, points = form.keys(pool), {s.name: exam.blueprint.item_points for s in form.slots}
        letters = {s.name: LETTERS for s in form.slots}
    for item in exam.fixed_items:
        if item.answer and item.kind != "written":
            keys[item.id], points[item.id], letters[item.id] = item.answer, item.points, item.letters
    missing = [n for n in names if n not in keys]
    if missing:
        raise AssertionError(f"no key for answer cell(s) {missing}: a form notebook without its form? (use sit())")
    rule = _rule(how)
    right = {name: bool(rule(n)) for n, name in enumerate(names)}
    texts = {name: keys[name] if right[name] else _wrong(keys[name], letters[name]) for name in names}
    if lower:
        texts = {name: text.lower() for name, text in texts.items()}
    return Answers(texts, right, sum(points[n] for n in names if right[n]), sum(points[n] for n in names))
