"""nbgrader runs the ``alembic`` command (to create or upgrade a gradebook), found on PATH.
In a virtual environment that was not activated, PATH lacks it; these helpers add it."""

from __future__ import annotations

import os
import sys

from .config import COURSE_ID, gradebook_url

BIN = os.path.dirname(sys.executable)


def _with_bin(path: str) -> str:
    return path if BIN in path.split(os.pathsep) else BIN + os.pathsep + path


def nbgrader_env(extra: dict | None = None) -> dict:
    """Environment for nbgrader commands run as child processes: this Python's bin folder first."""
    env = dict(os.environ)
    env["PATH"] = _with_bin(env.get("PATH", ""))
    env.update(extra or {})
    return env


def ensure_bin_on_path() -> None:
    """The same for nbgrader code running in this process."""
    os.environ["PATH"] = _with_bin(os.environ.get("PATH", ""))


def open_gradebook(db_url: str, course_id: str = COURSE_ID):
    """nbgrader's Gradebook, usable from this process (nbgrader adds ``course_id`` to the
    gradebook's courses if it is missing, so it defaults to the course's own id)."""
    from nbgrader.api import Gradebook

    ensure_bin_on_path()
    gradebook = Gradebook(db_url, course_id)
    if gradebook.engine.dialect.name == "postgresql":  # the dashboard's change signal (store/changes.py)
        from ..store.changes import watch_gradebook

        watch_gradebook(gradebook.engine)
    return gradebook


def course_gradebook(course_root):
    """The gradebook of the course in ``course_root``."""
    return open_gradebook(gradebook_url(course_root))
