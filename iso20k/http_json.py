"""One small JSON-over-HTTP call with a token, for the product's clients of its own services
(the records service, the hub's REST API).  Standard library only: the learner's kernel needs
nothing more to reach the records."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class HttpRefused(RuntimeError):
    """The server answered with an error status; ``message`` is its own explanation."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status} {message}")
        self.status, self.message = status, message


class HttpUnreachable(RuntimeError):
    """No answer at all (connection refused, time-out)."""


def call_json(url: str, token: str, method: str = "GET", body: Any = None, timeout_s: float = 30.0,
              **query) -> Any:
    """``method`` ``url`` with ``Authorization: token ...`` and a JSON body; the decoded reply."""
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as reply:
            raw = reply.read()
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("message") or exc.reason
        except Exception:  # noqa: BLE001 - a reply that is not JSON: its status line says enough
            message = exc.reason
        raise HttpRefused(exc.code, str(message)) from None
    except (urllib.error.URLError, OSError) as exc:
        raise HttpUnreachable(str(exc)) from None
    return json.loads(raw) if raw else None
