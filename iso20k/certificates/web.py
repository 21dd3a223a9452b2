"""The verification page: ``iso20k verify-server`` serves it; ``verification_handlers()`` can be
mounted by another Tornado application (the dashboard service) under its own prefix.

GET /verify/<code>  and  GET /verify?code=<code>   an HTML page in English and Chinese
add ?format=json for the same answer as JSON.  The page only reads the progress store."""

from __future__ import annotations

import json
from datetime import date
from html import escape
from typing import Callable

import tornado.web

from ..store import ProgressStore
from ..tracks import TRACK_TITLES
from .model import STATE_TEXT
from .verify import Verification, verify_code

_COLOURS = {"valid": "#2e7d32", "expiring": "#ef6c00", "expired": "#c62828", "revoked": "#c62828"}


def page(result: Verification | None) -> str:
    body = ['<form method="get" action=""><label>Certificate code · 证书验证码 '
            '<input name="code" size="32" autocomplete="off"></label> <button>Verify · 验证</button></form>']
    if result is not None:
        if not result.genuine:
            body.append(f'<h2 style="color:#c62828" data-result="not-genuine">Not genuine · 非真实证书</h2>'
                        f"<p>{escape(result.code)}: {escape(result.reason)}</p>")
        else:
            c = result.certificate
            en, zh = STATE_TEXT[result.state]
            rows = [("Holder · 持证人", f"{c.employee_name} ({c.employee_id})"),
                    ("Department · 部门", c.department),
                    ("Track · 课程", f"{TRACK_TITLES[c.track]['en']} · {TRACK_TITLES[c.track]['zh']}"),
                    ("Passed on · 通过日期", c.passed_on.isoformat()),
                    ("Score · 成绩", f"{c.score:g} / {c.max_score:g}"),
                    ("Valid until · 有效期至", c.valid_until.isoformat()),
                    ("Issued by · 发证单位", c.company),
                    ("SHA-256", c.sha256)]
            if result.state == "revoked":
                rows.append(("Revoked · 撤销", f"{c.revoked_at.date()}: {c.revoke_reason}"))
            table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
            body.append(f'<h2 data-result="genuine">Genuine · 真实证书 <code>{escape(c.code)}</code></h2>'
                        f'<p data-state="{result.state}" style="font-size:1.2em;color:{_COLOURS[result.state]}">'
                        f"{escape(en)} · {escape(zh)}</p><table>{table}</table>")
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Certificate verification · '
            '证书验证</title><style>body{font-family:sans-serif;margin:2em;max-width:52em}th{text-align:left;'
            'padding:3px 12px 3px 0;color:#555}</style></head><body><h1>Certificate verification · 证书验证</h1>'
            + "".join(body) + "</body></html>")


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
