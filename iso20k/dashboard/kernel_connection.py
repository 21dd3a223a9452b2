"""The websocket between a dashboard page and its kernel, narrowed to what widgets need.

Voila's standalone app already refuses to pass a client's ``execute_request`` (only comm and
info messages go in).  This class narrows the other direction: only widget (comm), status and
info messages come out, so a widget message that makes the kernel raise an error (an index no
list has, a value no date is) cannot send a traceback, or anything the kernel prints, to a browser.

It also lets only the viewer a kernel was served to connect (:mod:`.kernel_owners`; checked by the
server's authorizer too): a page's kernel holds what that person may see, so another logged-in
user who learns the kernel's id is refused its websocket, and a prepared kernel nobody has been
served yet refuses every socket.
"""

from __future__ import annotations

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from tornado import web

from .kernel_owners import OWNERS, allowed, user_name

OUTGOING = frozenset({"status", "comm_open", "comm_msg", "comm_close", "comm_info_reply",
                      "kernel_info_reply", "shutdown_reply"})


class DashboardKernelConnection(ZMQChannelsWebsocketConnection):
    """Passes only :data:`OUTGOING` message types from the kernel to the page, and only to the
    viewer the kernel's page was served to."""

    async def prepare(self):
        handler = self.websocket_handler
        if not allowed(self.kernel_id, handler.current_user, handler.identity_provider):
            self.log.warning("dashboard: %s refused the socket of kernel %s (served to %s)",
                             user_name(handler.current_user), self.kernel_id, OWNERS.owner(self.kernel_id) or "nobody")
            raise web.HTTPError(403)
        await super().prepare()

    def handle_outgoing_message(self, stream, outgoing_msg) -> None:
        try:
            _, parts = self.session.feed_identities(outgoing_msg)
            msg_type = self.session.unpack(parts[1]).get("msg_type")
        except Exception:  # noqa: BLE001 - a message we cannot read is not one we pass on
            return
        if msg_type in OUTGOING:
            super().handle_outgoing_message(stream, outgoing_msg)
        else:
            self.log.debug("dashboard: kept %s message from the page", msg_type)
