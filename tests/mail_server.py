"""A real SMTP server for tests (aiosmtpd): STARTTLS required before AUTH LOGIN/PLAIN, or implicit
TLS, with a certificate from a throwaway CA (trustme); it keeps every message it accepted, can
refuse chosen recipients (550) and can drop the connection instead of accepting the (k+1)-th
message, as a mail server that crashes mid-run does."""

from __future__ import annotations

import socket
import ssl
from email import message_from_bytes, policy
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "reminders"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    def __init__(self, refuse: set[str], drop_after: int | None):
        self.refuse = {a.lower() for a in refuse}
        self.drop_after = drop_after
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_after is not None and len(self.raw) >= self.drop_after:
            server.transport.close()  # gone before it accepted the message
            return "421 gone"
        self.raw.append(envelope.original_content or envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Accepted"


class MailServer:
    """``with MailServer(folder, password) as server:`` ... ``server.messages()``."""

    def __init__(self, folder: Path, password: str, *, implicit_tls: bool = False, refuse: set[str] = frozenset(),
                 drop_after: int | None = None):
        self.ca = trustme.CA()
        self.ca_file = Path(folder) / "mail-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self.password = password
        self.handler = Handler(set(refuse), drop_after)
        self.port = free_port()
        self.implicit_tls = implicit_tls
        # implicit TLS: the whole connection is TLS (aiosmtpd does not see that, so it is not told to
        # require TLS for the login); STARTTLS: required before the login
        tls = {"ssl_context": context, "auth_require_tls": False} if implicit_tls else \
            {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, authenticator=self._auth,
                                     auth_required=True, **tls)

    def _auth(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
            and auth_data.password == self.password.encode()
        if ok:
            self.handler.logins.append(mechanism)
        return AuthResult(success=ok, handled=False)

    def settings(self) -> dict:
        """The mail settings that reach this server (as Settings keyword arguments)."""
        return dict(smtp_host="127.0.0.1", smtp_port=self.port, smtp_security="tls" if self.implicit_tls else "starttls",
                    smtp_username=USER, smtp_ca_file=self.ca_file)

    def messages(self):
        return [message_from_bytes(raw, policy=policy.default) for raw in self.handler.raw]

    def __enter__(self) -> "MailServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
