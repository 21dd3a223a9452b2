"""Command lines for the servers the product starts."""

from __future__ import annotations

import os
import shutil
import sys

from .settings import REPO_ROOT, Settings


def _jupyter() -> str:
    local = os.path.join(os.path.dirname(sys.executable), "jupyter")
    return local if os.path.exists(local) else (shutil.which("jupyter") or "jupyter")


def lab_command(settings: Settings, open_browser: bool = True, extra_args: list[str] = ()) -> list[str]:
    """``jupyter lab`` on the repository, opening the start page (``extra_args`` e.g. from
    :func:`iso20k.lab_settings.write_learner_lab_config`)."""
    start = settings.course_dir.resolve().relative_to(REPO_ROOT) / "START_HERE.ipynb"
    argv = [_jupyter(), "lab", f"--ServerApp.root_dir={REPO_ROOT}",
            f"--ServerApp.ip={settings.lab_ip}", f"--ServerApp.port={settings.lab_port}",
            f"--LabApp.default_url=/lab/tree/{start.as_posix()}"]
    argv.extend(extra_args)
    if not open_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # a fresh server or container often runs as root
    return argv


def learner_lab_config_dir(settings: Settings):
    """Where the learner JupyterLab configuration goes (ISO20K_LAB_CONFIG_DIR)."""
    return settings.lab_config_dir or settings.data_dir / "lab-config"
