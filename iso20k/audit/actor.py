"""Who is making a change, as the audit trail records it."""

from __future__ import annotations

import getpass
import os

from ..settings import Settings, get_settings


def current_actor(settings: Settings | None = None) -> str:
    """ISO20K_AUDIT_ACTOR, else JUPYTERHUB_USER, else the operating-system user."""
    settings = settings or get_settings()
    if settings.audit_actor:
        return settings.audit_actor
    if os.environ.get("JUPYTERHUB_USER"):
        return os.environ["JUPYTERHUB_USER"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
