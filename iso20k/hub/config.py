"""The product's JupyterHub configuration, built from the settings (``iso20k settings``).

``iso20k hub`` starts JupyterHub with ``jupyterhub_config.py`` beside this file, which calls
:func:`configure`.  Everything here is a setting or a fixed decision explained in
docs/deployment.md; a company adds its own (LDAP/OAuth, Kubernetes, TLS) in the file named by
``ISO20K_HUB_EXTRA_CONFIG``, loaded last.

Who reaches what (JupyterHub RBAC):
- every user (role ``user``): their own server, and the records service for themselves;
- the ``roster-sync`` service (``iso20k hub-sync``): users and groups, nothing else (it cannot
  reach servers, tokens, the proxy or other services);
- the ``records`` service: no hub rights at all; it only asks the hub who owns a token.
Later wings (the trainers' formgrader, the management dashboard) add their services and roles
through :data:`SERVICES` and :data:`ROLES` hooks in :func:`configure`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..lab_settings import LabLaunch, write_learner_lab_config
from ..settings import Settings
from .spawn import make_pre_spawn_hook
from .tokens import service_token

RECORDS = "records"
ROSTER_SYNC = "roster-sync"

#: Scopes of the roster-sync service: create, update and remove hub users and groups.
ROSTER_SYNC_SCOPES = ["admin:users", "admin:groups", "list:users", "read:users",
                     "list:groups", "read:groups"]


def _proxy_command() -> list[str]:
    """Debian's configurable-http-proxy.  Its modules live in /usr/share/nodejs, which a Node.js
    not built by Debian does not search, so the path is given explicitly."""
    found = shutil.which("configurable-http-proxy") or "/usr/bin/configurable-http-proxy"
    node_path = ":".join(p for p in ("/usr/share/nodejs", "/usr/lib/nodejs") if os.path.isdir(p))
    return ["/usr/bin/env", f"NODE_PATH={node_path}", found] if node_path else [found]


def records_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.hub_records_port}"


def service_environment(settings: Settings) -> dict[str, str]:
    """The settings a hub service needs, passed in its environment (never on its command line)."""
    return {**settings.environment(), "LANG": "C.UTF-8", "PATH": f"{settings.hub_python.parent}:/usr/bin:/bin"}


def learner_environment(settings: Settings, learner_config_dir: Path) -> dict[str, str]:
    """The environment of every learner's server: where the records are, the learner config."""
    return {"ISO20K_RECORDS_URL": records_url(settings) + f"/services/{RECORDS}/",
            "ISO20K_LANGUAGE": settings.language,
            "JUPYTER_CONFIG_PATH": str(learner_config_dir),
            "PATH": f"{settings.hub_python.parent}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8"}


def write_learner_config(settings: Settings, folder: Path) -> LabLaunch:
    """Jupyter configuration every learner's server reads (readable by all, writable by root):
    the learner JupyterLab of :mod:`iso20k.lab_settings` (no news, no nbgrader authoring or
    grading), and nbgrader's exchange for the Assignment List."""
    import json

    from ..grading.config import COURSE_ID

    launch = write_learner_lab_config(folder)
    (launch.folder / "nbgrader_config.json").write_text(json.dumps({
        "CourseDirectory": {"course_id": COURSE_ID},
        "Exchange": {"root": str(settings.exchange_dir), "path_includes_course": True},
    }, indent=1))
    for path in [launch.folder, *launch.folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return launch


class HubConfigError(ValueError):
    """A setting the hub cannot start with; the message says which and what to do."""


def check_settings(settings: Settings) -> None:
    course = Path(settings.course_root).resolve()
    if not settings.exchange_dir:
        raise HubConfigError("ISO20K_EXCHANGE_DIR is empty: the hub needs an nbgrader exchange outside the "
                             "course folder, e.g. ISO20K_EXCHANGE_DIR=/srv/nbgrader/exchange")
    if Path(settings.exchange_dir).resolve().is_relative_to(course):
        raise HubConfigError(f"ISO20K_EXCHANGE_DIR ({settings.exchange_dir}) is inside the course folder "
                             f"({course}), which learners may not enter: choose a folder outside it")
    if not Path(settings.hub_python).exists():
        raise HubConfigError(f"ISO20K_HUB_PYTHON ({settings.hub_python}) does not exist: install the course "
                             "into an environment every employee can read (see docs/deployment.md)")


def prepare_state(settings: Settings) -> Path:
    """The hub's state folder (0711: root lists it, learners may only enter its public parts)."""
    check_settings(settings)
    state = Path(settings.hub_state_dir)
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o711)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    Path(settings.data_dir).chmod(0o700)
    prepare_exchange(Path(settings.exchange_dir))
    return state


