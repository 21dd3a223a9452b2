"""Who is the learner?  One rule, used everywhere answers are recorded."""

from __future__ import annotations

import getpass

from .settings import JUPYTERHUB_USER, Settings, get_settings


def resolve_learner_id(settings: Settings | None = None, environ: dict | None = None) -> str:
    """The learner id to record answers under.

    1. ``JUPYTERHUB_USER`` when JupyterHub started the server (multi-user deployments);
    2. else the configured ``ISO20K_LEARNER_ID`` (single-user installs, the demo);
    3. else the operating-system user name.
    """
    settings = settings or get_settings()
    hub_user = (settings.jupyterhub_user if environ is None else environ.get(JUPYTERHUB_USER) or "").strip()
    if hub_user:
        return hub_user
    if settings.learner_id and settings.learner_id.strip():
        return settings.learner_id.strip()
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        return "unknown-learner"
