"""Each dashboard kernel belongs to the one viewer whose page request it was handed to.

A page's kernel holds exactly what its viewer may see (a department, or the whole company), so
whoever holds a socket to it receives that.  Voila itself lets any logged-in user open the
websocket of any kernel whose id they know, and lets anybody (no login at all) open a prepared
kernel's request-info channel (``/voila/query/<kernel id>``) and take the next viewer's request
information.  The pieces here close that, through Voila's and Jupyter Server's own plug-in points
(see :mod:`.voila_app` for where each is installed):

- :data:`OWNERS` — kernel id -> the viewer it was served to.  A kernel is bound when the page
  request that uses it is served (:class:`OwnedPageHandler`), never before and never again to
  anyone else; a kernel nobody was served has no owner, so every socket to it is refused.
- :class:`OwnedKernelsAuthorizer` — every request on a kernel (its websocket, ``GET`` and
  ``DELETE /api/kernels/<id>``) is allowed only to its owner.
- :class:`OwnedShutdownHandler` — ``/voila/api/shutdown/<id>`` (the page's "I am closing") only
  for the owner.
- :class:`KernelQueryHandler` — the request-info channel is opened by the prepared kernel itself
  (``Dashboard.when_opened``), never by a browser: it must prove it is that kernel with an HMAC
  made with the kernel's own connection key (known only to the server's account and the kernel),
  only one such channel per kernel, and the request information goes only to it.
- :class:`PrivateConnectionFiles` — connection files named ``kernel-<random>.json`` (the kernel's
  id is on no command line, so not in ``/proc/<pid>/cmdline`` for other local users), written
  0600 by Jupyter in a folder only the dashboard's account can enter.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading

from jupyter_core.utils import ensure_async
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.base.handlers import APIHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web

from ..settings import read_settings

_log = logging.getLogger("iso20k.dashboard")

#: The header a prepared kernel sends on ``/voila/query/<kernel id>``.
PROOF_HEADER = "X-Iso20k-Kernel-Proof"
_PROOF_CONTEXT = b"iso20k-dashboard-request-info:"


def query_proof(key: bytes | str, kernel_id: str) -> str:
    """What only the kernel ``kernel_id`` (and the server that started it) can compute."""
    key = key.encode() if isinstance(key, str) else bytes(key)
    return hmac.new(key, _PROOF_CONTEXT + kernel_id.encode(), hashlib.sha256).hexdigest()


class KernelOwners:
    """Kernel id -> the user name whose page request it was handed to (this server process)."""

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()

    def bind(self, kernel_id: str, user: str) -> None:
        """Hand ``kernel_id`` to ``user``; a kernel is handed out once only."""
        if not kernel_id or not user:
            raise web.HTTPError(403)
        with self._lock:
            owner = self._owners.setdefault(kernel_id, user)
        if owner != user:
            raise web.HTTPError(403, f"kernel already served to {owner}")

    def owner(self, kernel_id: str | None) -> str | None:
        return self._owners.get(kernel_id or "")

    def forget(self, kernel_id: str) -> None:
        with self._lock:
            self._owners.pop(kernel_id, None)

    def __len__(self) -> int:
        return len(self._owners)


OWNERS = KernelOwners()


def user_name(user) -> str | None:
    name = getattr(user, "username", None)
    return str(name) if name else None


def allowed(kernel_id: str | None, user, identity_provider) -> bool:
    """May ``user`` use ``kernel_id``?  Only a served kernel, and behind a login that tells people
    apart (the hub), only by the viewer it was served to.  The single-operator dashboard
    (``one_operator``) has one viewer, so a served kernel is enough there."""
    owner = OWNERS.owner(kernel_id)
    if owner is None:
        return False
    if getattr(identity_provider, "one_operator", False):
        return True
    return owner == user_name(user)


def _kernel_id_of(handler) -> str | None:
    return getattr(handler, "kernel_id", None) or (getattr(handler, "path_kwargs", None) or {}).get("kernel_id")


class OwnedKernelsAuthorizer(Authorizer):
    """Requests on a kernel (its websocket; ``GET``/``DELETE /api/kernels/<id>``) only from the
    viewer it was served to; everything else as before (the identity provider decided who got in)."""

    def is_authorized(self, handler, user, action, resource) -> bool:
        if resource != "kernels":
            return True
        kernel_id = _kernel_id_of(handler)
        if allowed(kernel_id, user, self.identity_provider):
            return True
        handler.log.warning("dashboard: %s refused %s on kernel %s (served to %s)", user_name(user), action,
                            kernel_id, OWNERS.owner(kernel_id) or "nobody")
        return False


class PrivateConnectionFiles(AsyncMappingKernelManager):
    """The dashboard's kernel manager (Voila wraps it with its pool of prepared kernels): a
    kernel's connection file is ``kernel-<random>.json``, a name unrelated to the kernel's id,
    so ``ipykernel_launcher -f ...`` on the kernel's command line does not tell other local users
    the id; and a kernel's owner is forgotten when it is shut down."""

    def pre_start_kernel(self, kernel_name, kwargs):
        km, kernel_name, kernel_id = super().pre_start_kernel(kernel_name, kwargs)
        km.connection_file = os.path.join(self.connection_dir, f"kernel-{secrets.token_hex(16)}.json")
        # Channels over Unix sockets in the service's private runtime folder (the hub's
        # ISO20K_RUNTIME_DIR, 0700), never TCP on 127.0.0.1, where any local account could join a
        # kernel's IOPub and receive every widget's state (tests/test_hub_red_team.py).  A socket
        # path is limited to 107 bytes: with no short private folder the kernel stays on TCP.
        private = str(read_settings().runtime_dir or "")
        ip = os.path.join(private, f"k{secrets.token_hex(6)}-ipc")
        if private and len(ip.encode()) + 3 <= 107:
            km.transport, km.ip = "ipc", ip
        else:
            self.log.warning("dashboard kernels on TCP: no private runtime folder short enough for Unix sockets")
        return km, kernel_name, kernel_id

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        try:
            return await ensure_async(super().shutdown_kernel(kernel_id, *args, **kwargs))
        finally:
            OWNERS.forget(kernel_id)


