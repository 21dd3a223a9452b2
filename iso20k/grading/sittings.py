"""Sittings of a timed assessment: when each attempt started (the fetch), when it was handed in,
and the rules that follow (time limit plus grace, retakes), kept in the audit trail.

Trust model: the start of an attempt is the moment the trail recorded it (``exam-started``,
stamped by the trail writer's clock, hash-chained, never by a file in the learner's folder); the
grader counts the time limit from it and takes the attempt (which decides the form) from it too.
A hand-in counts from the later of its own time stamp and the trail's ``exam-handed-in`` entry,
so nothing the learner writes can make it earlier.  On one machine the learner's account is also
the trail writer's (as for every record there); on the hub the fetch runs as the learner, who may
not write the trail, so it needs a door of the records service (not built yet: see :func:`_store`).
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


def _store(settings):
    from ..store import trail_writer

    if getattr(settings, "trail_url", None):
        raise RetakeRefused("timed per-learner forms record the start through the trail writer, which on the hub "
                            "needs a door of the records service that is not built yet; fetch is refused")
    return trail_writer(settings)


def _parse(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def read_sittings(store) -> dict[tuple[str, str], list[Sitting]]:
    """Every sitting in the trail: (learner, assignment) -> sittings by attempt."""
    from ..audit import entries

    started: dict[tuple[str, str], dict[int, Sitting]] = {}
    handed: dict[tuple[str, str, int], dt.datetime] = {}
    for entry in entries(store):
        if entry.action not in (STARTED, HANDED_IN):
            continue
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


def start_or_resume(settings, learner: str, assignment: str, minutes: int,
                    now: dt.datetime | None = None) -> tuple[Sitting, bool]:
    """The sitting a fetch by ``learner`` opens: the open attempt (resumed: same form, same clock),
    else a new one when the retake rule allows (recorded in the trail now), else RetakeRefused.
    Returns (sitting, whether it is new)."""
    from ..audit import append, current_actor

    store = _store(settings)
    try:
        mine = read_sittings(store).get((learner, assignment), [])
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
        entry = append(store, current_actor(settings), STARTED, _subject(learner, assignment),
                       {"attempt": attempt, "minutes": minutes})
        return Sitting(learner, assignment, attempt, _parse(entry.recorded_at), minutes), True
    finally:
        store.close()


def record_hand_in(settings, learner: str, assignment: str) -> Sitting | None:
    """Record the hand-in of ``learner``'s open attempt (None when no attempt is open)."""
    from ..audit import append, current_actor

    store = _store(settings)
    try:
        mine = read_sittings(store).get((learner, assignment), [])
        if not mine:
            return None
        sitting = mine[-1]
        now = dt.datetime.now(dt.timezone.utc)
        late = sitting.minutes_late(now, settings.exam_grace_minutes)
        append(store, current_actor(settings), HANDED_IN, _subject(learner, assignment),
               {"attempt": sitting.attempt, "minutes_late": late, "late": late > 0})
        return sitting
    finally:
        store.close()


def sitting_of_hand_in(sittings: list[Sitting], handed_in_at: dt.datetime) -> Sitting | None:
    """The attempt a hand-in made at ``handed_in_at`` belongs to: the last one started before it."""
    before = [s for s in sittings if s.started_at <= handed_in_at]
    return before[-1] if before else None
