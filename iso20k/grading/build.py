"""Build ``source/<assignment>/<assignment>.ipynb`` from ``exams/<assignment>.yaml``."""

from __future__ import annotations

from pathlib import Path

import nbformat

from ..settings import Settings
from ..tracks import TRACK_OF_ASSESSMENT
from .exam_model import ExamError, load_exams
from .source_notebook import build_source_notebook


def build_sources(exams_dir: Path, source_dir: Path, settings: Settings, check_only: bool = False) -> list[Path]:
    """Write (or, with ``check_only``, list) the source notebooks that differ from the definitions."""
    changed = []
    for exam in load_exams(exams_dir):
        track = TRACK_OF_ASSESSMENT.get(exam.assignment)
        if track is None:
            raise ExamError(f"{exams_dir / (exam.assignment + '.yaml')}: unknown assignment {exam.assignment!r}; "
                            f"use one of {', '.join(TRACK_OF_ASSESSMENT)}")
        text = nbformat.writes(build_source_notebook(exam, settings.pass_mark(track)), version=4) + "\n"
        rel = Path(exam.assignment) / f"{exam.assignment}.ipynb"
        target = Path(source_dir) / rel
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed.append(rel)
            if not check_only:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    return changed
