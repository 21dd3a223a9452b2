"""The trail writer's door for refused hand-ins (``POST api/trail/hand-ins`` of the records
service): on the hub the grader account may not write the audit trail, so ``nbgrader collect``
(the course's exchange, :mod:`iso20k.grading.exchange`) sends each quarantine here.

Only the trainers' formgrader service may call it (``Authorization: token`` must be the hub token
the hub gave that service; checked with the hub).  The entry's actor is that service; what the
caller says of itself (``claimed_by``) and of the hand-in is recorded as said, checked only for
shape: the trail proves *that* the formgrader reported a quarantine, when, and what it said."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor

from tornado import ioloop, web

from ..settings import Settings
from ..store import ProgressStore

log = logging.getLogger("iso20k.records")

ACTION = "hand-in-quarantined"
#: The fields a quarantine report carries, each a text of at most this many characters.
FIELDS = {"assignment": 200, "claimed_student": 200, "hand_in": 600, "owner": 200, "reason": 600,
          "quarantined_as": 800, "contents_sha256": 64, "claimed_by": 200}
REQUIRED = ("assignment", "claimed_student", "hand_in", "owner", "reason")


def checked_report(data) -> dict:
    """A quarantine report rebuilt field by field (nothing else passes); HTTP 400 when malformed."""
    if not isinstance(data, dict):
        raise web.HTTPError(400, "the request body must be a JSON object")
    out = {}
    for name, limit in FIELDS.items():
        value = data.get(name)
        if value is None and name not in REQUIRED:
            continue
        if not isinstance(value, str) or not value or len(value) > limit:
            raise web.HTTPError(400, f"{name} must be a text of 1 to {limit} characters")
        out[name] = value
    return out


class TrailHandIns(web.RequestHandler):
    MAX_BODY = 64 * 1024

    def initialize(self, store: ProgressStore, hub_auth, executor: ThreadPoolExecutor, settings: Settings,
                   formgrader: str):
        self.store, self.hub_auth, self.executor, self.iso20k, self.formgrader = (
            store, hub_auth, executor, settings, formgrader)

    def check_xsrf_cookie(self):  # tokens only
        return None

    def write_error(self, status_code, **kwargs):
        reason = kwargs.get("exc_info", (None, None))[1]
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": status_code,
                                "message": getattr(reason, "log_message", None) or self._reason}))

    async def post(self):
        from ..audit.chain import append
        from ..audit.verify import anchor_path

        header = self.request.headers.get("Authorization", "")
        token = header[6:].strip() if header.lower().startswith("token ") else ""
        caller = None
        if token:
            try:
                caller = await self.hub_auth.user_for_token(token, use_cache=False, sync=False)
            except Exception:  # noqa: BLE001 - a token the hub does not know is no identity
                caller = None
        if not caller or caller.get("kind") != "service" or caller.get("name") != self.formgrader:
            raise web.HTTPError(403, "only the trainers' formgrader service may report quarantined hand-ins")
        if len(self.request.body or b"") > self.MAX_BODY:
            raise web.HTTPError(413, "a quarantine report is small")
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise web.HTTPError(400, "the request body is not JSON") from None
        report = checked_report(data)
        subject = f"{report['claimed_student']}/{report['assignment']}"
        actor = f"service:{self.formgrader}"

        def write():
            return append(self.store, actor, ACTION, subject, report, anchor=anchor_path(self.iso20k))

        entry = await ioloop.IOLoop.current().run_in_executor(self.executor, write)
        log.info("trail: hand-in quarantined (%s), reported by %s", subject, actor)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"seq": entry.seq, "hash": entry.hash}))
