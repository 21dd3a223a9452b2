"""Send statements to an external Learning Record Store (xAPI ``POST /statements``), in batches,
with HTTP basic authentication from the settings.  Credentials never appear in messages."""

from __future__ import annotations

import requests

from ..settings import Settings


class LrsError(RuntimeError):
    pass


def send(statements: list[dict], settings: Settings, batch: int = 200, timeout: float = 60) -> int:
    """Post every statement; returns how many the LRS accepted.  Stops at the first refusal."""
    if not settings.lrs_url:
        raise LrsError("No Learning Record Store is set: set ISO20K_LRS_URL (and ISO20K_LRS_USERNAME, "
                       "ISO20K_LRS_PASSWORD).")
    url = settings.lrs_url.rstrip("/") + "/statements"
    with requests.Session() as session:
        session.headers["X-Experience-API-Version"] = "1.0.3"
        if settings.lrs_username:
            # UTF-8 (RFC 7617), as bytes: requests would send text as Latin-1
            session.auth = (settings.lrs_username.encode(),
                            (settings.lrs_password.get_secret_value() if settings.lrs_password else "").encode())
        sent = 0
        for start in range(0, len(statements), batch):
            chunk = statements[start:start + batch]
            try:
                reply = session.post(url, json=chunk, timeout=timeout)
            except requests.RequestException as exc:
                raise LrsError(f"Cannot reach the LRS at {url}: {exc}. {sent} statements "
                               "were accepted before.") from None
            if not reply.ok:
                raise LrsError(f"The LRS at {url} refused statements {start + 1}-{start + len(chunk)}: HTTP "
                               f"{reply.status_code} {reply.reason}. {sent} were accepted before.")
            sent += len(chunk)
    return sent
