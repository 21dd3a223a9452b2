"""The verification page: ``iso20k verify-server`` serves it; ``verification_handlers()`` can be
mounted by another Tornado application (the dashboard service) under its own prefix.

GET /verify/<code>  and  GET /verify?code=<code>   an HTML page in English and Chinese
add ?format=json for the same answer as JSON.  The page only reads the progress store."""

from __future__ import annotations

import json
from datetime import date
from typing import Callable

import tornado.web

from ..store import ProgressStore
from ..texts import N_, pt, t
from ..texts.templating import html_parts
from ..tracks import track_title
from .model import STATE_TEXTS
from .verify import Verification, verify_code

CERTIFICATE = "certificates table"  # the texts' context: a certificate's fields

_COLOURS = {"valid": "#2e7d32", "expiring": "#ef6c00", "expired": "#c62828", "revoked": "#c62828"}


def page(result: Verification | None) -> str:
    """The page: the form, and what ``result`` says (none: the form alone)."""
    rows, colour = [], ""
    if result is not None and result.genuine:
        c = result.certificate
        rows = [(both(N_("Holder")), f"{c.employee_name} ({c.employee_id})"),
                (both(N_("Department")), c.department),
                (f"{pt(CERTIFICATE, 'Track', 'en')} · {pt(CERTIFICATE, 'Track', 'zh')}",
                 f"{track_title(c.track, 'en')} · {track_title(c.track, 'zh')}"),
                (both(N_("Passed on")), c.passed_on.isoformat()),
                (both(N_("Score")), f"{c.score:g} / {c.max_score:g}"),
                (both(N_("Valid until")), c.valid_until.isoformat()),
                (both(N_("Issued by")), c.company),
                ("SHA-256", c.sha256)]
        if result.state == "revoked":
            rows.append((both(N_("Revoked")), f"{c.revoked_at.date()}: {c.revoke_reason}"))
        colour = _COLOURS[result.state]
    return html_parts("iso20k.certificates", "verify.html").page(result, rows, colour, STATE_TEXTS)


def both(text: str) -> str:
    """``text`` in English and Chinese: "English · 中文"."""
    return f"{t(text, 'en')} · {t(text, 'zh')}"


class VerifyHandler(tornado.web.RequestHandler):
    def initialize(self, store: ProgressStore, warning_days: int, today: Callable[[], date]) -> None:
        self.store, self.warning_days, self.today = store, warning_days, today

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")

    def get(self, code: str | None = None) -> None:
        code = code or self.get_query_argument("code", "")
        result = verify_code(self.store, code, self.today(), self.warning_days) if code else None
        if self.get_query_argument("format", "") == "json":
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.write(json.dumps(result.as_dict() if result else {}, ensure_ascii=False))
            return
        if result is not None and not result.genuine:
            self.set_status(404)
        self.write(page(result))


def verification_handlers(store: ProgressStore, warning_days: int, prefix: str = "",
                          today: Callable[[], date] = date.today) -> list:
    args = dict(store=store, warning_days=warning_days, today=today)
    return [(rf"{prefix}/verify/?", VerifyHandler, args), (rf"{prefix}/verify/([^/]+)", VerifyHandler, args)]


def make_app(store: ProgressStore, warning_days: int) -> tornado.web.Application:
    return tornado.web.Application(verification_handlers(store, warning_days))


def serve(store: ProgressStore, warning_days: int, ip: str, port: int) -> None:  # pragma: no cover - runs forever
    import asyncio

    async def main():
        make_app(store, warning_days).listen(port, address=ip)
        await asyncio.Event().wait()

    asyncio.run(main())
