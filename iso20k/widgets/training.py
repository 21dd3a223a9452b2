"""The start page's "My training": the learner's tracks, due dates, modules done and left,
assessment results and the next thing to do, in their language.  It only draws a
:class:`~iso20k.learner.TrainingSummary`; where the summary comes from is ``load``'s business
(by default :func:`iso20k.learner.training_summary` on the kernel's store)."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from ..dashboard.i18n import STATUS_LABELS
from ..learner import NextStep, TrainingSummary
from ..tracks import TRACK_TITLES
from .session import QuizSession

TEXT = {
    "title": {"en": "My training", "zh": "我的培训"},
    "not_in_roster": {"en": "You ({learner}) are not in the training roster yet, so only the all-staff track "
                               "is shown. Ask your trainer to add you.",
                      "zh": "您（{learner}）尚未列入培训名单，因此只显示全员培训。请联系培训负责人将您加入。"},
    "track": {"en": "Track", "zh": "培训课程"},
    "due": {"en": "Due", "zh": "截止日期"},
    "no_due": {"en": "no date set", "zh": "未设定"},
    "days_left": {"en": "{n} days left", "zh": "剩余 {n} 天"},
    "days_over": {"en": "{n} days overdue", "zh": "已逾期 {n} 天"},
    "done": {"en": "Modules done", "zh": "已完成模块"},
    "left": {"en": "Modules left", "zh": "剩余模块"},
    "assessment": {"en": "Assessment", "zh": "考核"},
    "status": {"en": "Status", "zh": "状态"},
    "not_taken": {"en": "not taken yet", "zh": "尚未参加"},
    "waiting": {"en": "handed in {day}, awaiting grading", "zh": "已于 {day} 提交，待评分"},
    "score": {"en": "{percent:.0f}% ({verdict})", "zh": "{percent:.0f} 分（{verdict}）"},
    "pass": {"en": "passed", "zh": "通过"},
    "fail": {"en": "not passed", "zh": "未通过"},
    "next": {"en": "Next step", "zh": "下一步"},
    "next_module": {"en": "open the lesson", "zh": "学习课文"},
    "next_assessment": {"en": "all lessons of the {track} are done: take the assessment “{assignment}” "
                                "(Nbgrader ▸ Assignment List)",
                        "zh": "{track}的课文已全部学完：请参加考核“{assignment}”（菜单 Nbgrader ▸ Assignment List）"},
    "next_wait": {"en": "your {track} assessment is being graded; nothing to do for now",
                  "zh": "您的{track}考核正在评分，目前无需操作"},
    "next_retake": {"en": "your {track} assessment was not passed: talk to your trainer about a retake",
                    "zh": "您的{track}考核未通过：请与培训负责人商定补考"},
    "all_done": {"en": "All your training is complete. Well done!", "zh": "您的全部培训均已完成，做得好！"},
    "refresh": {"en": "Refresh", "zh": "刷新"},
}


def _t(key: str, language: str, **values) -> str:
    text = TEXT[key]["zh" if language == "zh" else "en"]
    return text.format(**values) if values else text


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
    lang = "zh" if language == "zh" else "en"
    parts = [f"<section class='iso20k-training' lang='{'zh-CN' if lang == 'zh' else 'en'}' "
             f"data-learner='{html.escape(summary.learner_id, quote=True)}'>",
             f"<h3 style='margin:4px 0 8px'>{html.escape(_t('title', lang))}</h3>"]
    if not summary.in_roster:
        parts.append(f"<p>{html.escape(_t('not_in_roster', lang, learner=summary.learner_id))}</p>")
    step = summary.next_step
    parts.append(f"<p class='iso20k-next' style='font-size:1.05em'><b>{html.escape(_t('next', lang))}:</b> "
                 f"{_next_html(step, lang)}</p>")
    head = "".join(f"<th scope='col' style='text-align:left;padding:4px 10px 4px 0'>{html.escape(_t(k, lang))}</th>"
                   for k in ("track", "due", "done", "left", "assessment", "status"))
    rows = []
    for tr in summary.tracks:
        title = TRACK_TITLES[tr.track][lang]
        if tr.due is None:
            due = html.escape(_t("no_due", lang))
        else:
            days = (tr.due - summary.as_of).days
            due = f"{tr.due.isoformat()}<br><small>" + html.escape(
                _t("days_left", lang, n=days) if days >= 0 else _t("days_over", lang, n=-days)) + "</small>"
        left = [m for m in tr.modules if not m.done]
        left_html = "<br>".join(module_link(m.notebook, m.title[lang], lang) if m.notebook
                                else html.escape(m.title[lang]) for m in left) or "—"
        res = tr.assessment
        if res is None:
            assessment = html.escape(_t("not_taken", lang))
        elif res.passed is None:
            day = res.submitted_on.isoformat() if res.submitted_on else "?"
            assessment = html.escape(_t("waiting", lang, day=day))
        else:
            assessment = html.escape(_t("score", lang, percent=res.percent or 0.0,
                                        verdict=_t("pass" if res.passed else "fail", lang)))
        status = STATUS_LABELS[tr.status][lang]
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
        return html.escape(_t("all_done", lang))
    track = TRACK_TITLES[step.track][lang]
    if step.kind == "module" and step.module is not None:
        title = step.module.title[lang]
        link = module_link(step.module.notebook, title, lang) if step.module.notebook else html.escape(title)
        return f"{html.escape(_t('next_module', lang))}: {link} ({html.escape(track)})"
    key = {"assessment": "next_assessment", "wait": "next_wait", "retake": "next_retake"}[step.kind]
    return html.escape(_t(key, lang, track=track, assignment=step.assignment or ""))


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
        self.refresh_button.description = _t("refresh", language)
