"""Build the product's wheel from a copy of the checkout (the build leaves nothing in the
repository), as a company would before installing it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
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


_INSTALLED: dict[str, Path] = {}


def install_product() -> Path:
    """The product's python in a virtual environment from Debian's Python (learners cannot run one
    under /root), installed from its built wheel as docs/deployment.md does.  Built and installed
    once per test run (the hub tests and the wheel test share it: building and installing takes a
    minute) into a world-readable folder of its own outside the repository, removed when the run
    ends."""
    if "python" not in _INSTALLED:
        _INSTALLED["python"] = _install_into(Path(tempfile.mkdtemp(prefix="iso20k-hub-product-")))
    return _INSTALLED["python"]


def installed_wheel() -> Path:
    """The wheel :func:`install_product` installed (built first when it has not run yet)."""
    install_product()
    return _INSTALLED["wheel"]


def _install_into(prefix: Path) -> Path:
    import atexit

    prefix.chmod(0o755)
    atexit.register(shutil.rmtree, prefix, True)
    venv = prefix / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", str(venv)], check=True)
    build = prefix / "build"
    build.mkdir()
    _INSTALLED["wheel"] = wheel = build_wheel(build)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    str(wheel)], check=True, env=clean_environment(), timeout=1200)
    for path in [venv, *venv.parents]:
        if path == Path("/"):
            break
        assert os.stat(path).st_mode & 0o005 == 0o005, f"{path} must be world-readable for learners' servers"
    return venv / "bin" / "python"
