"""One question on screen: prompt, answer area, “Check answer”, feedback, attempts."""

from __future__ import annotations

import html

import ipywidgets as w

from ..banks import Question
from .answer_area import LiveRegion
from .inputs import make_input
from .language_mark import carry_language
from ..sections import heading_anchor, heading_text
from .session import QuizSession
from ..texts import N_, t

_CARD = w.Layout(border="1px solid #d0d7de", padding="10px 14px", margin="10px 0", width="100%")
_COLOURS = {True: ("#1a7f37", "#e6f4ea"), False: ("#9a3412", "#fdf0e6"), None: ("#57606a", "#f6f8fa")}


class QuestionWidget(w.VBox):
    """Drive it as a learner would: change ``input``, press ``check_button``, read ``feedback``.

    ``section`` is the heading of the lesson section the question tests: a wrong answer's
    feedback links back to it."""

    def __init__(self, question: Question, session: QuizSession, number: int | None = None,
                 section: str | None = None):
        self.question = question
        self.session = session
        self.number = number
        self.section = heading_text(section) if section else None
        self.header = w.HTML()
        start = session.records.start_order(question.full_id) if question.type == "ordering" else None
        self.input = make_input(question, session.language, session.learner_id, start)
        self.check_button = w.Button(button_style="primary", icon="check",
                                     layout=w.Layout(width="auto", margin="8px 0"))
        self.check_button.on_click(lambda _b: self.check())
        self.attempts_label = w.HTML()
        self.feedback = LiveRegion()
        self.attempts = 0
        self.last_correct: bool | None = None
        #: The explanation the records sent with the last verdict (learners' banks have none).
        self.explanation: dict[str, str] | None = None
        self._feedback_state: tuple | None = None
        self._show_last_answer(session.records.last_answer(question.full_id))
        super().__init__([self.header, self.input,
                          w.HBox([self.check_button, self.attempts_label],
                                 layout=w.Layout(align_items="center", grid_gap="12px")),
                          self.feedback], layout=_CARD)
        self.add_class("iso20k-question")
        carry_language(self, session)
        session.observe(self._on_language, names="language")
        self.relabel(session.language)

    # -- what the learner does ---------------------------------------------------------------
    def select(self, response) -> "QuestionWidget":
        """Set the answer area as if the learner had chosen ``response`` (the bank's answer shape)."""
        self.input.set_response(response)
        return self

    def check(self) -> bool | None:
        """Check the current answer, record it, show feedback.  ``None`` when nothing was chosen."""
        language = self.session.language
        response = self.input.response()
        if response is None:
            hint = (N_("Choose a category for every item first.") if self.question.type == "matching"
                    else N_("Choose an answer first, then press “Check answer”."))
            self._show_feedback(None, hint)
            return None
        try:
            verdict = self.session.records.answer(self.question.full_id, response, language)
        except Exception as exc:  # not judged, not saved: say so instead of guessing a verdict
            self._show_feedback(None, N_("Your answer could not be checked or saved ({error}). Please try again in a "
                                          "moment; if it keeps happening, tell the training office."),
                                f"{type(exc).__name__}: {exc}")
            return None
        correct = verdict.correct
        self.last_correct = correct
        self.explanation = verdict.explanation or (
            {"en": self.question.explanation.en, "zh": self.question.explanation.zh} if self.question.explanation else None)
        self.attempts = verdict.attempt
        self._show_feedback(correct, None)
        self.session.refresh_progress(self.question.module_key)
        return correct

    def _show_last_answer(self, last) -> None:
        """After a reload or in a new kernel: the learner's newest stored answer, selected again,
        with its feedback (the records' word, :meth:`iso20k.records.Records.last_answer`)."""
        if last is None:
            return
        self.attempts = last.attempt
        if not self.input.can_show(last.response):  # a response the question's options no longer fit
            return
        self.input.set_response(last.response)
        self.last_correct = last.correct
        self.explanation = last.explanation
        self._feedback_state = (last.correct, None, None)

    # -- display -------------------------------------------------------------------------
    def _on_language(self, change) -> None:
        self.relabel(change["new"])

    def relabel(self, language: str) -> None:
        q = self.question
        title = t("Question", language) + (f" {self.number}" if self.number else "")
        parts = [f"<div style='color:#57606a;font-size:0.85em'>{html.escape(title)}</div>"]
        if q.scenario is not None:
            parts.append(f"<div style='background:#f6f8fa;border-left:4px solid #0969da;padding:6px 10px;"
                         f"margin:6px 0'><b>{html.escape(t('Case:', language))}</b> "
                         f"{html.escape(q.scenario.get(language))}</div>")
        # The prompt itself is the answer area's group label (its <legend>).
        self.header.value = "".join(parts)
        self.input.relabel(language)
        self.check_button.description = t("Check answer", language)
        self._show_attempts(language)
        if self._feedback_state is not None:
            self._show_feedback(*self._feedback_state)

    def _show_feedback(self, correct: bool | None, message: str | None, error: str | None = None) -> None:
        """The verdict, or (``correct`` None) ``message``: an English text marked for the catalogue."""
        self._feedback_state = (correct, message, error)
        language = self.session.language
        colour, background = _COLOURS[correct]
        if correct is None:
            body = html.escape(t(message, language, **({"error": error} if error else {})))
        else:
            q = self.question
            verdict = t("Correct!", language) if correct else t(
                "Not quite. Read the explanation, change your answer and try again.", language)
            mark = "✔" if correct else "✘"
            why = (f"<b>{html.escape(t('Why:', language))}</b> {html.escape(self.explanation[language])}<br>"
                   if self.explanation else "")
            reference = t("ISO/IEC 20000-1:2018 reference: {clauses}", language, clauses=", ".join(q.clauses))
            body = (f"<b>{mark} {html.escape(verdict)}</b><br>{why}"
                    f"<span style='color:#57606a'>{html.escape(reference)}</span>")
            if not correct and self.section:
                body += "<br>" + self.section_link(language)
        self.feedback.value = (f"<div style='color:{colour};background:{background};"
                               f"padding:8px 10px;border-radius:4px'>{body}</div>")
        self._show_attempts(language)

    def section_link(self, language: str) -> str:
        """A link to the lesson section the question tests (scrolls there in the notebook)."""
        anchor = html.escape(heading_anchor(self.section), quote=True)
        return (f"{html.escape(t('Read this part of the lesson again:', language))} "
                f"<a href='#{anchor}' data-iso20k-section='{anchor}' "
                f"target='_self'>{html.escape(self.section)}</a>")

    def _show_attempts(self, language: str) -> None:
        self.attempts_label.value = (f"<span style='color:#57606a'>"
                                     f"{html.escape(t('Attempts: {n}', language, n=self.attempts))}</span>"
                                     if self.attempts else "")
