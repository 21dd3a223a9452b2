"""Find the nbgrader course folder and its configuration the way ``nbgrader`` itself does.

nbgrader reads ``nbgrader_config.py`` from Jupyter's configuration folders and from the current
folder, then from the configured ``CourseDirectory.root`` (which defaults to the current folder).
``iso20k autograde``, ``sync-roster`` and ``item-analysis`` use this function, so they work on the
course nbgrader would work on when run in the same folder (or in ``--course``)."""

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
        return self.coursedir().db_url

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
