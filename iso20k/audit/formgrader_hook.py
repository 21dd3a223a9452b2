"""A Jupyter server extension that puts grades given by hand in nbgrader's formgrader into the
audit trail.

Formgrader saves a grade with nbgrader's ``Gradebook`` (SQLAlchemy ORM) inside the Jupyter
server's process.  This extension listens to SQLAlchemy's events on nbgrader's ``Grade`` model:
``after_update`` notes the old and new score of every grade a flush changes, and the session's
``after_commit`` appends them to the trail once the gradebook has really committed them.  Nothing
of nbgrader is patched; the extension is enabled through Jupyter's configuration
(``jupyter-config/jupyter_server_config.d/iso20k_audit.json``, installed with the package).

The grader recorded is the identity of the server process (ISO20K_AUDIT_ACTOR, JUPYTERHUB_USER or
the operating-system user) with the source 'formgrader'.
"""

from __future__ import annotations

import logging

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from .grades import GradeKey, score_of

log = logging.getLogger(__name__)
_PENDING = "iso20k_audit_pending"
_installed = False


def _jupyter_server_extension_points():
    return [{"module": "iso20k.audit.formgrader_hook"}]


def _load_jupyter_server_extension(serverapp) -> None:
    install()
    serverapp.log.info("iso20k: manual grades from formgrader are recorded in the audit trail")


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
    old, new = score_of(auto_old, man_old, ext_old), score_of(auto_new, man_new, ext_new)
    if old == new:
        return
    session = state.session
    if session is None:
        return
    session.info.setdefault(_PENDING, []).append((target.id, old, new))


def _after_commit(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        _record(session, pending)
    except Exception:  # the grade is saved; a trail failure must be loud but not lose the grade
        log.exception("iso20k: could not write formgrader grades to the audit trail; "
                      "'iso20k audit-trail verify' will report them")


def _record(session, pending) -> None:
    from ..settings import get_settings
    from ..store import ProgressStore
    from .actor import current_actor
    from .chain import write_anchor
    from .grades import record_changes
    from .verify import anchor_path

    engine = session.get_bind()
    before, after, stamps = {}, {}, {}
    from sqlalchemy import text

    query = text("""
        SELECT a.name, sa.student_id, n.name, bc.name, sa.timestamp
        FROM grade g JOIN submitted_notebook sn ON sn.id = g.notebook_id
        JOIN notebook n ON n.id = sn.notebook_id JOIN submitted_assignment sa ON sa.id = sn.assignment_id
        JOIN assignment a ON a.id = sa.assignment_id JOIN base_cell bc ON bc.id = g.cell_id
        WHERE g.id = :id""")
    with engine.connect() as conn:
        for grade_id, old, new in pending:
            row = conn.execute(query, {"id": grade_id}).first()
            if row is None:
                continue
            key = GradeKey(row[0], row[1], row[2], row[3])
            before.setdefault(key, old)
            after[key] = new
            stamps[key.subject] = str(row[4])
    settings = get_settings()
    store = ProgressStore(settings.effective_db_url)
    try:
        written = record_changes(store, before, after, stamps, current_actor(settings), "formgrader")
    finally:
        store.close()
    if written:
        write_anchor(anchor_path(settings), written[-1])


def install() -> None:
    """Listen to nbgrader's Grade model in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from nbgrader.api import Grade

    event.listen(Grade, "after_update", _after_update)
    event.listen(Session, "after_commit", _after_commit)
    _installed = True
