"""Who is making a change, as the audit trail records it."""

from __future__ import annotations

import contextvars
import getpass
import os

from ..settings import Settings, get_settings

#: The person a server request acts for, set by the server's identity provider once the sign-in
#: is checked (e.g. a trainer in the shared formgrader, :mod:`iso20k.hub.grader_identity`).
REQUEST_ACTOR: contextvars.ContextVar[str | None] = contextvars.ContextVar("iso20k_request_actor", default=None)
#: That person's own hub token for the same request (the formgrader sends it with a manual grade
#: to the trail writer, which asks the hub whose it is).  Never logged or stored.
REQUEST_TOKEN: contextvars.ContextVar[str | None] = contextvars.ContextVar("iso20k_request_token", default=None)


def current_actor(settings: Settings | None = None) -> str:
    """The signed-in person of the current server request, else ISO20K_AUDIT_ACTOR, else
    JUPYTERHUB_USER, else the operating-system user."""
    if REQUEST_ACTOR.get():
        return REQUEST_ACTOR.get()
    settings = settings or get_settings()
    if settings.audit_actor:
        return settings.audit_actor
    if settings.jupyterhub_user:
        return settings.jupyterhub_user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
