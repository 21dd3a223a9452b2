"""The start page's "My training": the learner's tracks, due dates, modules done and left,
assessment results and the next thing to do, in their language.  It only draws a
:class:`~iso20k.learner.TrainingSummary`; where the summary comes from is ``load``'s business
(by default :func:`iso20k.learner.training_summary` on the kernel's store)."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from ..learner import NextStep, TrainingSummary
from ..texts import language_code, status_label, t
from ..tracks import track_title
from .session import QuizSession

def _default_loader(session: QuizSession) -> Callable[[], TrainingSummary]:
    def load() -> TrainingSummary:
        return session.records.training_summary()  # the store, or the hub's records service
    return load


def module_link(notebook: str, title: str, language: str) -> str:
    """A link to a lesson, relative to the start page (course/START_HERE.ipynb)."""
    href = html.escape(f"{notebook}.{language}.ipynb", quote=True)
    return f"<a href='{href}' target='_self'>{html.escape(title)}</a>"


def render_summary(summary: TrainingSummary, language: str) -> str:
    """The summary as HTML in ``language`` (figures also in data- attributes, for checks)."""
    lang = language_code(language)
    parts = [f"<section class='iso20k-training' lang='{'zh-CN' if lang == 'zh' else 'en'}' "
             f"data-learner='{html.escape(summary.learner_id, quote=True)}'>",
             f"<h3 style='margin:4px 0 8px'>{html.escape(t('My training', lang))}</h3>"]
    if not summary.in_roster:
        not_in_roster = t("You ({learner}) are not in the training roster yet, so only the all-staff track is shown. "
                          "Ask your trainer to add you.", lang, learner=summary.learner_id)
        parts.append(f"<p>{html.escape(not_in_roster)}</p>")
    step = summary.next_step
    parts.append(f"<p class='iso20k-next' style='font-size:1.05em'><b>{html.escape(t('Next step', lang))}:</b> "
                 f"{_next_html(step, lang)}</p>")
    head = "".join(f"<th scope='col' style='text-align:left;padding:4px 10px 4px 0'>{html.escape(k)}</th>"
                   for k in (t("Track", lang), t("Due", lang), t("Modules done", lang), t("Modules left", lang),
                             t("Assessment", lang), t("Status", lang)))
    rows = []
    for tr in summary.tracks:
        title = track_title(tr.track, lang)
        if tr.due is None:
            due = html.escape(t("no date set", lang))
        else:
            days = (tr.due - summary.as_of).days
            due = f"{tr.due.isoformat()}<br><small>" + html.escape(
                t("{n} days left", lang, n=days) if days >= 0 else t("{n} days overdue", lang, n=-days)) + "</small>"
        left = [m for m in tr.modules if not m.done]
        left_html = "<br>".join(module_link(m.notebook, m.title[lang], lang) if m.notebook
                                else html.escape(m.title[lang]) for m in left) or "—"
        res = tr.assessment
        if res is None:
            assessment = html.escape(t("not taken yet", lang))
        elif res.passed is None:
            day = res.submitted_on.isoformat() if res.submitted_on else "?"
            assessment = html.escape(t("handed in {day}, awaiting grading", lang, day=day))
        else:
            assessment = html.escape(t("{percent:.0f}% ({verdict})", lang, percent=res.percent or 0.0,
                                        verdict=t("passed", lang) if res.passed else t("not passed", lang)))
        status = status_label(tr.status, lang)
        cell = "style='vertical-align:top;padding:4px 10px 4px 0'"
        rows.append(f"<tr data-track='{tr.track}' data-done='{tr.modules_done}' data-left='{tr.modules_left}' "
                    f"data-total='{len(tr.modules)}' data-status='{tr.status}'>"
                    f"<th scope='row' {cell}>{html.escape(title)}</th><td {cell}>{due}</td>"
                    f"<td {cell}>{tr.modules_done} / {len(tr.modules)}</td><td {cell}>{left_html}</td>"
                    f"<td {cell}>{assessment}</td><td {cell}>{html.escape(status)}</td></tr>")
    parts.append(f"<table style='border-collapse:collapse'><thead><tr>{head}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table></section>")
    return "".join(parts)


def _next_html(step: NextStep | None, lang: str) -> str:
    if step is None:
        return html.escape(t("All your training is complete. Well done!", lang))
    track = track_title(step.track, lang)
    if step.kind == "module" and step.module is not None:
        title = step.module.title[lang]
        link = module_link(step.module.notebook, title, lang) if step.module.notebook else html.escape(title)
        return f"{html.escape(t('open the lesson', lang))}: {link} ({html.escape(track)})"
    if step.kind == "assessment":
        text = t("all lessons of the {track} are done: take the assessment “{assignment}” (Nbgrader ▸ Assignment List)",
                 lang, track=track, assignment=step.assignment or "")
    elif step.kind == "wait":
        text = t("your {track} assessment is being graded; nothing to do for now", lang, track=track)
    else:  # retake
        text = t("your {track} assessment was not passed: talk to your trainer about a retake", lang, track=track)
    return html.escape(text)


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
        session.observe(lambda _c: self.draw(), names="language")
        self.refresh()

    def refresh(self) -> None:
        self.summary = self.load()
        self.draw()

    def draw(self) -> None:
        language = self.session.language
        self.html.value = render_summary(self.summary, language)
        self.refresh_button.description = t("Refresh", language)
