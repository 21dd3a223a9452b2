"""The trail writer's door for refused hand-ins (``POST api/trail/hand-ins`` of the records
service, :class:`iso20k.hub.records_service.TrailHandIns`): on the hub the grader account may not
write the audit trail, so ``nbgrader collect`` (the course's exchange,
:mod:`iso20k.grading.exchange`) sends each quarantine here.  This module checks the report.

Only the trainers' formgrader service may call it (``Authorization: token`` must be the hub token
the hub gave that service; checked with the hub).  The entry's actor is that service; what the
caller says of itself (``claimed_by``) and of the hand-in is recorded as said, checked only for
shape: the trail proves *that* the formgrader reported a quarantine, when, and what it said."""

from __future__ import annotations

from tornado import web

ACTION = "hand-in-quarantined"
#: The fields a quarantine report carries, each a text of at most this many characters.
FIELDS = {"assignment": 200, "claimed_student": 200, "hand_in": 600, "owner": 200, "reason": 600,
          "quarantined_as": 800, "contents_sha256": 64, "claimed_by": 200}
REQUIRED = ("assignment", "claimed_student", "hand_in", "owner", "reason")
#: A quarantine report is small.
MAX_BODY = 64 * 1024


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
