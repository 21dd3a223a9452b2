"""Chinese marked as Chinese inside Markdown that mixes both languages.

JupyterLab, formgrader and nbgrader's feedback pages are ``lang="en"`` around a notebook's
Markdown, so browsers draw unmarked Han text with Japanese glyph forms (a centred "：").  Text in
Chinese goes inside an element whose ``lang`` is ``zh-Hans``: a ``<span>`` for words within a line,
a ``<div>`` with blank lines around its Markdown for whole blocks (CommonMark then still renders
the Markdown inside)."""

from __future__ import annotations

from . import html_lang


def zh_inline(text: str) -> str:
    """``text`` (one line, Markdown allowed) marked as Simplified Chinese."""
    return f'<span lang="{html_lang("zh")}">{text}</span>'


def zh_block(markdown: str) -> str:
    """``markdown`` (any number of blocks) marked as Simplified Chinese."""
    return f'<div lang="{html_lang("zh")}">\n\n{markdown.strip()}\n\n</div>'
