"""``iso20k autograde`` with its grades in the audit trail: the gradebook is read before and after
nbgrader grades, and every changed grade is appended (a first score as 'grade', a changed one as
'regrade') with who ran the grading.  With the settings given, the certificates the new grades
complete are issued in the same workflow (:func:`autograde_certified`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..grading.config import gradebook_url
from ..settings import Settings
from ..store import ProgressStore
from .grades import read_grades, record_changes, submissions_changed


def _autograde(course: Path, assignment: str, store: ProgressStore | None, actor: str, anchor: Path | None,
               gradebook: str | None, trail_url: str | None, **options):
    """The summary, the changed submissions, and the trail entries written."""
    from ..grading.parallel import autograde

    url = gradebook or gradebook_url(Path(course).resolve())
    before, _ = read_grades(url, assignment)
    summary = autograde(course, assignment, **options)
    after, stamps = read_grades(url, assignment)
    submissions = submissions_changed(before, after, stamps)
    if trail_url:
        from ..settings import get_settings
        from .trail_client import send_grades

        settings = get_settings().model_copy(update={"trail_url": trail_url})
        return summary, submissions, (send_grades(settings, "autograde", submissions, claimed_by=actor)
                                      if submissions else [])
    written = record_changes(store, before, after, stamps, actor, "autograde", anchor=anchor)
    return summary, submissions, written


def autograde_audited(course: Path, assignment: str, store: ProgressStore | None, actor: str,
                      anchor: Path | None = None, gradebook: str | None = None, trail_url: str | None = None,
                      **options):
    """Run :func:`iso20k.grading.parallel.autograde` and record what it changed.  Returns its summary
    and the trail entries written (on the hub: as the trail writer reported them).  ``gradebook``
    is the course's gradebook URL (default: the settings' for ``course``).  With ``trail_url`` (the
    hub's formgrader, which may not write the store) the changes go to the trail writer with the
    formgrader service's token; the trail then names the service, and ``actor`` only as claimed."""
    summary, _submissions, written = _autograde(course, assignment, store, actor, anchor, gradebook, trail_url,
                                                **options)
    return summary, written


@dataclass
class Certified:
    """What ``iso20k autograde`` did: nbgrader's summary, the trail entries of the changed grades,
    the certificates those grades completed (codes; on the hub as the trail writer reported them),
    and why certificates could not be issued, if they could not (the grades stay saved)."""

    summary: object
    entries: list
    certificates: list[dict] = field(default_factory=list)
    certificate_problem: str | None = None


def autograde_certified(settings: Settings, course: Path, assignment: str, store: ProgressStore | None,
                        actor: str, anchor: Path | None = None, gradebook: str | None = None, **options) -> Certified:
    """:func:`autograde_audited`, then the certificates its grades complete (the learners whose
    grades changed, in the assessment's track): on one machine issued in this process; on the hub (``settings.trail_url``) by
    the trail writer, which reads the record itself.  A failure to issue is reported, never undoes
    the grades: ``iso20k certificates issue`` catches up."""
    summary, submissions, written = _autograde(course, assignment, store, actor, anchor, gradebook,
                                               settings.trail_url or None, **options)
    from ..certificates.workflow import graded

    result = Certified(summary, written)
    students, tracks = graded(submissions)
    if not students or not tracks:
        return result
    try:
        if settings.trail_url:
            from .trail_client import request_certificates

            result.certificates = request_certificates(settings, students, tracks, claimed_by=actor)
        else:
            from ..certificates.workflow import issue_for

            result.certificates = [_shown(c) for c in issue_for(store, settings, actor, students, anchor=anchor,
                                                                tracks=tracks)]
    except Exception as exc:  # noqa: BLE001 - the grades are saved; the catch-up command issues later
        result.certificate_problem = f"{type(exc).__name__}: {exc}"
    return result


def _shown(cert) -> dict:
    return {"code": cert.code, "employee_id": cert.employee_id, "track": cert.track,
            "valid_until": cert.valid_until.isoformat()}
