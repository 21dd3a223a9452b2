"""Autograde many answer-only submissions in one process: nbgrader's Autograde, set up once.

nbgrader's ``NbGraderAPI.autograde`` builds a new ``Autograde`` converter for every submission:
new nbconvert exporters, every preprocessor instantiated again (twice), and a new gradebook
connection (engine, table check, every SQL statement compiled afresh) for about eight steps of
each submission, each step committed on its own.  ``BatchAutograde`` is nbgrader's ``Autograde``
converter (a subclass, with its configuration, its preprocessors, destination, hooks, writer and
permissions), built once per grading process and given many submissions, with:

* **one gradebook** (nbgrader's ``Gradebook``) for the whole batch, used for the converter's own
  bookkeeping (student, submission and its timestamp, missing notebooks scored zero) and by the
  preprocessors that save (``shared_gradebook.py``, ``SaveAutoGradesAtOnce``);
* the course's preprocessors of both passes **instantiated once**; both passes run over the
  notebook in memory, which is read, validated and written once (nbgrader writes it between the
  passes and reads it back); the trusted cells, the keyed pool and the sittings are read once per
  process as before;
* the gradebook written in **one transaction per group** of submissions (``GROUP``): each
  submission is first judged (no gradebook writes), then the group's rows (student, submission,
  grades, late penalty) are written and committed together, and only then are the autograded
  notebooks written, as nbgrader writes them after saving.  The database's write lock is held
  only while a group is written, so two grading processes judge while the other writes; a group
  that cannot be saved is saved again submission by submission, so one bad hand-in fails alone.

So the autograded notebooks and the gradebook rows are what ``nbgrader autograde`` writes for the
same submissions (``tests/test_batch_autograde.py`` compares them).  Only for assessments judged
from their answers (``judge.TrustedNotebook.needs_code`` is None); the rest go to the sandbox.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert.writers import FilesWriter
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.converters import Autograde
from nbgrader.converters.base import NbGraderException
from sqlalchemy.exc import OperationalError
from traitlets.utils.importstring import import_item

from .shared_gradebook import SharedGradebook, one_transaction

#: Submissions whose gradebook rows one grading process writes in one transaction.
GROUP = 25


class _Errors(logging.Handler):
    """The converter's error messages for the submission being graded."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def reason(self) -> str:
        """The most telling line: the exception of the last traceback, else the last message."""
        for message in reversed(self.messages):
            if message.startswith("Traceback"):
                return message.strip().splitlines()[-1]
        return self.messages[-1] if self.messages else "unknown error"


@dataclass
class _Judged:
    """One submission judged, its grades not yet saved: each notebook as the autograding pass
    left it before the first step that writes grades, and the rows to record for it."""

    student: str
    notebooks: list  # (notebook, resources)
    unrecorded: tuple  # (assignment, student, timestamp)
    files: list  # the submitted notebooks' paths (what nbgrader's hooks are given)


