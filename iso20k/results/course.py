"""Where the course and its gradebook are: one answer for every command and face.

nbgrader reads ``nbgrader_config.py`` from Jupyter's configuration folders and from the folder it
runs in, then from the configured ``CourseDirectory.root``.  :func:`locate_course` does the same,
starting from ``--course`` when a command is given one, else from the ``course_root`` setting
(``ISO20K_COURSE_ROOT``; unset: the checkout of an editable install, else the current folder, as
nbgrader would).  Its gradebook is the one nbgrader's configuration names (the course's
``nbgrader_config.py`` applies the ``gradebook_url`` setting); a folder without any nbgrader
configuration has the setting's, else ``gradebook.db`` in the folder.  ``iso20k autograde``,
``sync-roster``, ``item-analysis``, ``audit-trail``, ``evidence``, the dashboard and My training
all ask here, so run from anywhere they look at the same gradebook."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = "nbgrader_config.py"


@dataclass(frozen=True)
class Course:
    root: Path
    config: object  # traitlets Config, as nbgrader loaded it
    folder: Path  # where it was looked for (nbgrader's current folder)

    @property
    def db_url(self) -> str:
        # locate_course always leaves one in the configuration, and nbgrader's CourseDirectory
        # returns a configured one as it is: read it there, without importing nbgrader (0.9 s
        # in every new dashboard kernel, a third of a bare page)
        configured = self.config.CourseDirectory.get("db_url") if "CourseDirectory" in self.config else None
        return configured if isinstance(configured, str) else self.coursedir().db_url

    @property
    def course_id(self) -> str:
        return self.coursedir().course_id

    def coursedir(self):
        from nbgrader.coursedir import CourseDirectory

        return CourseDirectory(config=self.config)


def _load_file(folder: Path, config) -> None:
    from traitlets.config.loader import PyFileConfigLoader

    if (folder / CONFIG_FILE).is_file():
        config.merge(PyFileConfigLoader(CONFIG_FILE, path=str(folder)).load_config())


def load_course(folder: Path | str | None = None):
    """The course nbgrader would use when run in ``folder`` (default: the current folder)."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config

    start = Path(folder or os.getcwd()).resolve()
    if not start.is_dir():
        raise FileNotFoundError(f"{start}: no such course folder")
    config = Config()
    config.CourseDirectory.root = str(start)  # nbgrader's default: the folder it runs in
    for path in reversed(jupyter_config_path()):  # the first folder listed wins, as in Jupyter
        _load_file(Path(path), config)
    _load_file(start, config)
    root = Path(config.CourseDirectory.root).resolve()
    if root != start:
        _load_file(root, config)  # nbgrader also reads the course root's own file
        root = Path(config.CourseDirectory.root).resolve()
    config.CourseDirectory.root = str(root)
    return Course(root, config, start)


def course_folder(settings, folder: Path | str | None = None) -> Path:
    """Where to start looking: ``folder`` (a command's ``--course``), else the ``course_root``
    setting when it is set, else the current folder when nbgrader would work there (it holds
    ``nbgrader_config.py``), else the setting's default (an editable install's checkout)."""
    if folder:
        return Path(folder)
    if "course_root" not in settings.model_fields_set:
        try:
            here = Path.cwd()
        except OSError:
            here = None
        if here is not None and (here / CONFIG_FILE).is_file():
            return here
    return Path(settings.course_root)


def locate_course(settings=None, folder: Path | str | None = None) -> Course:
    """The course (see the module's description) and, as ``Course.db_url``, its gradebook."""
    from traitlets.config import Config

    from ..settings import get_settings

    settings = settings or get_settings()
    start = course_folder(settings, folder)
    try:
        course = load_course(start)
    except OSError:  # not made yet, or not this account's to read: nothing of nbgrader's to read
        if folder:
            raise
        course = Course(start.absolute(), Config(), start)
    if "db_url" not in course.config.CourseDirectory:  # no nbgrader configuration names one
        config = Config(course.config)
        config.CourseDirectory.root = str(course.root)
        config.CourseDirectory.db_url = (settings.gradebook_url
                                         or "sqlite:///" + os.path.join(str(course.root), "gradebook.db"))
        course = Course(course.root, config, course.folder)
    return course
