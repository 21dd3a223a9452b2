"""JupyterLab as a learner should see it, written as configuration files into one folder.

Learners are not programmers and not graders, so their JupyterLab:

- never asks "Would you like to get notified about official Jupyter news?" and never fetches
  news or checks for updates (JupyterLab's ``@jupyterlab/apputils-extension:notification``
  settings, as admin overrides);
- hides nbgrader's authoring and grading interface: the *Create Assignment* sidebar, the
  *Formgrader* menu entries and the course list (JupyterLab plugins disabled in the page config),
  and does not serve them (nbgrader's formgrader and course-list server extensions off).  The
  *Assignment List* learners use to fetch and submit assessments stays;
- shuts a notebook's kernel down when its tab is closed (``kernelShutdown`` of
  ``@jupyterlab/notebook-extension:tracker``), and never opens a Markdown editor on the
  lessons' read-only text (``showEditorForReadOnlyMarkdown``);
- loads the course's own small JupyterLab extension, ``iso20k-lessons``
  (``labextensions/iso20k-lessons/static/remoteEntry.js``, on ``LabApp.extra_labextensions_path``
  in ``jupyter_server_config.json``):
  in a lesson notebook (marked by ``iso20k build-course``) no code, no collapsed-input "•••" bars,
  no collapsing by a click in the margin and no nbgrader *Validate* button (exams keep it), and
  the questions appear by themselves once the kernel is ready, with the learner left at the
  lesson's start.  Plain JupyterLab has no "run when opened" (Voila has), and its *Run All* ends
  at the bottom of the page: a plugin is JupyterLab's own way to add it.

:func:`write_learner_lab_config` writes the files and returns what to pass to the server, so
``iso20k lab`` and a JupyterHub spawner (``Spawner.environment`` and ``Spawner.args``) apply
the same configuration.  Only the server reads these files; nothing is downloaded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

#: JupyterLab plugins a learner never needs (nbgrader 0.9's plugin ids).
DISABLED_LAB_PLUGINS = (
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:course-list",
)

#: Server extensions a learner's server does not run.
DISABLED_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)

#: Settings fixed for learners (JupyterLab "overrides": defaults a learner may still change).
SETTING_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # JupyterLab 4's names (its notebook-extension schema, tracker.json)
    "@jupyterlab/notebook-extension:tracker": {"kernelShutdown": True, "showEditorForReadOnlyMarkdown": False},
}

#: The folder holding the course's JupyterLab extension (``iso20k-lessons``), shipped in the package.
LAB_EXTENSIONS_DIR = Path(__file__).resolve().with_name("labextensions")


@dataclass(frozen=True)
class LabLaunch:
    """What a server started on the written configuration needs: environment variables to set
    and command-line options to add (JupyterHub: ``Spawner.environment`` / ``Spawner.args``)."""

    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    def environ(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` with :attr:`env` applied (config folders go before any already listed)."""
        out = dict(base)
        for key, value in self.env.items():
            if key == "JUPYTER_CONFIG_PATH" and out.get(key):
                value = value + os.pathsep + out[key]
            out[key] = value
        return out


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)


def write_learner_lab_config(folder: Path) -> LabLaunch:
    """Write the learner configuration into ``folder`` (created if missing; rewriting is safe)
    and return how to start a server on it.

    - ``settings/overrides.json``: JupyterLab setting overrides (news off);
    - ``settings/page_config.json``: JupyterLab plugins disabled;
    - ``jupyter_server_config.json``: server extensions disabled, and where the lesson extension
      is (:data:`LAB_EXTENSIONS_DIR`, JupyterLab's ``extra_labextensions_path``).
    """
    folder = Path(folder).resolve()
    settings_dir = folder / "settings"
    _write_json(settings_dir / "overrides.json", SETTING_OVERRIDES)
    _write_json(settings_dir / "page_config.json", {"disabledExtensions": list(DISABLED_LAB_PLUGINS)})
    _write_json(folder / "jupyter_server_config.json",
                {"ServerApp": {"jpserver_extensions": {name: False for name in DISABLED_SERVER_EXTENSIONS}},
                 # where this installation keeps the lesson extension (written where the server
                 # runs: a learners' image writes its own path, deploy/kubernetes)
                 "LabApp": {"extra_labextensions_path": [str(LAB_EXTENSIONS_DIR)]}})
    return learner_lab_launch(folder)


def learner_lab_launch(folder: Path) -> LabLaunch:
    """How to start a server on the learner configuration written into ``folder`` (here, or when
    a learners' image was built: deploy/kubernetes)."""
    return LabLaunch(
        folder=Path(folder),
        # Jupyter reads jupyter_server_config.json from every JUPYTER_CONFIG_PATH folder, and
        # those come before the environment's own (where nbgrader turns its extensions on).
        env={"JUPYTER_CONFIG_PATH": str(folder)},
        args=[f"--LabApp.app_settings_dir={Path(folder) / 'settings'}"],
    )
