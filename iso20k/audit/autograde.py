"""``iso20k autograde`` with its grades in the audit trail: the gradebook is read before and after
nbgrader grades, and every changed grade is appended (a first score as 'grade', a changed one as
'regrade') with who ran the grading."""

from __future__ import annotations

from pathlib import Path

from ..grading.config import gradebook_url
from ..store import ProgressStore
from .grades import read_grades, record_changes


def autograde_audited(course: Path, assignment: str, store: ProgressStore | None, actor: str,
                      anchor: Path | None = None, gradebook: str | None = None, trail_url: str | None = None,
                      **options):
    """Run :func:`iso20k.grading.parallel.autograde` and record what it changed.  Returns its summary
    and the trail entries written (on the hub: as the trail writer reported them).  ``gradebook``
    is the course's gradebook URL (default: the settings' for ``course``).  With ``trail_url`` (the
    hub's formgrader, which may not write the store) the changes go to the trail writer with the
    formgrader service's token; the trail then names the service, and ``actor`` only as claimed."""
    from ..grading.parallel import autograde

    url = gradebook or gradebook_url(Path(course).resolve())
    before, _ = read_grades(url, assignment)
    summary = autograde(course, assignment, **options)
    after, stamps = read_grades(url, assignment)
    if trail_url:
        from ..settings import get_settings
        from .grades import submissions_changed
        from .trail_client import send_grades

        submissions = submissions_changed(before, after, stamps)
        settings = get_settings().model_copy(update={"trail_url": trail_url})
        return summary, (send_grades(settings, "autograde", submissions, claimed_by=actor) if submissions else [])
    return summary, record_changes(store, before, after, stamps, actor, "autograde", anchor=anchor)
