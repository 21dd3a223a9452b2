"""nbgrader's own ``nbgrader autograde`` (and formgrader's Autograde button) on the course's terms.

The course's configuration (``config.use_course_autograde``) puts these three preprocessors into
nbgrader's Autograde pipelines.  Each asks, per notebook, whether the assessment can be judged from
its answers alone (``judge.TrustedNotebook.needs_code`` is None and the release is there):

* yes (every exam, every form assessment): the same answer-judging path as ``iso20k autograde``
  (``answer_preprocessors.py``): protected cells restored from the gradebook, answers read as
  data, never executed, each learner's form drawn again from the keyed pool and its keys given to
  the tests;
* no (an assessment whose learners' code has to run): nbgrader's own steps, exactly as nbgrader
  would run them (DeduplicateIds, OverwriteCells, CheckCellMetadata; Execute).
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds, Execute, NbGraderPreprocessor, OverwriteCells

from .answer_preprocessors import JudgeAnswers, RestoreTrustedCells, trusted_notebook


def answers_judgeable(config, resources) -> bool:
    """True when the notebook being graded can be judged from its answers, without a kernel."""
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    info = resources["nbgrader"]
    release = Path(coursedir.format_path(coursedir.release_directory, ".", info["assignment"])) / \
        f"{info['notebook']}.ipynb"
    if not release.exists():
        return False  # nbgrader's own way, which needs no release
    return trusted_notebook(config, resources).needs_code is None


class _Either(NbGraderPreprocessor):
    """Runs the answer-judging steps or nbgrader's own, per notebook (see the module)."""

    answer_steps: tuple = ()
    nbgrader_steps: tuple = ()

    def preprocess(self, nb, resources):
        steps = self.answer_steps if answers_judgeable(self.config, resources) else self.nbgrader_steps
        for step in steps:
            nb, resources = step(parent=self)(nb, resources)  # as nbgrader calls them: if enabled
        return nb, resources


class SanitizeForJudging(_Either):
    """In place of nbgrader's DeduplicateIds, OverwriteCells and CheckCellMetadata."""

    answer_steps = (RestoreTrustedCells,)
    nbgrader_steps = (DeduplicateIds, OverwriteCells, CheckCellMetadata)


class JudgeOrExecute(_Either):
    """In place of nbgrader's Execute (and the ClearMetadataPreprocessor after it)."""

    answer_steps = (JudgeAnswers,)
    nbgrader_steps = (Execute, ClearMetadataPreprocessor)


class CheckAfterExecute(_Either):
    """nbgrader's final CheckCellMetadata, after a kernel ran the notebook."""

    nbgrader_steps = (CheckCellMetadata,)
