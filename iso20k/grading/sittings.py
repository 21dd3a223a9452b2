"""Sittings of a timed assessment: when each attempt started (the fetch), when it was handed in,
and the rules that follow (time limit plus grace, retakes), kept in the audit trail.

Trust model: the start of an attempt is the moment the trail recorded it (``exam-started``,
stamped by the trail writer's clock, hash-chained, never by a file in the learner's folder); the
grader counts the time limit from it and takes the attempt (which decides the form) from it too.
A hand-in counts from the later of its own time stamp and the trail's ``exam-handed-in`` entry,
so nothing the learner writes can make it earlier.  On one machine the learner's account is also
the trail writer's (as for every record there); on the hub the fetch runs as the learner, who may
not write the trail: the fetch and the hand-in ask the records service (the hub's trail writer,
``POST api/exam/sittings`` with the learner's own server token: the service takes the learner's
name from the hub, the assessment's minutes from the release and the moment from its own clock),
and the grader reads the sittings from it (``GET api/trail/sittings``, the formgrader's token).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

STARTED, HANDED_IN = "exam-started", "exam-handed-in"


class RetakeRefused(Exception):
    """A fetch that would start an attempt the retake rule does not allow; the message says why and when."""


@dataclass(frozen=True)
class Sitting:
    learner: str
    assignment: str
    attempt: int
    started_at: dt.datetime
    minutes: int
    handed_in_at: dt.datetime | None = None

    @property
    def deadline(self) -> dt.datetime:
        return self.started_at + dt.timedelta(minutes=self.minutes)

    def minutes_late(self, handed_in_at: dt.datetime, grace_minutes: int) -> float:
        """Minutes past the limit plus grace (0 when on time)."""
        late = (handed_in_at - self.deadline - dt.timedelta(minutes=grace_minutes)).total_seconds() / 60
        return max(0.0, round(late, 1))

    def as_dict(self) -> dict:
        return {"attempt": self.attempt, "started_at": self.started_at.isoformat(), "minutes": self.minutes,
                "deadline": self.deadline.isoformat()}


def _subject(learner: str, assignment: str) -> str:
    return f"{learner}/{assignment}"


class _Opened:
    """The store given, or the trail writer's opened (and closed) here."""

    def __init__(self, settings, store):
        self.given, self.settings = store, settings

    def __enter__(self):
        from ..store import trail_writer

        self.store = self.given if self.given is not None else trail_writer(self.settings)
        return self.store

    def __exit__(self, *exc):
        if self.given is None:
            self.store.close()