def prepare_exchange(exchange: Path) -> None:
    """nbgrader's exchange, laid out before any learner can touch it.  nbgrader makes the root
    world-writable (0777) on release; with the sticky bit set here first it stays 1777, so nobody
    can remove or replace another's entry, and the course's own folders exist, owned by root,
    before a learner could create them: ``outbound`` 0755 (everyone fetches), ``inbound`` 2733
    (everyone hands in, nobody but the trainers lists or reads what others handed in)."""
    from ..grading.config import COURSE_ID

    exchange.mkdir(parents=True, exist_ok=True)
    exchange.chmod(0o1777)
    course = exchange / COURSE_ID
    for folder, mode in ((course, 0o755), (course / "outbound", 0o755), (course / "inbound", 0o2733)):
        folder.mkdir(exist_ok=True)
        if folder.is_symlink() or folder.stat().st_uid != os.geteuid():
            raise HubConfigError(f"{folder} is not owned by the hub's user: someone else created it; remove it "
                                 "and start the hub again")
        folder.chmod(mode)


def configure(c, settings: Settings) -> None:
    """Fill JupyterHub config object ``c``."""
    state = prepare_state(settings)
    c.JupyterHub.ip = settings.hub_ip
    c.JupyterHub.port = settings.hub_port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = settings.hub_api_port
    c.JupyterHub.db_url = settings.hub_db_url or f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.ConfigurableHTTPProxy.command = _proxy_command()
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.ConfigurableHTTPProxy.auth_token = service_token(state, "proxy")

    # Login: operating-system accounts by default; only users the roster put on the hub.
    c.JupyterHub.authenticator_class = settings.hub_authenticator
    c.Authenticator.allow_all = False
    c.Authenticator.allow_existing_users = True
    c.LocalAuthenticator.create_system_users = settings.hub_create_system_users
    c.Authenticator.admin_users = {n.strip().lower() for n in settings.hub_admins.split(",") if n.strip()}

    # One server per employee, as their own operating-system user, on the course in their home.
    c.JupyterHub.spawner_class = settings.hub_spawner
    c.Spawner.cmd = [str(settings.hub_python.with_name("jupyterhub-singleuser"))]
    c.Spawner.notebook_dir = "~"
    c.Spawner.default_url = f"/lab/tree/{settings.hub_home_course_folder}/START_HERE.ipynb"
    learner_lab = write_learner_config(settings, state / "learner-config")
    c.Spawner.environment = learner_environment(settings, learner_lab.folder)
    c.Spawner.args = list(learner_lab.args)
    c.Spawner.pre_spawn_hook = make_pre_spawn_hook(settings)
    c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server",
                                     f"access:services!service={RECORDS}"]

    c.JupyterHub.services = [
        {"name": RECORDS, "url": records_url(settings), "display": False,
         "command": [str(settings.hub_python), "-m", "iso20k.hub.records_service"],
         "environment": service_environment(settings)},
        {"name": ROSTER_SYNC, "api_token": service_token(state, ROSTER_SYNC), "display": False},
    ]
    c.JupyterHub.load_roles = [
        {"name": "user", "scopes": ["self", f"access:services!service={RECORDS}"]},
        {"name": ROSTER_SYNC, "scopes": ROSTER_SYNC_SCOPES, "services": [ROSTER_SYNC]},
    ]
    if settings.hub_extra_config:
        c.merge(_load_config_file(settings.hub_extra_config))


def _load_config_file(path: Path):
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(path)
    return PyFileConfigLoader(path.name, str(path.parent)).load_config()
