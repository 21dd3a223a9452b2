"""The language of a widget's text, as the browser needs it: ``lang="zh-Hans"`` on the widget's
outer box, so Chinese is drawn with Simplified Chinese glyphs whatever JupyterLab's own language
(the page says ``lang="en"`` with JupyterLab's English menus, and Chromium then draws Han text
with Japanese glyph forms, e.g. a centred "：").

ipywidgets gives a box CSS classes (``add_class``) but no other attribute, so a hidden
:class:`LanguageMark` (anywidget: a plain ES module shipped with the package) sits in the box and
writes its ``lang`` onto the closest element marked with :data:`SCOPE_CLASS`."""

from __future__ import annotations

import anywidget
import ipywidgets as w
import traitlets

from ..texts import html_lang
from .answer_area import _asset

#: The class of a box whose ``lang`` attribute a :class:`LanguageMark` inside it sets.
SCOPE_CLASS = "iso20k-lang-scope"


class LanguageMark(anywidget.AnyWidget):
    """Invisible; sets ``lang`` on the closest ``.iso20k-lang-scope`` around it."""

    _esm = _asset("lang.js")

    lang = traitlets.Unicode("en").tag(sync=True)


def carry_language(box: w.Box, session) -> LanguageMark:
    """Give ``box`` the HTML ``lang`` of the session's language, now and after every change."""
    mark = LanguageMark(lang=html_lang(session.language))
    box.add_class(SCOPE_CLASS)
    box.children = (*box.children, mark)
    session.observe(lambda change: setattr(mark, "lang", html_lang(change["new"])), names="language")
    return mark
