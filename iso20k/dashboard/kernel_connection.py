"""The websocket between a dashboard page and its kernel, narrowed to what widgets need.

Voila's standalone app already refuses to pass a client's ``execute_request`` (only comm and
info messages go in).  This class narrows the other direction: only widget (comm), status and
info messages come out, so a widget message that makes the kernel raise an error (an index no
list has, a value no date is) cannot send a traceback, or anything the kernel prints, to a browser.

It also ties each page's kernel to the person who first connected to it: a page's kernel holds what
that person may see, so when people log in separately (behind JupyterHub), another logged-in user
who learns the kernel's id is refused its websocket.
"""

from __future__ import annotations

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from tornado import web

OUTGOING = frozenset({"status", "comm_open", "comm_msg", "comm_close", "comm_info_reply",
                      "kernel_info_reply", "shutdown_reply"})


class DashboardKernelConnection(ZMQChannelsWebsocketConnection):
    """Passes only :data:`OUTGOING` message types from the kernel to the page, and only to the
    user the kernel's page belongs to."""

    #: kernel id -> the user name that first connected to it (per server process).
    owners: dict[str, str] = {}

    async def prepare(self):
        handler = self.websocket_handler
        if not getattr(handler.identity_provider, "one_operator", False):
            name = getattr(handler.current_user, "username", None)
            live = set(self.multi_kernel_manager.list_kernel_ids())
            for kernel_id in [k for k in self.owners if k not in live]:
                del self.owners[kernel_id]
            owner = self.owners.setdefault(self.kernel_id, name)
            if name is None or owner != name:
                self.log.warning("dashboard: %s refused the kernel of %s's page", name, owner)
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
