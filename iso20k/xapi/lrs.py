"""Send statements to an external Learning Record Store (xAPI ``POST /statements``), in batches,
with HTTP basic authentication from the settings.  Credentials never appear in messages."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

from ..settings import Settings


class LrsError(RuntimeError):
    pass


def send(statements: list[dict], settings: Settings, batch: int = 200, timeout: float = 60) -> int:
    """Post every statement; returns how many the LRS accepted.  Stops at the first refusal."""
    if not settings.lrs_url:
        raise LrsError("No Learning Record Store is set: set ISO20K_LRS_URL (and ISO20K_LRS_USERNAME, "
                       "ISO20K_LRS_PASSWORD).")
    url = settings.lrs_url.rstrip("/") + "/statements"
    headers = {"Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"}
    if settings.lrs_username:
        secret = settings.lrs_password.get_secret_value() if settings.lrs_password else ""
        token = base64.b64encode(f"{settings.lrs_username}:{secret}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    sent = 0
    for start in range(0, len(statements), batch):
        chunk = statements[start:start + batch]
        request = urllib.request.Request(url, data=json.dumps(chunk, ensure_ascii=False).encode("utf-8"),
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise LrsError(f"The LRS at {url} refused statements {start + 1}-{start + len(chunk)}: HTTP "
                           f"{exc.code} {exc.reason}. {sent} were accepted before.") from None
        except (urllib.error.URLError, OSError) as exc:
            raise LrsError(f"Cannot reach the LRS at {url}: {getattr(exc, 'reason', exc)}. {sent} statements "
                           "were accepted before.") from None
        sent += len(chunk)
    return sent
