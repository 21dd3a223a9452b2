"""A Jupyter server extension that puts grades given by hand in nbgrader's formgrader into the
audit trail.

Formgrader saves a grade with nbgrader's ``Gradebook`` (SQLAlchemy ORM) inside the Jupyter
server's process.  This extension listens to SQLAlchemy's events on nbgrader's ``Grade`` model:
``after_update`` notes the old and new score of every grade a flush changes, and the session's
``after_commit`` appends them to the trail once the gradebook has really committed them.  Nothing
of nbgrader is patched; the extension is enabled through Jupyter's configuration
(``jupyter-config/jupyter_server_config.d/iso20k_audit.json``, installed with the package).

Where the entry goes, and who it names:

- on the hub (``ISO20K_TRAIL_URL`` set, see :mod:`iso20k.hub.config`), the formgrader runs as the
  grader account, which may not write the progress store: the changes are sent to the trail writer
  (the records service) with the formgrader service's hub token and the signed-in trainer's own
  token; the records service asks the hub whose tokens they are and records the trainer it is told
  (:mod:`iso20k.audit.trail_client`);
- on a single server, the entry is written to the progress store directly, under the identity of
  the server process (ISO20K_AUDIT_ACTOR, JUPYTERHUB_USER or the operating-system user).

Once the gradebook has committed a grade, the certificates it completes are issued in the same
workflow (``after_commit``): on the hub by the trail writer, asked with the same two tokens (it
reads the record itself and issues only what was earned); on a single server in this process
(:func:`iso20k.certificates.workflow.issue_for`).  A failure there is logged and does not undo
the grade: ``iso20k certificates issue`` catches up.

A grade must not be saved without its entry: the entry is written *before* the gradebook commits
(in SQLAlchemy's ``before_commit``, after a flush so every change is known).  If it cannot be
written (trail writer unreachable, the trainer's token refused), the commit fails, the gradebook's
transaction is rolled back and formgrader answers the save with an error: the trainer sees that
the grade was not saved and saves it again later.  The opposite failure (the entry written, then
the gradebook's own commit failing) is rare and loud: ``iso20k audit-trail verify`` reports the
gradebook differing from the trail.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..results.gradebook import grade_key
from ..results.rules import grade_score
from .grades import GradeKey

log = logging.getLogger(__name__)
_PENDING = "iso20k_audit_pending"
_CERTIFY = "iso20k_certify_students"
_installed = False


def _jupyter_server_extension_points():
    return [{"module": "iso20k.audit.formgrader_hook"}]


def _load_jupyter_server_extension(serverapp) -> None:
    install()
    from ..settings import get_settings

    where = "the trail writer at " + get_settings().trail_url if get_settings().trail_url else "the progress store"
    serverapp.log.info(f"iso20k: manual grades from formgrader are recorded in the audit trail ({where})")


def _old_new(state, name: str):
    hist = state.attrs[name].history
    new = state.attrs[name].value
    old = hist.deleted[0] if hist.deleted else (hist.unchanged[0] if hist.unchanged else new)
    return old, new


def _after_update(mapper, connection, target) -> None:
    state = inspect(target)
    (auto_old, auto_new) = _old_new(state, "auto_score")
    (man_old, man_new) = _old_new(state, "manual_score")
    (ext_old, ext_new) = _old_new(state, "extra_credit")
    old, new = grade_score(auto_old, man_old, ext_old), grade_score(auto_new, man_new, ext_new)
    if old == new:
        return
    session = state.session
    if session is None:
        return
    session.info.setdefault(_PENDING, []).append((target.id, old, new))


def _before_commit(session) -> None:
    session.flush()  # every changed grade is noted by _after_update now
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        students = _record(session, pending)
    except Exception as exc:
        _roll_back_soon(session)
        log.error("iso20k: the grade change was NOT saved, because it could not be recorded in the audit trail: %s",
                  exc)
        raise
    if students:
        session.info.setdefault(_CERTIFY, set()).update(students)


def _after_commit(session) -> None:
    """The grades are in the gradebook now: issue the certificates they complete."""
    graded = session.info.pop(_CERTIFY, None)
    if graded:
        try:
            issued = issue_certificates(sorted({s for s, _ in graded}), sorted({t for _, t in graded}))
        except Exception as exc:  # noqa: BLE001 - the grade is saved; the catch-up command issues later
            log.error("iso20k: the grade is saved, but the certificates it may complete were not issued (%s); "
                      "run 'iso20k certificates issue' to catch up", exc)
        else:
            if issued:
                log.info("iso20k: %d certificate(s) issued after the grade: %s", len(issued),
                         ", ".join(c["code"] for c in issued))


def _after_rollback(session, *_previous) -> None:
    session.info.pop(_CERTIFY, None)


def issue_certificates(students: list[str], tracks: list[str] | None = None) -> list[dict]:
    """Issue the certificates ``students``' saved grades complete in ``tracks``: through the trail
    writer on the hub (with the signed-in trainer's token, so the trail names the trainer), else
    in this process.  The certificates issued (code, employee, track, valid until)."""
    from ..settings import get_settings
    from .actor import REQUEST_TOKEN, current_actor

    settings = get_settings()
    if settings.trail_url:
        from .trail_client import request_certificates

        return request_certificates(settings, students, tracks, trainer_token=REQUEST_TOKEN.get())
    from ..certificates.workflow import issue_for
    from ..store import ProgressStore
    from .verify import anchor_path

    store = ProgressStore(settings.effective_db_url)
    try:
        issued = issue_for(store, settings, current_actor(settings), students, anchor=anchor_path(settings),
                           tracks=tracks)
    finally:
        store.close()
    return [{"code": c.code, "employee_id": c.employee_id, "track": c.track,
             "valid_until": c.valid_until.isoformat()} for c in issued]


def _roll_back_soon(session) -> None:
    """A failed commit leaves the gradebook's transaction open; formgrader keeps one session for
    all requests, so it is rolled back as soon as the failing request is answered."""
    try:
        asyncio.get_running_loop().call_soon(session.rollback)
    except RuntimeError:  # no event loop (a command): its caller rolls back or exits
        pass


def _changes(session, pending) -> list[dict]:
    from .grades import submissions_changed

    before, after, stamps = {}, {}, {}
    conn = session.connection()  # the gradebook's own transaction, which sees what it is about to commit
    for grade_id, old, new in pending:
        row = grade_key(conn, grade_id)
        if row is None:
            continue
        key = GradeKey(row[0], row[1], row[2], row[3])
        before.setdefault(key, old)
        after[key] = new
        stamps[key.subject] = str(row[4])
    return submissions_changed(before, after, stamps)


def _record(session, pending) -> set[tuple[str, str]]:
    """Record the changes in the trail; the students whose grades changed (not removed), each with
    the tracks of the changed assessments."""
    from ..settings import get_settings
    from .actor import REQUEST_TOKEN, current_actor

    settings = get_settings()
    submissions = _changes(session, pending)
    if not submissions:
        return set()
    from ..certificates.workflow import graded

    students, tracks = graded(submissions)
    students = {(student, track) for student in students for track in tracks}
    if settings.trail_url:
        from .trail_client import TrailWriteFailed, send_grades

        trainer_token = REQUEST_TOKEN.get()
        if not trainer_token:
            raise TrailWriteFailed("no signed-in trainer for this grade (the formgrader's identity provider "
                                   "passes the trainer's hub token)")
        send_grades(settings, "formgrader", submissions, trainer_token=trainer_token)
        return students
    from ..store.progress import trail_writer
    from .grades import write_submissions

    store = trail_writer(settings)  # moves the trail's anchor after the entries commit
    try:
        write_submissions(store, submissions, current_actor(settings), "formgrader")
    finally:
        store.close()
    return students


def install() -> None:
    """Listen to nbgrader's Grade model in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from nbgrader.api import Grade

    event.listen(Grade, "after_update", _after_update)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)
    _installed = True


def uninstall() -> None:
    """Stop listening (tests that install the hook in their own process)."""
    global _installed
    if not _installed:
        return
    from nbgrader.api import Grade

    event.remove(Grade, "after_update", _after_update)
    event.remove(Session, "before_commit", _before_commit)
    event.remove(Session, "after_commit", _after_commit)
    event.remove(Session, "after_soft_rollback", _after_rollback)
    _installed = False
