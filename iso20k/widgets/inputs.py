"""The answer area of each question type.  Each input has ``response()`` (in the shape of the
bank's ``answer``, or ``None`` while incomplete), ``set_response()`` and ``relabel(language)``.

``can_show(value)`` says whether a stored response fits the controls (shown again after a reload).

Every input is an :class:`~.answer_area.AnswerArea` (real radio groups, checkboxes, ordering
buttons and labelled selects; see there).  Options are shown in the learner's own shuffled
order (:mod:`.shuffle`); values are option ids throughout, never positions."""

from __future__ import annotations

from ..banks import Question
from .answer_area import AnswerArea
from .shuffle import ordering_start, shuffled
from ..texts import N_, t

_TRUE_FALSE = {"true": True, "false": False}
_TRUE_FALSE_TEXTS = {"true": N_("True"), "false": N_("False")}
#: What the learner is told to do, by question type.
_HINTS = {
    "single": N_("Choose one answer (arrow keys move between answers)."),
    "multiple": N_("Select all that apply (Space ticks a box)."),
    "true_false": N_("True or false? (arrow keys move between the two)"),
    "ordering": N_("Put the steps in order: use ▲ and ▼ (Tab to reach them, Enter to press)."),
    "matching": N_("Choose the right category for each item."),
    "scenario": N_("Read the case, then choose the best answer."),
}


def _texts(language: str) -> dict[str, str]:
    """The answer area's own words (the front end fills in ``{item}``, ``{position}``, ``{total}``)."""
    return {"move_up": t("Move up", language), "move_down": t("Move down", language),
            "choose": t("— choose —", language),
            "moved": t("“{item}” is now step {position} of {total}.", language)}


class _Input(AnswerArea):
    def __init__(self, question: Question, language: str, learner_id: str = "", **kwargs):
        self.question = question
        self.learner_id = learner_id
        super().__init__(**kwargs)
        self.relabel(language)

    def _relabel_common(self, language: str) -> None:
        self.legend = self.question.prompt.get(language)
        self.hint = t(_HINTS[self.question.type], language)
        self.texts = _texts(language)


class ChoiceInput(_Input):
    """Single choice, scenario and true/false as a radio group; multiple choice as checkboxes."""

    def __init__(self, question: Question, language: str, learner_id: str = ""):
        self.multiple = question.type == "multiple"
        if question.type == "true_false":
            self.option_ids = ["true", "false"]  # always True, then False
        else:
            self.option_ids = shuffled([o.id for o in question.options], learner_id, question.full_id)
        super().__init__(question, language, learner_id, kind="checkbox" if self.multiple else "radio")

    def relabel(self, language: str) -> None:
        self._relabel_common(language)
        if self.question.type == "true_false":
            self.options = [{"id": i, "label": t(_TRUE_FALSE_TEXTS[i], language)} for i in self.option_ids]
        else:
            self.options = [{"id": i, "label": self.question.option(i).get(language)} for i in self.option_ids]

    def response(self):
        if self.multiple:
            chosen = [i for i in (self.value or []) if i in self.option_ids]
            return sorted(chosen) if chosen else None
        if self.value not in self.option_ids:
            return None
        return _TRUE_FALSE[self.value] if self.question.type == "true_false" else self.value

    def can_show(self, value) -> bool:
        """Whether ``value`` (a stored response) is an answer these controls can show."""
        if self.question.type == "true_false":
            return isinstance(value, bool)
        if self.multiple:
            return isinstance(value, list) and bool(value) and all(v in self.option_ids for v in value)
        return isinstance(value, str) and value in self.option_ids

    def set_response(self, value) -> None:
        if self.multiple:
            self.value = sorted(value or [])
        elif isinstance(value, bool):
            self.value = "true" if value else "false"
        else:
            self.value = value


class OrderingInput(_Input):
    """Put steps in order with "Move up" / "Move down" buttons (Tab to reach, Enter or Space)."""

    def __init__(self, question: Question, language: str, learner_id: str = "", start: list[str] | None = None):
        if start is None:
            start = ordering_start([o.id for o in question.options], question.answer or [], learner_id,
                                   question.full_id)
        super().__init__(question, language, learner_id, kind="ordering", value=list(start))

    @property
    def order(self) -> list[str]:
        return list(self.value or [])

    def relabel(self, language: str) -> None:
        self._relabel_common(language)
        self.options = [{"id": o.id, "label": o.get(language)} for o in self.question.options]

    def move(self, index: int, step: int) -> None:
        """Move the step at ``index`` up (-1) or down (+1)."""
        order = self.order
        target = index + step
        if 0 <= target < len(order):
            order[index], order[target] = order[target], order[index]
            self.value = order

    def response(self):
        return self.order

    def can_show(self, value) -> bool:
        return (isinstance(value, list) and all(isinstance(v, str) for v in value)
                and sorted(value) == sorted(o.id for o in self.question.options))

    def set_response(self, value) -> None:
        self.value = list(value)


class MatchingInput(_Input):
    """Pair each item with a category from a labelled drop-down list."""

    def __init__(self, question: Question, language: str, learner_id: str = ""):
        self.items = shuffled([o.id for o in question.options], learner_id, question.full_id, "items")
        self.category_ids = shuffled([c.id for c in question.categories], learner_id, question.full_id,
                                     "categories")
        super().__init__(question, language, learner_id, kind="matching", value={})

    def relabel(self, language: str) -> None:
        self._relabel_common(language)
        names = {c.id: c.get(language) for c in self.question.categories}
        self.options = [{"id": i, "label": self.question.option(i).get(language)} for i in self.items]
        self.categories = [{"id": c, "label": names[c]} for c in self.category_ids]

    def response(self):
        chosen = {k: v for k, v in (self.value or {}).items() if k in self.items and v}
        if len(chosen) < len(self.items):
            return None
        return {item: chosen[item] for item in self.items}

    def can_show(self, value) -> bool:
        return (isinstance(value, dict) and bool(value)
                and all(k in self.items and v in self.category_ids for k, v in value.items()))

    def set_response(self, value) -> None:
        self.value = {k: v for k, v in (value or {}).items() if v}


def make_input(question: Question, language: str, learner_id: str = "", start: list[str] | None = None):
    """The answer area; ``start`` is an ordering question's first order (from the records, which
    know the answer it must not equal)."""
    if question.type == "ordering":
        return OrderingInput(question, language, learner_id, start)
    if question.type == "matching":
        return MatchingInput(question, language, learner_id)
    return ChoiceInput(question, language, learner_id)
