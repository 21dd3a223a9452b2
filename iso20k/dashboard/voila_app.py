"""The dashboard's Voila: Voila's standalone app with the handlers that let a kernel be used only
by the viewer it was served to (:mod:`.kernel_owners`).  Run as
``python -m iso20k.dashboard.voila_app <notebook>`` with the config file :mod:`.serve` writes.

Voila builds its routes in ``Voila.init_handlers``; this subclass swaps three of Voila's handler
classes for :mod:`.kernel_owners`' subclasses of them (the page, the request-info channel, the
shutdown call) and refuses to start if any is not found, so a Voila that changed its routes
cannot silently serve the unguarded ones.  The kernel websocket and ``/api/kernels/<id>`` are
guarded by the configured authorizer and websocket connection class (see :func:`.serve.dashboard_server`)."""

from __future__ import annotations

from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.handler import TornadoVoilaHandler

from .kernel_owners import OwnedKernelsAuthorizer, OwnedShutdownHandler, page_handler_class, query_handler_class


class DashboardVoilaError(RuntimeError):
    pass


class DashboardVoila(Voila):
    def init_handlers(self):
        swaps = {TornadoVoilaHandler: page_handler_class(), RequestInfoSocketHandler: query_handler_class(),
                 VoilaShutdownKernelHandler: OwnedShutdownHandler}
        found = set()
        handlers = []
        for route in super().init_handlers():
            cls = route[1]
            if cls in swaps:
                found.add(cls)
                route = (route[0], swaps[cls], *route[2:])
            handlers.append(route)
        needed = set(swaps) if self.voila_configuration.preheat_kernel else set(swaps) - {RequestInfoSocketHandler}
        if found != needed or not isinstance(self.authorizer, OwnedKernelsAuthorizer):
            raise DashboardVoilaError(
                f"this Voila's routes are not the ones iso20k guards (missing: {sorted(c.__name__ for c in needed - found)}"
                f", authorizer {type(self.authorizer).__name__}); refusing to serve the dashboard")
        return handlers


main = DashboardVoila.launch_instance

if __name__ == "__main__":
    main()
