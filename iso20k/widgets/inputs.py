"""The answer area of each question type.  Each input has ``response()`` (in the shape of the
bank's ``answer``, or ``None`` while incomplete), ``set_response()`` and ``relabel(language)``."""

from __future__ import annotations

import html
import random

import ipywidgets as w

from ..banks import Question
from .i18n import t

_ROW = w.Layout(width="100%", align_items="center")


def _label(text: str) -> w.HTML:
    return w.HTML(f"<span style='line-height:1.4'>{html.escape(text)}</span>",
                  layout=w.Layout(width="100%"))


class ChoiceInput(w.VBox):
    """Single choice, scenario and true/false (one box ticked at a time), or multiple choice."""

    def __init__(self, question: Question, language: str):
        self.question = question
        self.multiple = question.type == "multiple"
        if question.type == "true_false":
            self.values = [True, False]
        else:
            self.values = [o.id for o in question.options]
        self.boxes = [w.Checkbox(value=False, indent=False, layout=w.Layout(width="28px"))
                      for _ in self.values]
        self.labels = [_label("") for _ in self.values]
        for box in self.boxes:
            box.observe(self._one_at_a_time, names="value")
        super().__init__([w.HBox([b, lab], layout=_ROW) for b, lab in zip(self.boxes, self.labels)])
        self.relabel(language)

    def _one_at_a_time(self, change) -> None:
        if self.multiple or not change["new"]:
            return
        for box in self.boxes:
            if box is not change["owner"] and box.value:
                box.value = False

    def relabel(self, language: str) -> None:
        for value, label in zip(self.values, self.labels):
            if isinstance(value, bool):
                text = t("true" if value else "false", language)
            else:
                text = self.question.option(value).get(language)
            label.value = f"<span style='line-height:1.4'>{html.escape(text)}</span>"

    def response(self):
        chosen = [v for v, b in zip(self.values, self.boxes) if b.value]
        if self.multiple:
            return sorted(chosen) if chosen else None
        return chosen[0] if chosen else None

    def set_response(self, value) -> None:
        wanted = set(value) if self.multiple else {value}
        for v, box in zip(self.values, self.boxes):
            box.value = v in wanted


class OrderingInput(w.VBox):
    """Put steps in order with ▲/▼ buttons (reachable with Tab, pressed with Enter or Space)."""

    def __init__(self, question: Question, language: str):
        self.question = question
        order = [o.id for o in question.options]
        rng = random.Random(question.full_id)  # the same start order every time for a question
        while order == list(question.answer):
            rng.shuffle(order)
        self.order = order
        self.language = language
        super().__init__()
        self._render()

    def _render(self) -> None:
        rows = []
        for index, option_id in enumerate(self.order):
            up = w.Button(description="▲", tooltip=t("move_up", self.language),
                          disabled=index == 0, layout=w.Layout(width="40px"))
            down = w.Button(description="▼", tooltip=t("move_down", self.language),
                            disabled=index == len(self.order) - 1, layout=w.Layout(width="40px"))
            up.on_click(lambda _b, i=index: self.move(i, -1))
            down.on_click(lambda _b, i=index: self.move(i, +1))
            text = self.question.option(option_id).get(self.language)
            rows.append(w.HBox([w.HTML(f"<b>{index + 1}.</b>", layout=w.Layout(width="28px")),
                                _label(text), up, down], layout=_ROW))
        self.children = rows

    def move(self, index: int, step: int) -> None:
        """Move the step at ``index`` up (-1) or down (+1)."""
        target = index + step
        if 0 <= target < len(self.order):
            self.order[index], self.order[target] = self.order[target], self.order[index]
            self._render()

    def relabel(self, language: str) -> None:
        self.language = language
        self._render()

    def response(self):
        return list(self.order)

    def set_response(self, value) -> None:
        self.order = list(value)
        self._render()


class MatchingInput(w.VBox):
    """Pair each item with a category from a drop-down list."""

    def __init__(self, question: Question, language: str):
        self.question = question
        self.items = [o.id for o in question.options]
        self.dropdowns = [w.Dropdown(options=[], value=None, layout=w.Layout(width="45%"))
                          for _ in self.items]
        self.labels = [_label("") for _ in self.items]
        super().__init__([w.HBox([lab, dd], layout=_ROW) for lab, dd in zip(self.labels, self.dropdowns)])
        self.relabel(language)

    def relabel(self, language: str) -> None:
        choices = [(t("choose", language), None)] + [(c.get(language), c.id) for c in self.question.categories]
        for item, label, dd in zip(self.items, self.labels, self.dropdowns):
            keep = dd.value
            dd.options = choices
            dd.value = keep
            label.value = f"<span style='line-height:1.4'>{html.escape(self.question.option(item).get(language))}</span>"

    def response(self):
        if any(dd.value is None for dd in self.dropdowns):
            return None
        return {item: dd.value for item, dd in zip(self.items, self.dropdowns)}

    def set_response(self, value) -> None:
        for item, dd in zip(self.items, self.dropdowns):
            dd.value = value.get(item)


def make_input(question: Question, language: str):
    if question.type == "ordering":
        return OrderingInput(question, language)
    if question.type == "matching":
        return MatchingInput(question, language)
    return ChoiceInput(question, language)
