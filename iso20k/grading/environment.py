"""nbgrader runs the ``alembic`` command (to create or upgrade a gradebook), found on PATH.
In a virtual environment that was not activated, PATH lacks it; these helpers add it."""

from __future__ import annotations

import os
import sys

BIN = os.path.dirname(sys.executable)


def nbgrader_env(extra: dict | None = None) -> dict:
    """Environment for nbgrader commands: this Python's bin folder first."""
    env = dict(os.environ)
    if BIN not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra or {})
    return env


def open_gradebook(db_url: str, course_id: str = "default_course"):
    """nbgrader's Gradebook, usable from this process."""
    from nbgrader.api import Gradebook

    if BIN not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = BIN + os.pathsep + os.environ.get("PATH", "")
    return Gradebook(db_url, course_id)
