"""The start page's "My training": the learner's tracks, due dates, modules done and left,
assessment results and the next thing to do, in their language.  It only draws a
:class:`~iso20k.learner.TrainingSummary`; where the summary comes from is ``load``'s business
(by default :func:`iso20k.learner.training_summary` on the kernel's store)."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from ..learner import TrainingSummary, due_step, due_text
from ..texts import language_code, status_label, t
from ..texts.templating import html_parts
from ..tracks import track_title
from .language_mark import carry_language
from .session import QuizSession

def _default_loader(session: QuizSession) -> Callable[[], TrainingSummary]:
    def load() -> TrainingSummary:
        return session.records.training_summary()  # the store, or the hub's records service
    return load


def render_summary(summary: TrainingSummary, language: str) -> str:
    """The summary as HTML in ``language`` (figures also in data- attributes, for checks)."""
    lang = language_code(language)
    # where each track stands against its due date, in the reminders' words ("due in 7 days")
    steps = [due_step(tr.due, tr.status, summary.as_of) for tr in summary.tracks]
    rows = [(tr, track_title(tr.track, lang), "" if step is None else due_text(step, lang),
             status_label(tr.status, lang)) for tr, step in zip(summary.tracks, steps)]
    step = summary.next_step
    next_track = track_title(step.track, lang) if step is not None else ""
    return html_parts("iso20k.widgets", "training.html").summary(summary, lang, rows, next_track)


class MyTraining(w.VBox):
    """The "My training" panel; redraws on a language change and on "Refresh"."""

    def __init__(self, session: QuizSession, load: Callable[[], TrainingSummary] | None = None):
        self.session = session
        self.load = load or _default_loader(session)
        self.html = w.HTML()
        self.refresh_button = w.Button(icon="refresh", layout=w.Layout(width="auto"))
        self.refresh_button.on_click(lambda _b: self.refresh())
        super().__init__([self.html, self.refresh_button], layout=w.Layout(margin="6px 0"))
        self.add_class("iso20k-my-training")
        carry_language(self, session)
        session.observe(lambda _c: self.draw(), names="language")
        self.refresh()

    def refresh(self) -> None:
        self.summary = self.load()
        self.draw()

    def draw(self) -> None:
        language = self.session.language
        self.html.value = render_summary(self.summary, language)
        self.refresh_button.description = t("Refresh", language)
