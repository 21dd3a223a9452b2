"""One small JSON-over-HTTP call with a hub token, for the product's clients of its own services
(the records service and trail writer, the hub's REST API), through ``requests``."""

from __future__ import annotations

from typing import Any

import requests


class HttpRefused(RuntimeError):
    """The server answered with an error status; ``message`` is its own explanation."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status} {message}")
        self.status, self.message = status, message


class HttpUnreachable(RuntimeError):
    """No answer at all (connection refused, time-out), or an answer that is not JSON."""


def call_json(url: str, token: str, method: str = "GET", body: Any = None, timeout_s: float = 30.0,
              headers: dict[str, str] | None = None, **query) -> Any:
    """``method`` ``url`` with ``Authorization: token ...`` (and ``headers``), ``query`` as its query
    string and ``body`` as JSON; the decoded reply (None when empty)."""
    try:
        reply = requests.request(method, url, params=query or None, json=body, timeout=timeout_s,
                                 headers={"Authorization": f"token {token}", **(headers or {})})
    except requests.RequestException as exc:
        raise HttpUnreachable(str(exc)) from None
    if not reply.ok:
        try:
            message = reply.json().get("message") or reply.reason
        except (ValueError, AttributeError):  # a reply that is not JSON: its status line says enough
            message = reply.reason
        raise HttpRefused(reply.status_code, str(message))
    try:
        return reply.json() if reply.content else None
    except ValueError as exc:
        raise HttpUnreachable(f"the reply from {url} is not JSON ({exc})") from None
