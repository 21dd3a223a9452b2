"""The module-progress bar: how much of a module the learner has answered correctly.

It reads the store, so it is right after a kernel restart, and refreshes whenever a question
of its module is checked in the same kernel."""

from __future__ import annotations

import html

import ipywidgets as w

from ..texts import t
from .language_mark import carry_language
from .session import QuizSession


class ModuleProgress(w.VBox):
    def __init__(self, module_key: str, session: QuizSession):
        self.module_key = module_key
        self.session = session
        bank = session.catalog.module(module_key)
        self.title = bank.title
        self.question_ids = [q.full_id for q in bank.questions]
        self.bar = w.IntProgress(min=0, max=len(self.question_ids), value=0,
                                 layout=w.Layout(width="60%"))
        self.label = w.HTML()
        super().__init__([w.HTML(), w.HBox([self.bar, self.label], layout=w.Layout(align_items="center"))],
                         layout=w.Layout(margin="6px 0"))
        self.add_class("iso20k-progress")
        carry_language(self, session)
        session.register_progress(module_key, self)
        session.observe(lambda _c: self.refresh(), names="language")
        self.refresh()

    @property
    def done(self) -> int:
        return self.bar.value

    @property
    def total(self) -> int:
        return self.bar.max

    def refresh(self) -> None:
        track, module = self.module_key.split("/", 1)
        correct = self.session.records.correct_question_ids(track, module)
        done = len(correct & set(self.question_ids))
        language = self.session.language
        self.bar.value = done
        self.bar.bar_style = "success" if done == self.total else "info"
        text = t("{done} of {total} questions answered correctly", language, done=done, total=self.total)
        if done == self.total:
            text += " — " + t("Module complete — well done!", language)
        self.label.value = f"<span style='margin-left:10px'>{html.escape(text)}</span>"
        self.children[0].value = f"<b>{html.escape(self.title.get(language))}</b>"