class BatchAutograde(Autograde):
    """nbgrader's Autograde converter for many submissions of one assignment (see the module)."""

    def __init__(self, coursedir, gradebook, **kwargs):
        self.errors = _Errors()
        log = logging.getLogger(f"iso20k.grading.batch.{id(self)}")
        log.propagate, log.level = False, logging.WARNING
        log.handlers = [self.errors]
        super().__init__(coursedir=coursedir, log=log, **kwargs)
        self.gradebook = gradebook
        self.force = True
        self.create_student = True
        self.writer = FilesWriter(parent=self, config=self.config)
        self.exporter = self.exporter_class(parent=self, config=self.config)
        self.sanitizing = self._preprocessors(self.sanitize_preprocessors)
        autograding = self._preprocessors(self.autograde_preprocessors)
        first_save = next((i for i, p in enumerate(autograding) if getattr(p, "writes_grades", False)),
                          len(autograding))
        self.judging, self.saving = autograding[:first_save], autograding[first_save:]

    def _preprocessors(self, names: list) -> list:
        """The preprocessors of one pass, made as nbgrader's exporter makes them, once per batch."""
        made = []
        for preprocessor in names:
            cls = import_item(preprocessor) if isinstance(preprocessor, str) else preprocessor
            instance = cls(parent=self.exporter)
            if isinstance(instance, SharedGradebook):
                instance.shared_gradebook = self.gradebook
            made.append(instance)
        return made

    # -- the batch --------------------------------------------------------------------------

    def grade_all(self, assignment: str, students: list[str],
                  group: int | None = None) -> Iterator[tuple[str, str | None, float]]:
        """Autograde ``students``' submissions: (student, None when saved else why not, seconds
        spent on it: its own judging and writing, and its share of its group's saving), in order."""
        group = group or GROUP
        for start in range(0, len(students), group):
            members = students[start:start + group]
            outcome: dict[str, str | None] = {}
            seconds = dict.fromkeys(members, 0.0)
            judged = []
            for student in members:
                began = time.monotonic()
                done = self._step(assignment, student, self._judge)
                seconds[student] += time.monotonic() - began
                if isinstance(done, _Judged):
                    judged.append(done)
                else:
                    outcome[student] = done or "nbgrader could not save grades: nothing was written"
            began = time.monotonic()
            try:
                outcome.update(self._save(assignment, judged))
            except OperationalError:  # the gradebook cannot be used: nothing of this group is saved
                for item in judged:
                    self._remove(assignment, item.student)
                raise
            for item in judged:
                seconds[item.student] += (time.monotonic() - began) / len(judged)
            for item in judged:
                if outcome.get(item.student) is None:
                    began = time.monotonic()
                    outcome[item.student] = self._step(assignment, item.student, lambda a, s: self._write(a, item))
                    seconds[item.student] += time.monotonic() - began
            yield from ((student, outcome[student], seconds[student]) for student in members)

    def _step(self, assignment: str, student: str, step):
        """``step(assignment, student)``, failing as nbgrader's ``convert_notebooks`` fails a
        submission: logged, its autograded folder removed; the reason returned instead.  A
        gradebook that cannot be used stops the batch, as it stops nbgrader."""
        self.coursedir.assignment_id, self.coursedir.student_id = assignment, student
        self.errors.messages = []
        try:
            return step(assignment, student)
        except OperationalError:
            self._remove(assignment, student)
            raise
        except Exception as exc:  # noqa: BLE001 - one submission fails, the batch goes on
            if not isinstance(exc, NbGraderException):
                self.log.error("There was an error processing assignment: %s", self._format_source(assignment, student))
                self.log.error(traceback.format_exc())
            self._remove(assignment, student)
            return "nbgrader could not save grades: " + self.errors.reason()[:300]

    def _remove(self, assignment: str, student: str) -> None:
        dest = os.path.normpath(self._format_dest(assignment, student))
        if os.path.exists(dest):
            utils.rmtree(dest)

    # -- one submission: judge, save (with its group), write ---------------------------------

    def _judge(self, assignment: str, student: str) -> _Judged | None:
        """nbgrader's steps up to saving grades: the notebooks found, the destination cleared,
        the pre-convert hook, the files copied, both passes up to the first step that writes grades."""
        self.init_notebooks()  # nbgrader's: no notebook at all is an error
        self.notebooks = sorted(next(iter(self.assignments.values())))
        if not self.init_destination(assignment, student):
            return None  # excluded (CourseDirectory.student_id_exclude)
        self.run_pre_convert_hook()
        self.init_assignment(assignment, student)
        notebooks = []
        for filename in self.notebooks:
            resources = self.init_single_notebook_resources(filename)
            path, name = os.path.split(filename)
            resources["metadata"] = {"name": os.path.splitext(name)[0], "path": path}
            resources["output_extension"] = self.exporter.file_extension
            with open(filename, encoding="utf-8") as f:
                nb = nbformat.read(f, as_version=4)
            for preprocessor in self.sanitizing:
                nb, resources = preprocessor(nb, resources)
            with utils.setenv(NBGRADER_EXECUTION="autograde"):
                for preprocessor in self.judging:
                    nb, resources = preprocessor(nb, resources)
            # nbgrader's exporter validates after every step: an invalid notebook stops before saving
            nbformat.validate(nb, relax_add_props=True)
            notebooks.append((nb, resources))
        return _Judged(student, notebooks, self._unrecorded, list(self.notebooks))

    def _save(self, assignment: str, judged: list[_Judged]) -> dict[str, str]:
        """Save the group's grades in one transaction; if that fails, each submission in its own
        (so only the submissions that cannot be saved fail).  Returns why each failed one failed."""
        if not judged:
            return {}
        try:
            with one_transaction(self.gradebook):
                for item in judged:
                    self._save_one(assignment, item)
            return {}
        except OperationalError:
            raise
        except Exception:  # noqa: BLE001 - rolled back: find the submission that cannot be saved
            pass
        failed = {}
        for item in judged:
            def save(a, s, item=item):
                with one_transaction(self.gradebook):
                    self._save_one(a, item)

            why = self._step(assignment, item.student, save)
            if why:
                failed[item.student] = why
        return failed

    def _save_one(self, assignment: str, item: _Judged) -> None:
        """The submission's rows (:meth:`record_submission`), then the autograding pass's steps
        from the first one that writes grades (nbgrader's SaveAutoGrades, AssignLatePenalties)."""
        self.coursedir.assignment_id, self.coursedir.student_id = assignment, item.student
        self.record_submission(*item.unrecorded)
        with utils.setenv(NBGRADER_EXECUTION="autograde"):
            for index, (nb, resources) in enumerate(item.notebooks):
                for preprocessor in self.saving:
                    nb, resources = preprocessor(nb, resources)
                item.notebooks[index] = (nb, resources)

    def _write(self, assignment: str, item: _Judged) -> None:
        """The autograded notebooks as nbgrader's exporter and writer write them, the permissions
        and the post-convert hook."""
        for nb, resources in item.notebooks:
            output = nbformat.writes(nb, version=self.exporter.nbformat_version)
            self.writer.build_directory = self._format_dest(assignment, item.student)
            self.writer.write(output if output.endswith("\n") else output + "\n", resources,
                              notebook_name=resources["unique_key"])
        self.set_permissions(assignment, item.student)
        self.notebooks = item.files
        self.run_post_convert_hook()

    def _notebooks_of(self, assignment_id: str) -> set[str]:
        """The assignment's notebooks in the gradebook (read once per batch)."""
        known = self.__dict__.setdefault("_known", {})
        if assignment_id not in known:
            try:
                known[assignment_id] = {nb.name for nb in self.gradebook.find_assignment(assignment_id).notebooks}
            except MissingEntry:
                msg = "No assignment with ID '%s' exists in the database" % assignment_id
                self.log.error(msg)
                raise NbGraderException(msg)
        return known[assignment_id]

    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        """nbgrader 0.9's ``Autograde.init_assignment`` (and its base's file copies), in its order,
        except that the gradebook rows it writes (student, submission and its timestamp, zero for
        a notebook not handed in) are written later by :meth:`record_submission`, with the
        submission's grades; the assignment's notebooks are read once per batch."""
        source = self._format_source(assignment_id, student_id)
        dest = self._format_dest(assignment_id, student_id)
        for filename in utils.find_all_files(source, self.coursedir.ignore + ["*.ipynb"]):
            path = os.path.join(dest, os.path.relpath(filename, source))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.exists(path):
                utils.remove(path)
            shutil.copy(filename, path)
        known = self._notebooks_of(assignment_id)
        self._unrecorded = (assignment_id, student_id, self.coursedir.get_existing_timestamp(source))
        # the course's own files (the learners' copy of a form pool), over whatever was submitted
        source_path = self.coursedir.format_path(self.coursedir.source_directory, ".", assignment_id)
        source_files = set(utils.find_all_files(source_path, self.coursedir.ignore + ["*.ipynb"]))
        source_files -= {os.path.join(source_path, x) for x in self.exclude_overwriting.get(assignment_id, [])}
        for filename in source_files:
            target = os.path.join(dest, os.path.relpath(filename, source_path))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.exists(target):
                os.remove(target)
            shutil.copy(filename, target)
        notebooks = []
        for notebook in self.notebooks:
            if os.path.splitext(os.path.basename(notebook))[0] not in known:
                self.log.warning("Skipping unknown notebook: %s", notebook)
                continue
            notebooks.append(notebook)
        self.notebooks = notebooks
        if not self.notebooks:
            msg = "No notebooks found, did you forget to run 'nbgrader generate_assignment'?"
            self.log.error(msg)
            raise NbGraderException(msg)

    def record_submission(self, assignment_id: str, student_id: str, timestamp) -> None:
        """The gradebook rows nbgrader's ``init_assignment`` writes: the student, the submission
        with its timestamp, and zero for every notebook not handed in."""
        gb = self.gradebook
        gb.update_or_create_student(student_id)
        if timestamp:
            submission = gb.update_or_create_submission(assignment_id, student_id, timestamp=timestamp)
            if submission.total_seconds_late > 0:
                self.log.warning("%s is %s seconds late", submission, submission.total_seconds_late)
        else:
            gb.update_or_create_submission(assignment_id, student_id)
        folder = self.coursedir.format_path(self.coursedir.submitted_directory, student_id, assignment_id)
        for name in sorted(self._notebooks_of(assignment_id)):
            path = os.path.join(folder, f"{name}.ipynb")
            if not os.path.exists(path):  # a notebook not handed in scores zero
                self.log.warning("No submitted file: %s", path)
                for grade in gb.find_submission_notebook(name, assignment_id, student_id).grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
                gb.db.commit()


@contextmanager
def batch_autograde(coursedir, config):
    """A :class:`BatchAutograde` for the course, with its gradebook open, working in the course
    folder as nbgrader's converters do; the gradebook is closed and the folder restored after."""
    import warnings

    from .environment import open_gradebook

    gradebook = open_gradebook(coursedir.db_url, coursedir.course_id)
    here = os.getcwd()
    try:
        os.chdir(coursedir.root)
        with warnings.catch_warnings():
            # nbgrader's own gradebook code triggers SQLAlchemy autoflush warnings; they are noise here.
            warnings.simplefilter("ignore")
            yield BatchAutograde(coursedir, gradebook, config=config)
    finally:
        os.chdir(here)
        gradebook.close()

