"""Command lines for the servers the product starts."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .settings import Settings


def _jupyter() -> str:
    local = os.path.join(os.path.dirname(sys.executable), "jupyter")
    return local if os.path.exists(local) else (shutil.which("jupyter") or "jupyter")


#: The server extension that records grades given by hand in formgrader in the audit trail.
AUDIT_EXTENSION = "iso20k.audit.formgrader_hook"


def lab_root(settings: Settings) -> Path:
    """The folder JupyterLab serves: the one holding the course notebooks' folder (the checkout in
    an editable install, the installed course files otherwise)."""
    return settings.course_dir.resolve().parent


def lab_command(settings: Settings, open_browser: bool = True, extra_args: list[str] = ()) -> list[str]:
    """``jupyter lab`` on the course, opening the start page (``extra_args`` e.g. from
    :func:`iso20k.lab_settings.write_learner_lab_config`)."""
    root = lab_root(settings)
    start = settings.course_dir.resolve().relative_to(root) / "START_HERE.ipynb"
    argv = [_jupyter(), "lab", f"--ServerApp.root_dir={root}",
            f"--ServerApp.ip={settings.lab_ip}", f"--ServerApp.port={settings.lab_port}",
            f"--LabApp.default_url=/lab/tree/{start.as_posix()}", f"--ServerApp.jpserver_extensions={AUDIT_EXTENSION}=True"]
    argv.extend(extra_args)
    if not open_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # a fresh server or container often runs as root
    return argv


def learner_lab_config_dir(settings: Settings):
    """Where the learner JupyterLab configuration goes (ISO20K_LAB_CONFIG_DIR)."""
    return settings.lab_config_dir or settings.data_dir / "lab-config"
