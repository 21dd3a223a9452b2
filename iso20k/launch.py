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


def lab_command(settings: Settings, open_browser: bool = True, extra_args: list[str] = (),
                root: Path | None = None, default_url: str | None = None, port: int | None = None) -> list[str]:
    """``jupyter lab`` on the course, opening the start page (``extra_args`` e.g. from
    :func:`iso20k.lab_settings.write_learner_lab_config`).  ``root``: the folder it serves (default
    :func:`lab_root`; a learner's own folder: :func:`learner_folder`), ``default_url`` the page it
    opens (default the start page), ``port`` (default ISO20K_LAB_PORT)."""
    if root is None:
        root = lab_root(settings)
        start = settings.course_dir.resolve().relative_to(root) / "START_HERE.ipynb"
        default_url = default_url or f"/lab/tree/{start.as_posix()}"
    default_url = default_url or "/lab/tree/START_HERE.ipynb"
    argv = [_jupyter(), "lab", f"--ServerApp.root_dir={root}",
            f"--ServerApp.ip={settings.lab_ip}", f"--ServerApp.port={port or settings.lab_port}",
            f"--LabApp.default_url={default_url}", f"--ServerApp.jpserver_extensions={AUDIT_EXTENSION}=True"]
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


# -- one machine: the learner's own folder and the trainer's lab ----------------------------------

def learner_folder(settings: Settings, learner_id: str) -> Path:
    """The learner's own folder on one machine (``<ISO20K_LEARNERS_DIR>/<learner id>``): a delivered
    copy of the course, where JupyterLab opens and fetched assessments land."""
    from .roster.validate import check_employee_id

    problem = check_employee_id(learner_id)
    if problem:  # the id becomes a folder name: nothing like '../x' or '/'
        raise ValueError(f"learner id {learner_id!r} cannot name a learner's folder: {problem}")
    base = settings.learners_dir or Path(settings.data_dir) / "learners"
    return Path(base).resolve() / learner_id


def deliver_learner_folder(settings: Settings, learner_id: str):
    """Deliver the course notebooks (``ISO20K_COURSE_DIR``) into the learner's folder exactly as the
    hub delivers them into a home: into its ``ISO20K_HUB_HOME_COURSE_FOLDER`` (``iso20k-course``)
    with :func:`iso20k.hub.deliver.deliver` (new and unchanged lessons updated, a lesson the learner
    changed kept with the new version beside it).  Only the learners' notebooks and pictures are
    copied: no answer keys, exams, gradebook or hand-ins.  nbgrader fetches assessments beside it,
    into ``iso20k/`` (the course id), which is why the course is one folder down: a notebook run
    in a folder holding ``iso20k/`` would import that folder instead of the package.  Returns the
    folder and what was delivered."""
    from .hub.deliver import deliver

    folder = learner_folder(settings, learner_id)
    folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.mkdir(exist_ok=True, mode=0o700)
    folder.chmod(0o700)  # the learner's work is theirs (other accounts of the machine never read it)
    return folder, deliver(Path(settings.course_dir).resolve(), folder / settings.hub_home_course_folder)


def learner_start_url(settings: Settings) -> str:
    """The start page in the learner's lab (rooted at the learner's folder), as on the hub."""
    return f"/lab/tree/{settings.hub_home_course_folder}/START_HERE.ipynb"


def learner_nbgrader_config(settings: Settings, learner_id: str) -> Path:
    """nbgrader's configuration for the learner's Assignment List on one machine (a folder for
    ``JUPYTER_CONFIG_PATH``): the course, its exchange, the course's exchange plugins, and the
    learner id as nbgrader's student id, so a hand-in is named for the learner (not for the
    operating-system account every learner of this machine shares), and the learner's own nbgrader
    cache (where nbgrader keeps copies of hand-ins and finds the feedback to fetch)."""
    import json

    from .grading.config import EXCHANGE_FACTORY, exchange_root
    from .settings import COURSE_ID

    folder = Path(learner_lab_config_dir(settings)) / "nbgrader" / learner_id
    folder.mkdir(parents=True, exist_ok=True)
    # nbgrader keeps a copy of each hand-in in its cache and looks there for the feedback to
    # fetch, whoever handed it in: each learner of this machine has a cache of their own.
    cache = Path(settings.data_dir).resolve() / "nbgrader-cache" / learner_id
    cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps({
        "CourseDirectory": {"course_id": COURSE_ID, "student_id": learner_id},
        "Exchange": {"root": str(exchange_root(Path(settings.course_root).resolve(), settings)),
                     "path_includes_course": True, "cache": str(cache)},
        "ExchangeFactory": EXCHANGE_FACTORY,
    }, indent=1, sort_keys=True) + "\n"
    target = folder / "nbgrader_config.json"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return folder


def workspaces_dir(settings: Settings, who: str) -> Path:
    """JupyterLab's saved layouts (open tabs) of one server: the learner's and the trainer's labs
    share a home on one machine, and neither should reopen the other's files."""
    folder = Path(settings.data_dir) / "lab-workspaces" / who
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


TRAINER_TOKEN_FILE = "trainer-lab-token"


def trainer_token(settings: Settings) -> tuple[str, Path]:
    """The trainer lab's login token, kept in a file only this account reads (made on first use)."""
    import secrets

    path = Path(settings.data_dir) / TRAINER_TOKEN_FILE
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        token = ""
    if not token:
        path.parent.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(token + "\n")
    path.chmod(0o600)
    return token, path


def trainer_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.lab_ip in ("0.0.0.0", "") else settings.lab_ip
    return f"http://{host}:{settings.trainer_lab_port}/formgrader"


def learner_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.lab_ip in ("0.0.0.0", "") else settings.lab_ip
    return f"http://{host}:{settings.lab_port}{learner_start_url(settings)}"


def trainer_lab_command(settings: Settings, open_browser: bool = False) -> list[str]:
    """The trainer's JupyterLab on one machine: on the course folder (nbgrader reads its
    ``nbgrader_config.py`` there), with nbgrader's formgrader (*Nbgrader ▸ Formgrader*) and the
    audit extension that records manual grades, opening on formgrader."""
    course = Path(settings.course_root).resolve()
    return lab_command(settings, open_browser=open_browser, root=course, default_url="/formgrader",
                       port=settings.trainer_lab_port,
                       extra_args=[f"--LabApp.workspaces_dir={workspaces_dir(settings, 'trainer')}"])
