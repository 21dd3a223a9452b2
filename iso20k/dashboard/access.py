"""How a dashboard page's kernel learns, from the server and never from the browser, who is looking.

The server authenticates every request with a Jupyter Server ``IdentityProvider`` (the standard
hook, which JupyterHub's own single-user servers use too).  :class:`ViewerStamp`, mixed into that
provider, removes any ``X-Iso20k-Viewer`` header the browser sent and sets it to the signed name
of the authenticated user.  Voila hands exactly that header to the page's kernel (its
``http_header_envs`` setting): in the environment of a kernel started for the request, and
through Voila's request-info channel to a prepared (preheated) kernel waiting in
``wait_for_request()``.  The kernel accepts it only with a valid HMAC made with a key the server
process and its kernels share through their environment (``ISO20K_DASHBOARD_SIGNING_KEY``,
generated at every start, never on a command line), so a header that somehow came from a browser
is refused rather than believed.

- :class:`OperatorIdentityProvider` (the default): the single-user dashboard.  Token or, on
  127.0.0.1 only, no login; whoever gets in is the operator and sees the company.
- Behind JupyterHub, set ``ISO20K_DASHBOARD_IDENTITY_PROVIDER`` to a class that mixes
  :class:`ViewerStamp` into the hub's provider, e.g.::

      class HubViewerIdentityProvider(ViewerStamp, JupyterHubIdentityProvider):
          pass

  The stamp then carries the hub user's name and groups; the roster decides what they see.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from typing import Any

from jupyter_server.auth.identity import PasswordIdentityProvider

from ..settings import env_name, read_settings
from .kernel_log import log
from .viewer import Identity

HEADER = "X-Iso20k-Viewer"
#: The name under which Voila puts the header into the kernel's environment (RFC 3875 style).
KERNEL_ENV = "HTTP_" + HEADER.upper().replace("-", "_")
KEY_ENV = env_name("dashboard_signing_key")
#: A stamp older than this is refused (a prepared kernel receives it within seconds).
MAX_AGE_S = 600


def signing_key() -> bytes:
    """The key shared by the server and its kernels; made (in this process's environment, so
    kernels started afterwards inherit it) when missing."""
    configured = read_settings().dashboard_signing_key
    key = configured.get_secret_value() if configured else ""
    if not key:
        key = os.environ[KEY_ENV] = secrets.token_urlsafe(32)
    return key.encode()


def stamp(identity: Identity, key: bytes, now: float | None = None) -> str:
    body = base64.urlsafe_b64encode(json.dumps(
        {"name": identity.name, "groups": list(identity.groups), "operator": identity.operator,
         "at": int(now if now is not None else time.time())}, sort_keys=True).encode()).decode()
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def read_stamp(value: str | None, key: bytes, now: float | None = None) -> Identity | None:
    """The identity in a stamp, or None if it is missing, forged, altered or stale."""
    if not value or "." not in value or not key:
        return None
    body, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac, hmac.new(key, body.encode(), hashlib.sha256).hexdigest()):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode()))
        age = (now if now is not None else time.time()) - int(data["at"])
        if not 0 <= age <= MAX_AGE_S + 60 or not isinstance(data["name"], str):
            return None
        return Identity(data["name"], tuple(str(g) for g in data.get("groups", ())), bool(data["operator"]))
    except (ValueError, KeyError, TypeError):
        return None


def identity_from_environment(environ: dict | None = None) -> Identity | None:
    """In the page's kernel: who the server says is looking (None: nobody trustworthy)."""
    if environ is None:
        environ, configured = os.environ, read_settings().dashboard_signing_key
        key = configured.get_secret_value().encode() if configured else b""
    else:
        key = environ.get(KEY_ENV, "").encode()
    return read_stamp(environ.get(KERNEL_ENV), key)


class ViewerStamp:
    """Mix into any Jupyter Server ``IdentityProvider`` (first in the bases): after the provider
    authenticated a request, the request carries the signed name of that user, and only that."""

    #: True when everyone who gets in is the same operator (no per-user kernels to guard).
    one_operator = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._viewer_key = signing_key()

    def viewer_identity(self, user: Any) -> Identity:
        """The identity to stamp for an authenticated ``user`` (a jupyter_server ``User``)."""
        model = getattr(user, "hub_user", None) or {}
        groups = tuple(str(g) for g in model.get("groups", ()) or ())
        return Identity(str(getattr(user, "username", "") or model.get("name", "")), groups, False)

    async def get_user(self, handler):
        headers = handler.request.headers
        if HEADER in headers:
            del headers[HEADER]  # whatever the browser sent, it is not believed
        user = super().get_user(handler)
        if hasattr(user, "__await__"):
            user = await user
        if user is not None:
            headers[HEADER] = stamp(self.viewer_identity(user), self._viewer_key)
        return user


class OperatorIdentityProvider(ViewerStamp, PasswordIdentityProvider):
    """The single-user dashboard: a token (or, on 127.0.0.1 only, none); whoever passes is the
    operator who started it, seen as the operating-system user running the server."""

    one_operator = True

    def viewer_identity(self, user: Any) -> Identity:
        import getpass

        return Identity(getpass.getuser(), (), True)


def wait_for_request(timeout_s: float | None = None) -> bool:
    """In a prepared (preheated) page's kernel: wait until the page is served, then put the
    request information the server sends (the signed viewer among it) into this process's
    environment.  Voila's own ``voila.utils.wait_for_request`` does the same over the same channel
    (``/voila/query/<kernel id>``) but without proving who asks; the dashboard's server
    (:class:`iso20k.dashboard.kernel_owners` ``KernelQueryHandler``) answers only the kernel
    itself, which proves it with an HMAC made with its own connection key.  False when nothing
    came (the page then refuses: nobody vouched for a viewer)."""
    import asyncio
    import threading

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    from .kernel_owners import PROOF_HEADER, query_proof

    kernel_id = os.environ.get("VOILA_KERNEL_ID", "")
    from IPython import get_ipython

    key = getattr(getattr(getattr(get_ipython(), "kernel", None), "session", None), "key", None)
    if not key or not kernel_id:
        return False
    base = os.environ.get("VOILA_WS_BASE_URL") or os.environ.get("VOILA_SERVER_URL", "/")
    url = (f"ws://{os.environ.get('VOILA_APP_IP', '127.0.0.1')}:{os.environ.get('VOILA_APP_PORT', '8866')}"
           f"{base}voila/query/{kernel_id}")
    got: list[str] = []

    async def ask() -> None:
        ws = await websocket_connect(HTTPRequest(url, headers={PROOF_HEADER: query_proof(key, kernel_id)},
                                                 connect_timeout=10))
        try:
            message = await (asyncio.wait_for(ws.read_message(), timeout_s) if timeout_s else ws.read_message())
            if message is not None:
                got.append(message if isinstance(message, str) else message.decode())
        finally:
            ws.close()

    def run() -> None:
        try:
            asyncio.new_event_loop().run_until_complete(ask())
        except Exception as exc:  # noqa: BLE001 - no request info: the page refuses, never crashes
            log.warning("no request information: %s", exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join()
    if not got:
        return False
    for name, value in json.loads(got[0]).items():
        os.environ[str(name)] = str(value)
    return True
