"""Plain functions behind ``iso20k hub`` and ``iso20k hub-sync``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..settings import Settings, env_name
from .accounts import AccountPlan, HubClient, sync_accounts
from .config import ROSTER_SYNC, HubConfigError, check_settings, dashboard_account, grader_account, records_account
from .tokens import read_service_token

CONFIG_FILE = Path(__file__).with_name("jupyterhub_config.py")


def hub_command(settings: Settings) -> list[str]:
    """The JupyterHub command line (no secret on it: tokens are read from the state folder)."""
    jupyterhub = Path(sys.executable).with_name("jupyterhub")
    return [str(jupyterhub), "-f", str(CONFIG_FILE)]


def run_hub(settings: Settings) -> None:
    """Replace this process with JupyterHub running the product's configuration."""
    check_settings(settings)
    if settings.hub_spawner == "localprocess" and os.geteuid() != 0:
        raise PermissionError("the hub starts each employee's server as their own operating-system user, "
                              "which needs root: run 'sudo iso20k hub' (or choose another ISO20K_HUB_SPAWNER)")
    grader_account(settings)  # said here, plainly, rather than inside the hub's start-up
    records_account(settings)
    dashboard_account(settings)
    state = Path(settings.hub_state_dir)
    state.mkdir(mode=0o711, parents=True, exist_ok=True)
    check_root_code_paths(settings)
    os.chdir(state)
    argv = hub_command(settings)
    os.execv(argv[0], argv)


def root_code_paths(settings: Settings) -> list[tuple[str, Path]]:
    """The folders the hub (root) reads code or configuration from at start: its Python, its
    configuration, the state folder it runs in, and Jupyter's folders named in its environment."""
    paths = [("the hub's Python", Path(sys.executable).parent), ("sys.prefix", Path(sys.prefix)),
             ("the hub's configuration", CONFIG_FILE.parent), (env_name("hub_state_dir"), Path(settings.hub_state_dir)),
             (env_name("hub_python"), Path(settings.hub_python).parent)]
    if settings.hub_extra_config:
        paths.append((env_name("hub_extra_config"), Path(settings.hub_extra_config)))
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_CONFIG_PATH", "JUPYTER_PATH", "JUPYTER_DATA_DIR",
                 "JUPYTER_RUNTIME_DIR", "PYTHONPATH"):
        paths += [(name, Path(p)) for p in os.environ.get(name, "").split(os.pathsep) if p]
    return paths


def check_root_code_paths(settings: Settings) -> None:
    """Refuse to start the hub as root from anything another account could change."""
    from ..private_paths import untrusted_reason

    for what, path in root_code_paths(settings):
        reason = untrusted_reason(path)
        if reason:
            raise HubConfigError(f"refusing to start the hub as root: {what} ({path}) can be changed by another "
                                 f"account: {reason}. Fix the owner or mode of that folder (root's code and "
                                 "configuration must be writable by root only).")


def hub_api_url(settings: Settings) -> str:
    return f"http://{settings.hub_api_host}:{settings.hub_api_port}/hub/api/"


def sync_hub_accounts(settings: Settings, people: list[dict], *, dry_run: bool = False,
                      confirmed: bool = False) -> AccountPlan:
    client = HubClient(hub_api_url(settings), read_service_token(settings.hub_state_dir, ROSTER_SYNC))
    needs_os_account = settings.hub_authenticator == "pam" and not settings.hub_create_system_users
    return sync_accounts(people, client, dry_run=dry_run, max_share=settings.hub_roster_sync_share,
                         confirmed=confirmed, has_account=_os_account_exists if needs_os_account else None,
                         trainers=settings.trainer_ids)


def _os_account_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
