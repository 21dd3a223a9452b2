"""Certificates follow from the record: issue what a pass has earned, in the same workflow as the
grade that completed it.

One function, :func:`issue_for`, decides and issues, for some learners or for everyone; every
place that can complete a pass calls it:

- ``iso20k autograde`` on one machine (no trail writer), in its own process, after the grades
  are in the gradebook and the trail;
- a grade given by hand in formgrader on one machine, in formgrader's process, once the gradebook
  committed it (:mod:`iso20k.audit.formgrader_hook`);
- on the hub, the records service (the trail writer; the grader account may not write the
  progress store), when the formgrader or ``iso20k autograde`` asks it to after a grade
  (``POST api/trail/certificates``): it reads the record itself, the gradebook read-only, and
  issues only what the record shows was earned, so whoever asks can cause nothing else;
- ``iso20k demo``, for the demo company's passes;
- ``iso20k certificates issue``, the catch-up for everyone (a failed issue after a grade, a
  refresher due to a changed setting).

Issuing is idempotent: a pass that already has its certificate issues nothing, and two workers
racing for the same pass issue one certificate (the store's unique (employee, track, pass day)
constraint decides; the loser's transaction, trail entry included, is rolled back and it issues
nothing).  Each certificate is appended to the audit trail in the same transaction as the
certificate itself, and the store moves the trail's anchor after each commit."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from ..settings import Settings
from ..store import ProgressStore
from .eligibility import Pass, passes
from .model import Certificate

log = logging.getLogger(__name__)


#: Up to this many learners named, the record is read learner by learner (the one-learner path);
#: more, and the company's record is read once.
LEARNER_PATH_LIMIT = 50


def company_record(settings: Settings, learners: Iterable[str] | None = None, store: ProgressStore | None = None):
    """The record eligibility is decided on, read-only: the company's, or, when a few
    ``learners`` are named (nbgrader's student ids or employee ids, in any case), only theirs
    through the one-learner path, so a grade or a lesson costs the same in a company of 10,000."""
    from ..competence.records import lesson_modules, load_records

    if learners is None or store is None or len(set(learners)) > LEARNER_PATH_LIMIT:
        return load_records(settings)
    from ..results import locate_course, read_learners
    from ..results.rules import id_in_roster
    from ..store.roster import employee_ids
    from ..tracks import TRACKS

    roster_id = id_in_roster(employee_ids(store))
    course = locate_course(settings)
    return read_learners(store.engine, [roster_id(name) for name in learners], modules=lesson_modules(settings),
                         pass_marks={t: settings.pass_mark(t) for t in TRACKS}, gradebook_url=course.db_url,
                         course_root=course.root, zone=settings.zone())


def graded(submissions: list[dict]) -> tuple[list[str], list[str]]:
    """The students and the tracks of grade changes (:func:`iso20k.audit.grades.submissions_changed`
    items; removed grades complete nothing)."""
    from ..tracks import TRACK_OF_ASSESSMENT

    kept = [s for s in submissions if not s.get("removed")]
    return (sorted({s["student"] for s in kept}),
            sorted({TRACK_OF_ASSESSMENT[s["assignment"]] for s in kept if s["assignment"] in TRACK_OF_ASSESSMENT}))


def today(settings: Settings) -> date:
    """Today in the configured time zone (the day a pass is judged on)."""
    return datetime.now(settings.zone()).date()


def due(store: ProgressStore, record, as_of: date, learners: Iterable[str] | None = None,
        tracks: Iterable[str] | None = None) -> list[Pass]:
    """The passes of ``learners`` (all when None; nbgrader's student ids or employee ids, in any
    case) in ``tracks`` (all when None) on or before ``as_of`` that have no certificate yet (a
    refresher pass, later than the certificate on record, is due again)."""
    from ..results.rules import id_in_roster
    from .registry import certificates

    found = passes(record, as_of)
    if tracks is not None:
        found = [p for p in found if p.track in set(tracks)]
    if learners is not None:
        roster_id = id_in_roster(p.employee_id for p in record.people)
        wanted = {roster_id(name) for name in learners}
        found = [p for p in found if p.employee_id in wanted]
        if not found:
            return []
    have: dict[tuple[str, str], date] = {}
    for cert in certificates(store):
        key = (cert.employee_id, cert.track)
        have[key] = max(have.get(key, cert.passed_on), cert.passed_on)
    return [p for p in found if (p.employee_id, p.track) not in have or p.passed_on > have[(p.employee_id, p.track)]]


def issue_passes(store: ProgressStore, settings: Settings, todo: list[Pass], actor: str,
                 now: datetime | None = None) -> list[Certificate]:
    """Issue one certificate for each pass in ``todo``; a pass another worker issued meanwhile is
    skipped.  One font subset is cut for the whole batch."""
    return [cert for cert, _entry in _issue(store, settings, todo, actor, now)]


def _issue(store: ProgressStore, settings: Settings, todo: list[Pass], actor: str, now: datetime | None,
           anchor: Path | None = None):
    from .fonts import prepare_subset
    from .pdf import FIXED_TEXT
    from .registry import AlreadyIssued, issue

    issued = []
    if not todo:
        return issued
    with tempfile.TemporaryDirectory(prefix="iso20k-font-") as folder:
        text = FIXED_TEXT + "".join(p.name + p.department + p.employee_id for p in todo) + \
            settings.company_name + settings.company_name_zh + settings.verify_url
        font = prepare_subset(settings.certificate_font, text, Path(folder))
        for p in todo:
            try:
                cert, entry = issue(store, settings, employee_id=p.employee_id, employee_name=p.name,
                                department=p.department, track=p.track, score=p.score, max_score=p.max_score,
                                passed_on=p.passed_on, actor=actor, now=now, font=font, anchor=anchor)
            except AlreadyIssued:
                log.info("certificate for %s/%s (pass of %s) was issued by another worker", p.employee_id,
                         p.track, p.passed_on)
                continue
            issued.append((cert, entry))
    return issued


def issue_for(store: ProgressStore, settings: Settings, actor: str, learners: Iterable[str] | None = None,
              as_of: date | None = None, record=None, now: datetime | None = None,
              anchor: Path | None = None, tracks: Iterable[str] | None = None) -> list[Certificate]:
    """Issue every certificate ``learners`` (everyone when None) have earned in ``tracks`` (all
    when None; after grading, the graded assessments' tracks) by ``as_of`` (today in the
    configured zone) and not yet received; the certificates issued.  ``record`` is the
    company's record when the caller has read it already.  The trail's anchor (default: the
    settings') is moved to the last entry written."""
    from ..store.trail import anchor_path

    learners = None if learners is None else sorted(set(learners))
    tracks = None if tracks is None else sorted(set(tracks))
    if learners == [] or tracks == []:
        return []
    record = record if record is not None else company_record(settings, learners, store)
    todo = due(store, record, as_of or today(settings), learners, tracks)
    # each certificate's commit moves the trail's anchor (the store's, else the settings')
    target = anchor or getattr(store, "trail_anchor", None) or anchor_path(settings)
    issued = _issue(store, settings, todo, actor, now, target)
    if issued:
        log.info("%d certificate(s) issued by %s", len(issued), actor)
    return [cert for cert, _entry in issued]
