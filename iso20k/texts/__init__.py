"""The learner's and the manager's texts, in English and Simplified Chinese, through gettext.

The English text is the message id, written where it is shown::

    t("Check answer", language)                        # "提交答案" in Chinese
    t("{done} of {total} questions answered correctly", language, done=3, total=5)
    pt("certificates table", "Track", language)          # the same English, another translation

Texts shown by a code (a status, a role) are marked with :func:`N_` where they are listed and
translated when shown.  The translations are in the gettext catalogue ``locale/zh_CN/LC_MESSAGES/
iso20k.po`` (see :mod:`.catalogue` for the translators' round); the package reads the ``.mo`` the
build compiles from it."""

from __future__ import annotations

import gettext
import io
from functools import cache

#: The course's languages, by the code the settings and the widgets use, and their gettext locale.
LOCALES = {"en": None, "zh": "zh_CN"}  # English is the source: shown as written
LANGUAGE_NAMES = {"en": "English", "zh": "简体中文"}
#: The HTML ``lang`` of each language: "zh-Hans" makes browsers draw Simplified Chinese glyphs
#: (not the Japanese forms they pick for Han text marked ``lang="en"``), whatever the page's language.
HTML_LANGS = {"en": "en", "zh": "zh-Hans"}


def N_(message: str) -> str:
    """Mark ``message`` as a text to translate where it is shown (the catalogue lists it)."""
    return message


def language_code(language: str | None) -> str:
    """The course's language code for ``language`` ("zh" or "en"; anything else is English)."""
    return "zh" if language == "zh" else "en"


def html_lang(language: str | None) -> str:
    """The HTML ``lang`` attribute's value for ``language`` ("zh-Hans" or "en")."""
    return HTML_LANGS[language_code(language)]


def t(message: str, language: str | None, **values: object) -> str:
    """``message`` (its English text) in ``language``, with ``values`` filled in."""
    text = _catalogue(language_code(language)).gettext(message)
    return text.format(**values) if values else text


def pt(context: str, message: str, language: str | None, **values: object) -> str:
    """Like :func:`t`, for an English text translated differently in ``context``."""
    text = _catalogue(language_code(language)).pgettext(context, message)
    return text.format(**values) if values else text


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    from . import catalogue

    locale = LOCALES[language]
    if locale is None:
        return gettext.NullTranslations()
    mo, po = catalogue.mo_file(locale), catalogue.po_file(locale)
    if po.is_file() and (not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime):
        # A checkout whose catalogue changed after it was compiled: compile it here (Babel).
        return gettext.GNUTranslations(io.BytesIO(catalogue.compiled(po)))
    if not mo.is_file():
        raise FileNotFoundError(f"{mo} is missing: the package was built without its compiled texts "
                                f"(the build compiles {po.name} into it: see iso20k/texts/catalogue.py)")
    with mo.open("rb") as f:
        return gettext.GNUTranslations(f)


#: A person's training status on a track (the codes of :mod:`iso20k.results.status`).
STATUS_TEXTS = {
    "passed": N_("Passed"),
    "submitted": N_("Submitted, awaiting grading"),
    "modules-done": N_("Lessons done"),
    "in-progress": N_("In progress"),
    "not-started": N_("Not started"),
    "failed": N_("Failed"),
    "overdue": N_("Overdue"),
}

#: The roster's roles (the codes of :data:`iso20k.roster.roles.ROLE_TRACKS`).
ROLE_TEXTS = {
    "staff": N_("Staff"),
    "manager": N_("Manager"),
    "executive": N_("Executive"),
    "management-representative": N_("Management representative"),
    "working-group": N_("ISO 20000 working group"),
    "document-writer": N_("Document writer"),
}


def status_label(status: str, language: str | None) -> str:
    return t(STATUS_TEXTS[status], language)


def role_label(role: str, language: str | None) -> str:
    """The role's name in ``language`` (a role the course does not know: as written)."""
    return t(ROLE_TEXTS[role], language) if role in ROLE_TEXTS else role


__all__ = ["HTML_LANGS", "LANGUAGE_NAMES", "ROLE_TEXTS", "STATUS_TEXTS", "N_", "html_lang", "language_code", "pt",
           "role_label", "status_label", "t"]
