"""The nbgrader configuration of the course, in one function so tests apply exactly the same."""

from __future__ import annotations

import os

from ..settings import COURSE_ID, Settings, read_settings  # noqa: F401 - COURSE_ID named here for nbgrader code


def course_config(root, worker_results: str | None = None):
    """A traitlets Config holding the course's nbgrader settings (for code that calls nbgrader
    from Python rather than through nbgrader_config.py)."""
    from traitlets.config import Config

    c = Config()
    apply_course_config(c, str(root), worker_results=worker_results)
    return c


def gradebook_url(root, settings: Settings | None = None) -> str:
    """The SQLAlchemy URL of the course's nbgrader gradebook: the ISO20K_GRADEBOOK_URL setting
    (e.g. a PostgreSQL database), else the SQLite file gradebook.db in the course folder."""
    settings = settings or read_settings()  # read afresh: nbgrader may run in a new process
    if settings.gradebook_url:
        return settings.gradebook_url
    return "sqlite:///" + os.path.join(str(root), "gradebook.db")


def exchange_root(root, settings: Settings | None = None):
    """nbgrader's exchange folder: ISO20K_EXCHANGE_DIR, else ``exchange`` in the course folder ``root``
    (one machine)."""
    from pathlib import Path

    settings = settings or read_settings()
    return Path(settings.exchange_dir) if settings.exchange_dir else Path(str(root)) / "exchange"


def apply_course_config(c, root: str, worker_results: str | None = None) -> None:
    """Fill nbgrader config object ``c`` for the course rooted at ``root``.  With
    ``worker_results``, autograde takes each notebook's run from that folder instead of running it."""
    settings = read_settings()  # read afresh: nbgrader may run in a new process
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.root = root
    c.CourseDirectory.db_url = gradebook_url(root, settings)
    c.Exchange.root = str(exchange_root(root, settings))
    c.Exchange.path_includes_course = True
    # A hand-in belongs to the person who made it (collect refuses and quarantines the rest, never
    # follows links); hand-ins and feedback are readable by their learner and the grader only.
    use_owned_exchange(c)
    # Learners' code is letters in quotes: a cell that runs a minute is stuck, not thinking.
    c.Execute.timeout = settings.grading_cell_timeout_s
    c.Execute.interrupt_on_timeout = True
    # Nothing a learner prints can flood the grader or the feedback.
    c.LimitOutput.max_lines = 200
    c.LimitOutput.max_traceback = 40
    # ... and, in 'iso20k autograde', not even while it runs (see grading/limited_execute.py).
    c.LimitedExecute.output_limit_bytes = settings.grading_output_limit_kb * 1024
    # Feedback shows each test's name, points and result, never hidden tests or mark schemes
    # (nbgrader issue #917), and carries no text that a submission copied out of them.
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "iso20k.grading.preprocessors.HideHiddenTests",
        "iso20k.grading.preprocessors.HideLearnerOutputs",
        "iso20k.grading.preprocessors.HideMarkSchemes",
        "iso20k.grading.preprocessors.RedactLeakedText",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    # nbgrader's own autograde (formgrader's Autograde button too) reads exam answers as data, as
    # 'iso20k autograde' does, with each learner's form; code assessments still run in a kernel.
    use_course_autograde(c)
    worker_results = worker_results or settings.worker_results
    if worker_results:
        use_worker_results(c, worker_results)
    c.ExportApp.plugin_class = "iso20k.grading.export.PassFailExportPlugin"
    use_course_templates(c)


#: The course's nbconvert templates for nbgrader's pages (see the templates' own notes).
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


def nbgrader_templates() -> str:
    """nbgrader's own formgrader templates (``formgrade/``, ``feedback/``), found without
    importing nbgrader's server code."""
    import importlib.util

    package = importlib.util.find_spec("nbgrader").submodule_search_locations[0]
    return os.path.join(package, "server_extensions", "formgrader", "templates")


