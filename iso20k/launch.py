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


def jupyter_code_paths(env: dict[str, str]) -> list[tuple[str, Path]]:
    """The folders a Jupyter server started with ``env`` reads configuration, extensions and code
    from at start (its config and data paths, runtime folder, IPython's folder, this Python)."""
    from jupyter_core import paths as jpaths

    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        found = [("a Jupyter config folder", Path(p)) for p in jpaths.jupyter_config_path()]
        found += [("a Jupyter data folder", Path(p)) for p in jpaths.jupyter_path()]
        found.append(("JUPYTER_RUNTIME_DIR", Path(jpaths.jupyter_runtime_dir())))
        home = Path(env.get("HOME") or os.path.expanduser("~"))
        found.append(("IPYTHONDIR", Path(env.get("IPYTHONDIR") or home / ".ipython")))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    found += [("the Python that runs it", Path(sys.executable).parent), ("sys.prefix", Path(sys.prefix))]
    found += [("PYTHONPATH", Path(p)) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    return found


def as_root_checked(env: dict[str, str], cwd: Path, data_dir: Path, runtime_dir: Path | None,
                    what: str) -> dict[str, str]:
    """When this process is root (a fresh server or container, ``scripts/start.sh`` under sudo):
    ``env`` with Jupyter's runtime folder moved into a fresh root-only folder, after checking that
    nothing the server reads code or configuration from (its working folder, every Jupyter path,
    this Python) can be changed by another account.  Raises :class:`iso20k.private_paths.UntrustedPathError`
    with the folder and what to do.  Other accounts: ``env`` unchanged (their own files)."""
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        return env
    from .private_paths import make_private_dir, private_runtime_root, require_trusted

    env = dict(env)
    runtime = make_private_dir(private_runtime_root(Path(data_dir), runtime_dir), "jupyter-")
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    require_trusted(cwd, f"the working folder of {what} (run as root)")
    for name, path in jupyter_code_paths(env):
        require_trusted(path, f"{name} of {what} (run as root)")
    return env
