"""``iso20k autograde`` with its grades in the audit trail: the gradebook is read before and after
nbgrader grades, and every changed grade is appended (a first score as 'grade', a changed one as
'regrade') with who ran the grading."""

from __future__ import annotations

from pathlib import Path

from ..grading.config import gradebook_url
from ..store import ProgressStore
from .chain import write_anchor
from .grades import read_grades, record_changes


def autograde_audited(course: Path, assignment: str, store: ProgressStore, actor: str,
                      anchor: Path | None = None, gradebook: str | None = None, **options):
    """Run :func:`iso20k.grading.parallel.autograde` and record what it changed.  Returns its summary
    and the trail entries written.  ``gradebook`` is the course's gradebook URL (default: the
    settings' for ``course``)."""
    from ..grading.parallel import autograde

    url = gradebook or gradebook_url(Path(course).resolve())
    before, _ = read_grades(url, assignment)
    summary = autograde(course, assignment, **options)
    after, stamps = read_grades(url, assignment)
    written = record_changes(store, before, after, stamps, actor, "autograde")
    if written and anchor is not None:
        write_anchor(anchor, written[-1])
    return summary, written
