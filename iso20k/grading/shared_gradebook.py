"""nbgrader's preprocessors that open the gradebook, able to use one opened for a whole batch.

nbgrader's ``OverwriteKernelspec``, ``SaveAutoGrades`` and ``AssignLatePenalties`` each open a new
``Gradebook`` (a new engine, a table check, every SQL statement compiled afresh) for every notebook
they see.  Given ``shared_gradebook`` (by ``batch_autograde.BatchAutograde``, which grades many
submissions in one process), these do the same work through that one; without it they are
nbgrader's own, unchanged (plain ``nbgrader autograde`` uses them so).
"""

from __future__ import annotations

import json
from contextlib import contextmanager

from nbgrader.preprocessors import AssignLatePenalties, OverwriteKernelspec


def _kept() -> None:
    """In place of the gradebook session's commit inside :func:`one_transaction`."""


@contextmanager
def one_transaction(gradebook):
    """nbgrader's ``Gradebook`` methods commit after every step.  Inside this, those commits are
    kept in the session and committed once at the end (rolled back, all of them, on an error): one
    write transaction, which takes the database's write lock at its first write and holds it only
    until the end.  Inside another, it is part of that one."""
    session = gradebook.db
    if vars(session).get("commit") is _kept:
        yield
        return
    session.commit = _kept
    try:
        yield
    except BaseException:
        del session.commit
        session.rollback()
        raise
    del session.commit
    session.commit()


class SharedGradebook:
    """Mixin: ``shared_gradebook`` is nbgrader's ``Gradebook`` of the batch, or None (open one
    per notebook, as nbgrader does).  The batch opens and closes it; these never close it."""

    shared_gradebook = None
    #: True for a preprocessor that writes grades (the batch records the submission before it).
    writes_grades = False


class SharedKernelspec(SharedGradebook, OverwriteKernelspec):
    """nbgrader's OverwriteKernelspec: the source notebook's kernelspec, read once per notebook
    name when the gradebook is shared."""

    def preprocess(self, nb, resources):
        if self.shared_gradebook is None:
            return super().preprocess(nb, resources)
        info = resources["nbgrader"]
        cache = self.__dict__.setdefault("_kernelspecs", {})
        key = (info["assignment"], info["notebook"])
        if key not in cache:
            kernelspec = self.shared_gradebook.find_notebook(info["notebook"], info["assignment"]).kernelspec
            cache[key] = json.loads(kernelspec) if kernelspec is not None else None
        if cache[key]:
            nb.metadata["kernelspec"] = json.loads(json.dumps(cache[key]))  # a copy per notebook
        return nb, resources


class SharedLatePenalties(SharedGradebook, AssignLatePenalties):
    """nbgrader's AssignLatePenalties (its plugin, its checks, its log lines), through the shared
    gradebook when there is one."""

    writes_grades = True

    def preprocess(self, nb, resources):
        if self.shared_gradebook is None:
            return super().preprocess(nb, resources)
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.init_plugin()
        self.gradebook = self.shared_gradebook
        nb, resources = super(AssignLatePenalties, self).preprocess(nb, resources)
        assignment = self.gradebook.find_submission(self.assignment_id, self.student_id)
        notebook = self.gradebook.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
        notebook.late_submission_penalty = None  # reset to None (zero), as nbgrader does
        if assignment.total_seconds_late > 0:
            self.log.warning("{} is {} seconds late".format(assignment, assignment.total_seconds_late))
            late_penalty = self.plugin_inst.late_submission_penalty(
                self.student_id, notebook.score, assignment.total_seconds_late)
            self.log.warning("Late submission penalty: {}".format(late_penalty))
            if late_penalty is not None:
                notebook.late_submission_penalty = self._check_late_penalty(notebook, late_penalty)
        self.gradebook.db.commit()
        return nb, resources