def use_course_templates(c) -> None:
    """Formgrader's grading view (template ``formgrade``) and the feedback pages (``feedback``)
    look first in the course's templates, then in nbgrader's (which nbgrader itself names, and
    which the course's pages extend as ``formgrade/index.html.j2``): MathJax from the local
    server in formgrader, off in feedback, so no page asks the internet; the rubric as a box."""
    ours, theirs = TEMPLATES, nbgrader_templates()
    c.HTMLExporter.extra_template_basedirs = [ours, theirs]
    c.HTMLExporter.extra_template_paths = [theirs]


#: nbgrader's exchange plugins of the course (:mod:`iso20k.grading.exchange`), by ExchangeFactory trait.
EXCHANGE_FACTORY = {"collect": "iso20k.grading.exchange.OwnedCollect",
                    "submit": "iso20k.grading.form_exchange.FormSubmit",
                    "fetch_assignment": "iso20k.grading.form_exchange.FormFetch",
                    "release_feedback": "iso20k.grading.exchange.PrivateReleaseFeedback"}
#: The grader-only folder of refused hand-ins, beside ``inbound`` in the exchange's course folder.
QUARANTINE = "quarantine"


def use_owned_exchange(c) -> None:
    """Point nbgrader config ``c`` at the course's exchange plugins."""
    for trait, cls in EXCHANGE_FACTORY.items():
        setattr(c.ExchangeFactory, trait, cls)


#: nbgrader's own steps after running a notebook, kept in both of iso20k's pipelines.
AFTER_RUN = [
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]


def use_worker_results(c, results_dir: str) -> None:
    """Autograde takes each notebook's run from a grading worker's results (the sandbox path:
    the learner's code already ran, isolated, in ``worker.py``)."""
    c.UseWorkerExecution.results_dir = str(results_dir)
    c.Autograde.autograde_preprocessors = ["iso20k.grading.preprocessors.UseWorkerExecution", *AFTER_RUN]


def use_course_autograde(c) -> None:
    """nbgrader's own Autograde judges answer-only notebooks (exams, forms) as ``iso20k autograde``
    does and runs the rest in a kernel as nbgrader does (``nbgrader_autograde.py``)."""
    c.Autograde.sanitize_preprocessors = [
        "nbgrader.preprocessors.ClearOutput",
        "iso20k.grading.nbgrader_autograde.SanitizeForJudging",
        "nbgrader.preprocessors.OverwriteKernelspec",
    ]
    c.Autograde.autograde_preprocessors = [
        "iso20k.grading.nbgrader_autograde.JudgeOrExecute",
        "nbgrader.preprocessors.IgnorePattern",
        "nbgrader.preprocessors.LimitOutput",
        "iso20k.grading.answer_preprocessors.SaveAutoGradesAtOnce",
        "nbgrader.preprocessors.AssignLatePenalties",
        "iso20k.grading.nbgrader_autograde.CheckAfterExecute",
    ]


def use_answer_judging(c, results_dir: str) -> None:
    """Autograde reads answers as data and judges them with the course's own code, in process,
    running nothing a learner wrote (``answer_preprocessors.py``)."""
    c.RestoreTrustedCells.results_dir = str(results_dir)
    c.JudgeAnswers.results_dir = str(results_dir)
    c.Autograde.sanitize_preprocessors = [
        "nbgrader.preprocessors.ClearOutput",
        "iso20k.grading.answer_preprocessors.RestoreTrustedCells",
        "nbgrader.preprocessors.OverwriteKernelspec",
    ]
    c.Autograde.autograde_preprocessors = [
        "iso20k.grading.answer_preprocessors.JudgeAnswers",
        "nbgrader.preprocessors.IgnorePattern",
        "nbgrader.preprocessors.LimitOutput",
        "iso20k.grading.answer_preprocessors.SaveAutoGradesAtOnce",
        "nbgrader.preprocessors.AssignLatePenalties",
    ]
