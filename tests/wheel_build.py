"""Build the product's wheel from a copy of the checkout (the build leaves nothing in the
repository), as a company would before installing it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LEFT_OUT = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__",
                                  ".ipynb_checkpoints", ".pytest_cache", "*.sqlite*", "*.db",
                                  "submitted", "autograded", "feedback", "exchange", "reports")


def clean_environment() -> dict:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("ISO20K_", "JUPYTERHUB_", "PYTHON", "VIRTUAL_ENV", "JUPYTER"))}


def build_wheel(work: Path) -> Path:
    """The wheel built from a copy of the checkout under ``work``."""
    src, dist = work / "src", work / "dist"
    shutil.copytree(REPO, src, ignore=LEFT_OUT)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", str(dist), str(src)],
                          cwd=work, env=clean_environment(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"building the wheel failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    shutil.rmtree(src, ignore_errors=True)
    return next(dist.glob("iso20k-*.whl"))