def _parse(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def read_sittings(store, learner: str | None = None, assignment: str | None = None
                  ) -> dict[tuple[str, str], list[Sitting]]:
    """Every sitting in the trail (of ``learner`` at ``assignment``, when both are given):
    (learner, assignment) -> sittings by attempt."""
    from ..store.trail import entries_of

    started: dict[tuple[str, str], dict[int, Sitting]] = {}
    handed: dict[tuple[str, str, int], dt.datetime] = {}
    subject = _subject(learner, assignment) if learner and assignment else None
    for entry in entries_of(store, (STARTED, HANDED_IN), subject):
        learner, _, assignment = entry.subject.partition("/")
        attempt = int(entry.details.get("attempt", 0))
        if entry.action == STARTED:
            started.setdefault((learner, assignment), {})[attempt] = Sitting(
                learner, assignment, attempt, _parse(entry.recorded_at), int(entry.details.get("minutes", 0)))
        else:
            handed[(learner, assignment, attempt)] = _parse(entry.recorded_at)
    out = {}
    for key, by_attempt in started.items():
        out[key] = [Sitting(**{**s.__dict__, "handed_in_at": handed.get((*key, s.attempt))})
                    for _, s in sorted(by_attempt.items())]
    return out


def start_or_resume(settings, learner: str, assignment: str, minutes: int, now: dt.datetime | None = None,
                    store=None, actor: str | None = None) -> tuple[Sitting, bool]:
    """The sitting a fetch by ``learner`` opens: the open attempt (resumed: same form, same clock),
    else a new one when the retake rule allows (recorded in the trail now), else RetakeRefused.
    Returns (sitting, whether it is new)."""
    from ..audit import append, current_actor

    with _Opened(settings, store) as opened:
        mine = read_sittings(opened, learner, assignment).get((learner, assignment), [])
        if mine and mine[-1].handed_in_at is None:
            return mine[-1], False
        if mine:
            last = mine[-1]
            if len(mine) >= settings.exam_max_attempts:
                raise RetakeRefused(f"{assignment}: all {settings.exam_max_attempts} attempts are used · "
                                    f"{assignment}：{settings.exam_max_attempts} 次机会已全部用完")
            allowed = last.handed_in_at + dt.timedelta(days=settings.exam_retake_wait_days)
            if (now or dt.datetime.now(dt.timezone.utc)) < allowed:
                when = allowed.astimezone().strftime("%Y-%m-%d %H:%M")
                raise RetakeRefused(f"{assignment}: a retake can be fetched from {when} · {assignment}：{when} 起可以补考")
        attempt = len(mine) + 1
        entry = append(opened, actor or current_actor(settings), STARTED, _subject(learner, assignment),
                       {"attempt": attempt, "minutes": minutes})
        return Sitting(learner, assignment, attempt, _parse(entry.recorded_at), minutes), True


def record_hand_in(settings, learner: str, assignment: str, store=None, actor: str | None = None,
                   now: dt.datetime | None = None) -> Sitting | None:
    """Record the hand-in of ``learner``'s open attempt, late or not (None when no attempt is open)."""
    from ..audit import append, current_actor

    with _Opened(settings, store) as opened:
        mine = read_sittings(opened, learner, assignment).get((learner, assignment), [])
        if not mine:
            return None
        sitting = mine[-1]
        late = sitting.minutes_late(now or dt.datetime.now(dt.timezone.utc), settings.exam_grace_minutes)
        append(opened, actor or current_actor(settings), HANDED_IN, _subject(learner, assignment),
               {"attempt": sitting.attempt, "minutes_late": late, "late": late > 0})
        return sitting


def to_json(sitting: Sitting) -> dict:
    return {**sitting.as_dict(), "learner": sitting.learner, "assignment": sitting.assignment,
            "handed_in_at": sitting.handed_in_at.isoformat() if sitting.handed_in_at else None}


def from_json(data: dict) -> Sitting:
    return Sitting(str(data["learner"]), str(data["assignment"]), int(data["attempt"]), _parse(data["started_at"]),
                   int(data["minutes"]), _parse(data["handed_in_at"]) if data.get("handed_in_at") else None)


def _service(settings, action: str, assignment: str) -> dict:
    """Ask the hub's records service (the trail writer) to open or hand in the learner's sitting."""
    from ..audit.trail_client import service_token
    from ..http_json import HttpRefused, HttpUnreachable, call_json

    token = service_token()
    if not token:
        raise RetakeRefused("no hub token (JUPYTERHUB_API_TOKEN) to reach the records service with; fetch from "
                            "your own server on the hub")
    try:
        return call_json(settings.records_url.rstrip("/") + "/api/exam/sittings", token, "POST",
                         {"assignment": assignment, "action": action}, 30)
    except HttpRefused as exc:
        raise RetakeRefused(f"the records service refused: {exc}") from None
    except HttpUnreachable as exc:
        raise RetakeRefused(f"the records service ({settings.records_url}) could not be reached: {exc}") from None


def open_sitting(settings, learner: str, assignment: str, minutes: int) -> tuple[Sitting, bool]:
    """:func:`start_or_resume` where the trail is: the records service on the hub, else the store."""
    if settings.records_url:
        reply = _service(settings, "start", assignment)
        return from_json(reply["sitting"]), bool(reply["new"])
    return start_or_resume(settings, learner, assignment, minutes)


def close_sitting(settings, learner: str, assignment: str) -> None:
    """:func:`record_hand_in` where the trail is."""
    if settings.records_url:
        _service(settings, "hand-in", assignment)
    else:
        record_hand_in(settings, learner, assignment)


def fetch_all(settings) -> dict[tuple[str, str], list[Sitting]]:
    """Every sitting, for the grader: from the trail writer on the hub, else from the store."""
    if settings.trail_url:
        from ..audit.trail_client import service_token
        from ..http_json import call_json

        reply = call_json(settings.trail_url.rstrip("/") + "/api/trail/sittings", service_token(), timeout_s=120)
        out: dict[tuple[str, str], list[Sitting]] = {}
        for data in reply["sittings"]:
            sitting = from_json(data)
            out.setdefault((sitting.learner, sitting.assignment), []).append(sitting)
        return out
    with _Opened(settings, None) as opened:
        return read_sittings(opened)


def sitting_of_hand_in(sittings: list[Sitting], handed_in_at: dt.datetime) -> Sitting | None:
    """The attempt a hand-in made at ``handed_in_at`` belongs to: the last one started before it."""
    before = [s for s in sittings if s.started_at <= handed_in_at]
    return before[-1] if before else None
