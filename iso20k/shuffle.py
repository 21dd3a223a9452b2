"""Option order per learner and question: shuffled, so that answers cannot travel between
colleagues as "B, A, C", and stable, so that a learner sees the same order after a kernel
restart or on another day.  The seed is the learner id and the question id; Python's
``random.Random`` seeds deterministically from a string (SHA-512), whatever PYTHONHASHSEED is."""

from __future__ import annotations

import random
from collections.abc import Sequence


def _rng(learner_id: str, question_id: str, what: str) -> random.Random:
    return random.Random(f"iso20k\x1f{learner_id}\x1f{question_id}\x1f{what}")


def shuffled(ids: Sequence[str], learner_id: str, question_id: str, what: str = "options") -> list[str]:
    """``ids`` in this learner's order for this question (``what`` separates several lists of one
    question, e.g. a matching question's items and categories)."""
    out = list(ids)
    _rng(learner_id, question_id, what).shuffle(out)
    return out


def ordering_start(ids: Sequence[str], answer: Sequence[str], learner_id: str, question_id: str) -> list[str]:
    """The order an ordering question starts in: this learner's shuffle, never already solved."""
    out = list(ids)
    if len(set(out)) < 2:
        return out
    rng = _rng(learner_id, question_id, "ordering")
    rng.shuffle(out)
    while out == list(answer):
        rng.shuffle(out)
    return out
