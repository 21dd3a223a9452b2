"""Two small front-end widgets (anywidget: plain ES modules shipped with the package, nothing
fetched at run time) that plain ipywidgets cannot provide accessibly:

- :class:`AnswerArea` draws a question's answer controls as real form controls: a labelled radio
  group (``<fieldset role="radiogroup">`` + ``<legend>``) for one answer, checkboxes for several,
  "Move up"/"Move down" buttons for ordering, labelled ``<select>`` lists for matching; every one
  operable with the keyboard alone and with a visible focus ring.
- :class:`LiveRegion` holds the feedback in a ``role="status"`` region that stays in the page, so
  screen readers announce each new verdict.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

_STATIC = Path(__file__).with_name("static")


def _asset(name: str) -> str:
    return (_STATIC / name).read_text(encoding="utf-8")


class AnswerArea(anywidget.AnyWidget):
    """``value`` is in option ids: one id (radio), a list of ids (checkbox, ordering) or an
    item-id -> category-id mapping (matching); ``None`` while nothing is chosen."""

    _esm = _asset("answer.js")
    _css = _asset("quiz.css")

    kind = traitlets.Unicode("radio").tag(sync=True)  # radio | checkbox | ordering | matching
    legend = traitlets.Unicode("").tag(sync=True)  # the group label: the question's prompt
    hint = traitlets.Unicode("").tag(sync=True)
    options = traitlets.List(traitlets.Dict()).tag(sync=True)  # [{id, label}] in display order
    categories = traitlets.List(traitlets.Dict()).tag(sync=True)  # matching only
    texts = traitlets.Dict().tag(sync=True)  # button names, "choose", the move announcement
    value = traitlets.Any(None, allow_none=True).tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)


class LiveRegion(anywidget.AnyWidget):
    """HTML in ``value``, announced politely whenever it changes."""

    _esm = _asset("live.js")
    _css = _asset("quiz.css")

    value = traitlets.Unicode("").tag(sync=True)
