"""nbgrader's exchange on one machine (``scripts/start.sh``): laid out before anyone uses it, and
the course's assessments released into it, so a learner's *Nbgrader ▸ Assignment List* lists them
instead of "exchange directory does not exist".

One account learns and grades here (the learners' ids are nbgrader student ids, see the
ISO20K_EXCHANGE_ONE_ACCOUNT setting), so the folders are this account's, with the hub's modes
(:func:`iso20k.hub.config.prepare_exchange`) so that no *other* account of the machine can read or
replace what is in them: the root 1777 (nbgrader's release insists on the 0777 bits; sticky: nobody
removes another's entry), the course folder and ``outbound`` 0755, ``inbound`` 3733 (others may
add, never list or read; collect refuses what this account did not make), ``feedback`` 0711
(feedback files are 0600), ``quarantine`` 0700.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..private_paths import UntrustedPathError, lay_out_dir, open_dir_without_following
from ..settings import COURSE_ID, Settings
from ..tracks import ASSESSMENTS
from .config import QUARANTINE, course_config, exchange_root

#: The exchange's folders below the course's folder, with their modes.
LAYOUT = (("outbound", 0o755), ("inbound", 0o3733), ("feedback", 0o711), (QUARANTINE, 0o700))


def lay_out_local_exchange(settings: Settings) -> Path:
    """Make (or put right) the exchange of the course folder ``settings.course_root``; returns its
    root.  Every folder is opened without following a link and must be this account's (or
    root's): a folder another account made is refused with :class:`UntrustedPathError`."""
    root = exchange_root(Path(settings.course_root).resolve(), settings)
    root.mkdir(parents=True, exist_ok=True)
    me, group = os.geteuid(), os.getegid()
    owners = {me, 0}
    top = open_dir_without_following(root)
    try:
        if os.fstat(top).st_uid not in owners:
            raise UntrustedPathError(f"{root} belongs to another account: the exchange must be this account's "
                                     "folder; remove it and start again")
        os.fchmod(top, 0o1777)
        course = lay_out_dir(top, COURSE_ID, root / COURSE_ID, me, group, 0o755, owners)
    finally:
        os.close(top)
    try:
        for name, mode in LAYOUT:
            os.close(lay_out_dir(course, name, root / COURSE_ID / name, me, group, mode, owners))
    finally:
        os.close(course)
    return root


def released(settings: Settings) -> list[str]:
    """The course's assessments in the exchange's ``outbound`` (what learners can fetch)."""
    outbound = exchange_root(Path(settings.course_root).resolve(), settings) / COURSE_ID / "outbound"
    return sorted(a for a in ASSESSMENTS.values() if (outbound / a).is_dir())


def release_assessments(settings: Settings, force: bool = False) -> list[str]:
    """Release every assessment of the course not in the exchange yet (all of them with ``force``)
    through nbgrader's own release, from the course's ``release/`` folder (generated first where
    missing).  Returns the assessments released now."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from .environment import ensure_bin_on_path

    course = Path(settings.course_root).resolve()
    lay_out_local_exchange(settings)
    wanted = [a for a in ASSESSMENTS.values() if force or a not in released(settings)]
    if not wanted:
        return []
    ensure_bin_on_path()
    config = course_config(course)
    config.ExchangeReleaseAssignment.force = True
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    done = []
    for assignment in wanted:
        if not (course / "release" / assignment).is_dir():
            result = api.generate_assignment(assignment, force=True, create=True)
            if not result.get("success"):
                raise RuntimeError(f"nbgrader could not generate {assignment}: {result.get('error') or result.get('log')}")
        result = api.release_assignment(assignment)
        if not result.get("success"):
            raise RuntimeError(f"nbgrader could not release {assignment}: {result.get('error') or result.get('log')}")
        done.append(assignment)
    return done
