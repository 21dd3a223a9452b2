"""nbgrader's fetch and submit for per-learner forms, through nbgrader's exchange plugin points
(``ExchangeFactory.fetch_assignment`` / ``.submit``; see :data:`iso20k.grading.config.EXCHANGE_FACTORY`).

:class:`FormFetch` is nbgrader's fetch; for an assessment released with a form pool (the
learners' copy, keys withheld, ``form-pool.json`` in the release) it opens the learner's sitting
(:mod:`sittings`: the attempt and its start, recorded at this moment), draws the learner's form
for that attempt and writes it into the fetched notebook, with ``time-limit.json`` for the banner.
Fetching again during an open attempt gives the same form and the same clock; after a hand-in, a
fetch is a retake (a new form) when the retake rule allows, and the previous copy is kept beside
it as ``<assignment>-attempt-<n>``.  Anything else is fetched exactly as nbgrader fetches it.
"""

from __future__ import annotations

import json
import os
import shutil

from nbgrader.exchange.default.fetch_assignment import ExchangeFetchAssignment
from nbgrader.utils import get_username

from .exchange import PrivateSubmit
from .form_notebook import RELEASED_POOL, apply_form, read_released_pool


def _learner(coursedir) -> str:
    return coursedir.student_id if coursedir.student_id not in ("", "*") else get_username()


class FormFetch(ExchangeFetchAssignment):
    def init_dest(self):
        self.form_pool = os.path.join(self.src_path, RELEASED_POOL)
        if not os.path.isfile(self.form_pool):
            return super().init_dest()
        from ..settings import read_settings
        from .sittings import RetakeRefused, open_sitting

        root = os.path.join(self.coursedir.course_id, self.coursedir.assignment_id) if self.path_includes_course \
            else self.coursedir.assignment_id
        self.dest_path = os.path.abspath(os.path.join(self.assignment_dir, root))
        pool = read_released_pool(self.form_pool)
        try:
            self.sitting, new = open_sitting(read_settings(), _learner(self.coursedir),
                                                self.coursedir.assignment_id, pool.exam.minutes)
        except RetakeRefused as exc:
            self.fail(str(exc))
        self.pool = pool
        if os.path.isdir(self.dest_path):
            if not new and not self.replace_missing_files:
                self.fail(f"You already have a copy of the assignment in this directory: {root}")
            if new:  # a retake: the previous attempt's copy stays, renamed
                os.rename(self.dest_path, f"{self.dest_path}-attempt-{self.sitting.attempt - 1}")

    def do_copy(self, src, dest):
        if not hasattr(self, "pool"):
            return super().do_copy(src, dest)
        ignore = shutil.ignore_patterns(*self.coursedir.ignore, RELEASED_POOL)
        if os.path.isdir(dest):
            self.copy_if_missing(src, dest, ignore=ignore)
        else:
            shutil.copytree(src, dest, ignore=ignore)
        from .forms import draw_form

        form = draw_form(self.pool, _learner(self.coursedir), self.sitting.attempt)
        sitting = self.sitting.as_dict()
        for name in os.listdir(dest):
            if name.endswith(".ipynb"):
                path = os.path.join(dest, name)
                with open(path, encoding="utf-8") as fh:
                    nb = json.load(fh)
                with open(path, "w", encoding="utf-8") as fh:
                    json.dump(apply_form(nb, form, self.pool, sitting), fh, ensure_ascii=False, indent=1)
        from ..exam_checks import TIME_LIMIT_FILE

        with open(os.path.join(dest, TIME_LIMIT_FILE), "w", encoding="utf-8") as fh:
            json.dump(sitting, fh)
        self.log.info(f"Your own form of {self.coursedir.assignment_id}, attempt {self.sitting.attempt}; hand in by "
                      f"{self.sitting.deadline.astimezone():%H:%M}")


class FormSubmit(PrivateSubmit):
    """PrivateSubmit that also records the hand-in of the learner's open sitting in the trail
    (what the retake rule counts from; the grader also takes the hand-in's time from it)."""

    def copy_files(self):
        super().copy_files()
        from nbgrader.utils import find_all_notebooks

        def has_form(name: str) -> bool:
            try:
                with open(os.path.join(self.src_path, name), encoding="utf-8") as fh:
                    return "iso20k_form" in (json.load(fh).get("metadata") or {})
            except (OSError, ValueError, AttributeError):
                return False

        if not any(has_form(nb) for nb in find_all_notebooks(self.src_path)):
            return
        from ..settings import read_settings
        from .sittings import RetakeRefused, close_sitting

        try:
            close_sitting(read_settings(), _learner(self.coursedir), self.coursedir.assignment_id)
        except RetakeRefused as exc:
            self.log.error(str(exc))
