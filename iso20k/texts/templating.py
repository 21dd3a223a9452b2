"""HTML from Jinja2 templates shipped with the package, autoescaped, with the texts' ``t``/``pt``.

A face keeps its templates in its package's ``templates/`` folder and calls their macros::

    page = macros("iso20k.dashboard", "dashboard.html")
    html = str(page.refused(language))

Templates are written on several lines for reading, but the lines are joined with their leading
and trailing whitespace dropped before Jinja reads them (:class:`JoinedLines`): the HTML comes out
as compact as the widgets expect, and a space that matters is written inside a line."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from . import N_, html_lang, pt, t


class JoinedLines(PackageLoader):
    """A package's templates with each line stripped and the lines joined."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        return "".join(line.strip() for line in source.splitlines()), filename, uptodate


@cache
def environment(package: str) -> Environment:
    # auto_reload off: the package's templates do not change while it runs (no stat per use).
    env = Environment(loader=JoinedLines(package, "templates"), autoescape=True, undefined=StrictUndefined,
                      keep_trailing_newline=False, auto_reload=False)
    env.globals.update(t=_t, pt=pt, N_=N_, html_lang=html_lang)
    return env


def _t(message: str, language: str | None, **values: object) -> str:
    """``t`` in a template: a value that is already HTML (a macro's :class:`Markup`, e.g. a link)
    stays HTML inside the translated sentence; the sentence and every other value are escaped."""
    if any(isinstance(value, Markup) for value in values.values()):
        return Markup.escape(t(message, language)).format(**values)
    return t(message, language, **values)


@cache
def macros(package: str, name: str):
    """The macros of template ``name`` of ``package`` (call them; they return :class:`Markup`, to
    pass into other macros as HTML)."""
    return environment(package).get_template(name).module


class _AsText:
    def __init__(self, module):
        self._module = module

    def __getattr__(self, name: str):
        macro = getattr(self._module, name)
        return lambda *args, **kwargs: str(macro(*args, **kwargs))


@cache
def html_parts(package: str, name: str):
    """Like :func:`macros`, but the macros return plain ``str`` (a widget's value)."""
    return _AsText(macros(package, name))


__all__ = ["Markup", "environment", "html_parts", "macros"]
