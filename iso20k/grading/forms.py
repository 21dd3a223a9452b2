"""One form per learner: the items a learner's attempt at an assessment draws from the pool by
the blueprint, in which order, with which order of options.

A form is decided by nothing but its seed, a hash of the assessment, the learner and the attempt:
the same learner's same attempt always gets the same form, a retake a new one.  The fetch builds
the learner's notebook from it (:mod:`form_notebook`) and the grader draws it again from the keyed
pool, so nothing the learner can edit decides which items or which key their answers are judged
against.  Slots are numbered ``s01``, ``s02``, ...: the notebook's grade cells are the slots, the
items behind them differ per learner.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass

from .item_pool import Pool

LETTERS = string.ascii_uppercase[:4]


def seed(assignment: str, learner: str, attempt: int) -> int:
    text = f"iso20k-form|{assignment}|{learner.strip().lower()}|{int(attempt)}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def slot_name(number: int) -> str:
    return f"s{number:02d}"


@dataclass(frozen=True)
class Slot:
    name: str  # s01
    item: str  # the pool item's id
    order: str  # the item's options as shown: "CADB" shows its option C first, as A

    def key(self, pool: Pool) -> str:
        """The letter under which this slot shows the item's right option."""
        return LETTERS[self.order.index(pool.items[self.item].answer)]


@dataclass(frozen=True)
class Form:
    assignment: str
    learner: str
    attempt: int
    slots: tuple[Slot, ...]
    pool: str  # the pool's digest it was drawn from

    def keys(self, pool: Pool) -> dict[str, str]:
        return {s.name: s.key(pool) for s in self.slots}

    def as_dict(self) -> dict:
        return {"assignment": self.assignment, "learner": self.learner, "attempt": self.attempt, "pool": self.pool,
                "slots": [{"slot": s.name, "item": s.item, "order": s.order} for s in self.slots]}


def draw_form(pool: Pool, learner: str, attempt: int) -> Form:
    """The form of ``learner``'s ``attempt`` (1, 2, ...) at the pool's assessment."""
    blueprint = pool.exam.blueprint
    if blueprint is None:
        raise ValueError(f"{pool.exam.assignment} has no blueprint: every learner sits the exam file's items")
    rng = random.Random(seed(pool.exam.assignment, learner, attempt))
    chosen: list[str] = []
    for area in blueprint.areas:
        for difficulty, count in blueprint.counts(area).items():
            candidates = pool.candidates(area.id, difficulty)
            if len(candidates) < count:
                raise ValueError(f"{pool.exam.assignment}: area {area.id!r} has {len(candidates)} {difficulty} "
                                 f"item(s), a form needs {count}; run 'iso20k check-banks'")
            chosen += rng.sample(candidates, count)
    rng.shuffle(chosen)
    slots = tuple(Slot(slot_name(n), item, "".join(rng.sample(LETTERS, 4))) for n, item in enumerate(chosen, 1))
    return Form(pool.exam.assignment, learner, attempt, slots, pool.digest())


def shown_item(pool: Pool, slot: Slot):
    """The pool item as the slot shows it: options in the slot's order (with the key moved along
    when the pool is keyed)."""
    item = pool.items[slot.item]
    options = [item.options[LETTERS.index(letter)] for letter in slot.order]
    update = {"options": options, "points": pool.exam.blueprint.item_points}  # what a slot is worth
    if item.answer:
        update["answer"] = slot.key(pool)
    return item.model_copy(update=update)
