"""Authoring: build the learner notebooks in ``course/`` from the sources in ``content/``."""

from .build import CourseSources, build_course, load_sources, planned_notebooks, toc_markdown
from .checks import check_course, check_module, check_pair, untranslated_runs
from .diagrams import DiagramError, render
from .source import ModuleSource, SourceError, parse_source

__all__ = [
    "CourseSources", "DiagramError", "ModuleSource", "SourceError", "build_course", "check_course",
    "check_module", "check_pair", "load_sources", "parse_source", "planned_notebooks", "render",
    "toc_markdown", "untranslated_runs",
]
