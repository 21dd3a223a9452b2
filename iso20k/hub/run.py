"""Plain functions behind ``iso20k hub`` and ``iso20k hub-sync``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..settings import Settings
from .accounts import AccountPlan, HubClient, sync_accounts
from .config import ROSTER_SYNC, check_settings, grader_account
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
    state = Path(settings.hub_state_dir)
    state.mkdir(parents=True, exist_ok=True)
    os.chdir(state)
    argv = hub_command(settings)
    os.execv(argv[0], argv)


def hub_api_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.hub_api_port}/hub/api/"


def sync_hub_accounts(settings: Settings, people: list[dict], *, dry_run: bool = False,
                      confirmed: bool = False) -> AccountPlan:
    client = HubClient(hub_api_url(settings), read_service_token(settings.hub_state_dir, ROSTER_SYNC))
    needs_os_account = settings.hub_authenticator == "pam" and not settings.hub_create_system_users
    return sync_accounts(people, client, dry_run=dry_run, max_share=settings.hub_roster_sync_share,
                         confirmed=confirmed, has_account=_os_account_exists if needs_os_account else None,
                         trainers=[t.strip() for t in settings.hub_trainers.split(",") if t.strip()])


def _os_account_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
