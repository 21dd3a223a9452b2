"""Save grades with nbgrader's own Autograde, one submission at a time, in this process."""

from __future__ import annotations

import re
from pathlib import Path

from .course_folder import Course
from .environment import ensure_bin_on_path


class GradeSaver:
    """nbgrader's API with ``config`` (the course's configuration plus one of iso20k's pipelines)."""

    def __init__(self, course: Course, assignment: str, config):
        from nbgrader.apps.api import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        ensure_bin_on_path()  # nbgrader may run alembic
        self.assignment = assignment
        self.coursedir = CourseDirectory(config=config)
        self.api = NbGraderAPI(coursedir=self.coursedir, config=config)

    def save(self, student: str) -> str | None:
        """None when saved, else why not."""
        import warnings

        with warnings.catch_warnings():
            # nbgrader's own gradebook code triggers SQLAlchemy autoflush warnings; they are noise here.
            warnings.simplefilter("ignore")
            result = self.api.autograde(self.assignment, student, force=True, create=True)
        done = Path(self.coursedir.format_path(self.coursedir.autograded_directory, student, self.assignment))
        if result.get("success") and done.is_dir():
            return None
        log = (result.get("log") or result.get("error") or "").strip().splitlines()
        # the exception that stopped it says why (nbgrader's own last ERROR line only points at it)
        raised = [line.strip() for line in log if re.match(r"\s*\w*(Error|Exception): ", line)]
        errors = raised or [line for line in log if "ERROR" in line] or log or ["unknown error"]
        return "nbgrader could not save grades: " + errors[-1][:300]
