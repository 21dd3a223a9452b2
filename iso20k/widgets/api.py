"""The calls a course notebook makes.  One line shows a question::

    from iso20k import quiz
    quiz("all-staff/roadmap/q03")
"""

from __future__ import annotations

import html

import ipywidgets as w

from ..settings import LANGUAGES
from .language_mark import carry_language
from .progress import ModuleProgress
from .question import QuestionWidget
from .session import QuizSession, current_session
from ..texts import LANGUAGE_NAMES, html_lang, t


def quiz(question_id: str, *, section: str | None = None, session: QuizSession | None = None) -> QuestionWidget:
    """The question ``track/module/qNN`` as an interactive widget; ``section`` is the heading of
    the lesson section it tests (``iso20k build-course`` fills it in)."""
    session = session or current_session()
    return QuestionWidget(session.catalog.question(question_id), session, section=section)


def quiz_module(module_key: str, *, session: QuizSession | None = None) -> w.VBox:
    """A module's progress bar followed by every one of its questions."""
    session = session or current_session()
    bank = session.catalog.module(module_key)
    return w.VBox([ModuleProgress(module_key, session)] +
                  [QuestionWidget(q, session, number=i) for i, q in enumerate(bank.questions, 1)])


def my_training(*, session: QuizSession | None = None):
    """The learner's own tracks, due dates, modules done and left, results and next step."""
    from .training import MyTraining

    return MyTraining(session or current_session())


def progress(module_key: str, *, session: QuizSession | None = None) -> ModuleProgress:
    """The module-progress bar for ``track/module``."""
    return ModuleProgress(module_key, session or current_session())


def set_language(language: str, *, session: QuizSession | None = None) -> None:
    """Show every quiz in ``'en'`` (English) or ``'zh'`` (简体中文); remembered for next time."""
    (session or current_session()).set_language(language)


def language_picker(*, session: QuizSession | None = None) -> w.HBox:
    """Buttons to switch every quiz between English and 简体中文."""
    session = session or current_session()
    buttons = w.ToggleButtons(options=[(LANGUAGE_NAMES[code], code) for code in LANGUAGES],
                              value=session.language)
    label = w.HTML()

    def show(_=None):
        label.value = f"<b>{html.escape(t('Language:', session.language))}</b>"
        buttons.value = session.language

    buttons.observe(lambda c: session.set_language(c["new"]), names="value")
    session.observe(show, names="language")
    show()
    picker = w.HBox([label, buttons], layout=w.Layout(align_items="center", grid_gap="10px"))
    carry_language(picker, session)
    return picker


def whoami(*, session: QuizSession | None = None) -> w.HTML:
    """A line telling the learner under which id their progress is saved."""
    session = session or current_session()
    out = w.HTML()

    def show(_=None):
        signed_in = t("Your progress is saved as: {learner}", session.language, learner=session.learner_id)
        out.value = f"<span lang='{html_lang(session.language)}' style='color:#57606a'>{html.escape(signed_in)}</span>"

    session.observe(show, names="language")
    show()
    return out