class _BindOnServe:
    """The kernel manager as the page handler sees it: whichever kernel the page request gets
    (a prepared one, or one started for it) is bound to the request's authenticated viewer
    before anything of the page is sent."""

    def __init__(self, manager, handler) -> None:
        self._manager = manager
        self._handler = handler

    def __getattr__(self, name):
        return getattr(self._manager, name)

    def __contains__(self, kernel_id) -> bool:
        return kernel_id in self._manager

    def _bind(self, kernel_id: str) -> None:
        OWNERS.bind(kernel_id, user_name(self._handler.current_user))
        self._handler.log.info("dashboard: kernel %s served to %s", kernel_id, user_name(self._handler.current_user))

    async def get_rendered_notebook(self, *args, **kwargs):
        render_task, rendered, kernel_id = await self._manager.get_rendered_notebook(*args, **kwargs)
        self._bind(kernel_id)
        return render_task, rendered, kernel_id

    async def start_kernel(self, *args, **kwargs):
        kernel_id = await ensure_async(self._manager.start_kernel(*args, **kwargs))
        self._bind(kernel_id)
        return kernel_id


class PageSlots:
    """At most ``ISO20K_DASHBOARD_MAX_KERNELS`` pages served at once (each holds a kernel with what
    its viewer may see): the pages whose kernels are bound (:data:`OWNERS`) plus those being served
    now.  Taken and given back on the server's event loop only, so two requests arriving together
    cannot both take the last one."""

    def __init__(self) -> None:
        self.serving = 0

    def take(self, limit: int) -> bool:
        if len(OWNERS) + self.serving >= limit:
            return False
        self.serving += 1
        return True

    def give_back(self) -> None:
        self.serving -= 1


SLOTS = PageSlots()


def busy_page(retry_s: int) -> str:
    from ..texts.templating import macros

    return str(macros("iso20k.dashboard", "busy.html").page(retry_s))


def page_handler_class():
    from voila.tornado.handler import TornadoVoilaHandler

    class OwnedPageHandler(TornadoVoilaHandler):
        """Voila's page handler; the kernel the page gets is bound to the viewer it is served to.
        Beyond ``ISO20K_DASHBOARD_MAX_KERNELS`` pages at once, the viewer gets the busy page (503,
        both languages), which reloads itself until a page is closed or culled."""

        @property
        def kernel_manager(self):
            return _BindOnServe(self.settings["kernel_manager"], self)

        @web.authenticated
        async def get(self, *args, **kwargs):
            settings = read_settings()
            if not SLOTS.take(settings.dashboard_max_kernels):
                _log.warning("dashboard: busy (%d pages served); %s asked to wait", len(OWNERS),
                             user_name(self.current_user))
                self.set_status(503)
                self.set_header("Retry-After", str(settings.dashboard_busy_retry_s))
                self.set_header("Cache-Control", "no-store")
                self.set_header("Content-Type", "text/html; charset=utf-8")
                return self.finish(busy_page(settings.dashboard_busy_retry_s))
            try:
                return await super().get(*args, **kwargs)
            finally:
                SLOTS.give_back()

    return OwnedPageHandler


def query_handler_class():
    from voila.request_info_handler import RequestInfoSocketHandler

    class KernelQueryHandler(RequestInfoSocketHandler):
        """``/voila/query/<kernel id>``: only the kernel itself, once, proving it with its key."""

        async def get(self, *args, **kwargs):
            kernel_id = kwargs.get("kernel_id") or (args[0] if args else "")
            manager = self.settings["kernel_manager"]
            proof = self.request.headers.get(PROOF_HEADER, "")
            key = manager.get_kernel(kernel_id).session.key if kernel_id in manager else b""
            if not (key and proof and hmac.compare_digest(proof, query_proof(key, kernel_id))):
                _log.warning("dashboard: request-info channel of kernel %s refused to %s (not the kernel)",
                                 kernel_id, self.request.remote_ip)
                raise web.HTTPError(403)
            if kernel_id in RequestInfoSocketHandler._waiters:
                _log.warning("dashboard: a second request-info channel for kernel %s refused", kernel_id)
                raise web.HTTPError(409)
            return await super().get(*args, **kwargs)

        def open(self, kernel_id: str) -> None:
            RequestInfoSocketHandler._waiters[kernel_id] = self
            payload = RequestInfoSocketHandler._cache.pop(kernel_id, None)
            if payload is not None:
                self.write_message(payload)

        def on_close(self) -> None:
            for kernel_id, waiter in list(RequestInfoSocketHandler._waiters.items()):
                if waiter is self:
                    del RequestInfoSocketHandler._waiters[kernel_id]

        def check_origin(self, origin: str) -> bool:
            return False  # a kernel sends no Origin (tornado does not call this then); a browser does

    return KernelQueryHandler


class OwnedShutdownHandler(APIHandler):
    """``POST /voila/api/shutdown/<kernel id>`` (sent by a page being closed): the owner only."""

    @web.authenticated
    async def post(self, kernel_id):
        if not allowed(kernel_id, self.current_user, self.identity_provider):
            self.log.warning("dashboard: %s refused shutting down kernel %s", user_name(self.current_user), kernel_id)
            raise web.HTTPError(403)
        await ensure_async(self.kernel_manager.shutdown_kernel(kernel_id))
        self.set_status(204)
        self.finish()
