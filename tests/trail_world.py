"""The records service (the trail writer) on a free port in this process, with a stand-in for the
hub's token check: ``tokens`` maps a token to the model the hub would return for it."""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from pathlib import Path

from browser import free_port

GRADERS = "formgrade-iso20k"


class HubTokens:
    """What ``HubAuth.user_for_token`` answers, for the tokens a test hands out."""

    def __init__(self, tokens: dict[str, dict]):
        self.tokens = tokens
        self.asked: list[str] = []

    def user_for_token(self, token, use_cache=True, session_id="", *, sync=True):
        self.asked.append(token)

        async def answer():
            return self.tokens.get(token)

        return answer()

    access_scopes: set[str] = set()  # no scope to check beyond the tokens known here

    def get_user(self, handler, sync=True):
        """The user of the request's ``Authorization: token`` (as the hub would answer)."""
        header = handler.request.headers.get("Authorization", "")
        return self.user_for_token(header[len("token "):] if header.startswith("token ") else "", sync=False)


def standard_tokens(grader_user: str) -> dict[str, dict]:
    return {
        "svc-formgrader": {"kind": "service", "name": "iso20k"},
        "svc-dashboard": {"kind": "service", "name": "dashboard"},
        "tok-anna": {"kind": "user", "name": "anna", "groups": [GRADERS]},
        "tok-ben": {"kind": "user", "name": "ben", "groups": [GRADERS]},
        "tok-learner": {"kind": "user", "name": "e100", "groups": ["dept-Service Desk"]},
        "tok-grader": {"kind": "user", "name": grader_user, "groups": [GRADERS]},
    }


@contextmanager
def trail_writer(data_dir: Path, tokens: dict[str, dict], port: int | None = None, **overrides):
    """Yields (base URL of the records service, the settings it runs with; ``overrides`` are more
    settings, e.g. the course folder whose gradebook it reads)."""
    from tornado.ioloop import IOLoop

    from iso20k.hub.records_service import make_app
    from iso20k.settings import Settings

    port = port or free_port()
    settings = Settings(data_dir=data_dir, db_url=f"sqlite:///{data_dir / 'progress.sqlite'}",
                        **{"hub_grader_user": "gr-test", **overrides})
    ready, box = threading.Event(), {}

    def run():
        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        app = make_app(settings, "/services/records/", hub_auth=HubTokens(tokens))
        box["server"] = app.listen(port, address="127.0.0.1")
        box["loop"] = loop
        loop.add_callback(ready.set)
        loop.start()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(60), "the records service did not start"
    try:
        yield f"http://127.0.0.1:{port}/services/records/", settings
    finally:
        loop = box["loop"]

        def stop():
            box["server"].stop()
            loop.stop()

        loop.add_callback(stop)
        thread.join(30)
