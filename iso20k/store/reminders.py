"""The reminders table: each reminder, escalation and digest as one row per message and due step.

A message is *claimed* (a row in state ``sending``, committed) before it goes to the mail server,
and marked ``sent`` together with its audit-trail entry (one transaction, :func:`store.trail.recording`)
before the next message is claimed; so a run killed half-way leaves at most one row ``sending``,
which is never sent again (at most once).  ``retry``: the mail server put it off or the connection
was lost before it accepted the message, tried again by a later run; ``refused``: refused by the
mail server or given up after the last attempt, reported and not tried again.  What a reminder
means (its rules, its text, sending it) is :mod:`iso20k.reminders`'s; these are plain rows."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from . import tables
from .trail import Entry, recording

if TYPE_CHECKING:
    from .progress import ProgressStore

STATES = ("sending", "sent", "retry", "refused")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _row(r) -> dict:
    out = dict(r._mapping)
    out["covers"] = json.loads(out["covers"] or "[]")
    return out


def rows(store_or_conn, rule: str | None = None) -> list[dict]:
    """Every reminder row (optionally of one rule), oldest first, ``covers`` decoded; [] on a
    store older than the reminders."""
    r = tables.reminders
    query = select(r).order_by(r.c.id)
    if rule:
        query = query.where(r.c.rule == rule)
    if isinstance(store_or_conn, Connection):
        if not inspect(store_or_conn).has_table("reminders"):
            return []
        return [_row(x) for x in store_or_conn.execute(query)]
    with store_or_conn.reading() as conn:
        return rows(conn, rule)


def known(store: "ProgressStore") -> dict[tuple[str, str, str], dict]:
    """(rule, recipient, step) -> its row: what earlier runs sent, claimed, put off or refused."""
    return {(x["rule"], x["recipient"], x["step"]): x for x in rows(store)}


def chosen_languages(store: "ProgressStore") -> dict[str, str]:
    """Each learner's chosen language (the preferences table), by learner id."""
    p = tables.preferences
    with store.reading() as conn:
        return {lid: lang for lid, lang in conn.execute(select(p.c.learner_id, p.c.language))}


def claim(store: "ProgressStore", rule: str, recipient: str, step: str, address: str, department: str,
          covers: list[dict]) -> int | None:
    """Claim one message before it is sent: a new row ``sending``, or a ``retry`` row taken back
    into ``sending``.  Its id, or None when it is not to be sent (sent, being sent, or refused)."""
    r = tables.reminders
    now = _now()
    values = dict(address=address, department=department, covers=json.dumps(covers, ensure_ascii=False,
                                                                           sort_keys=True, default=str))
    with store.engine.begin() as conn:
        taken = conn.execute(update(r).where(and_(r.c.rule == rule, r.c.recipient == recipient, r.c.step == step,
                                                  r.c.state == "retry"))
                             .values(state="sending", updated_at=now, **values)).rowcount
        if taken:
            return conn.execute(select(r.c.id).where(and_(r.c.rule == rule, r.c.recipient == recipient,
                                                          r.c.step == step))).scalar()
    try:
        with store.engine.begin() as conn:
            result = conn.execute(insert(r).values(rule=rule, recipient=recipient, step=step, state="sending",
                                                   attempts=0, detail="", created_at=now, updated_at=now, **values))
            return int(result.inserted_primary_key[0])
    except IntegrityError:  # sent, being sent, or refused already
        return None


def mark_sent(store: "ProgressStore", reminder_id: int, actor: str, action: str, subject: str, details: dict,
              anchor: Path | None = None) -> Entry:
    """The message was accepted by the mail server: the row ``sent`` and its audit-trail entry,
    in one transaction (the trail's anchor follows after the commit)."""
    r = tables.reminders
    with recording(store, anchor) as rec:
        entry = rec.append(actor, action, subject, details)
        rec.conn.execute(update(r).where(r.c.id == reminder_id).values(
            state="sent", attempts=r.c.attempts + 1, updated_at=_now(), trail_seq=entry.seq, detail=""))
    return entry


def mark_failed(store: "ProgressStore", reminder_id: int, detail: str, refused: bool, max_attempts: int) -> str:
    """The message was not accepted: ``refused`` for good, else ``retry`` until the attempts
    reach ``max_attempts`` (then ``refused``).  Returns the new state."""
    r = tables.reminders
    with store.engine.begin() as conn:
        attempts = (conn.execute(select(r.c.attempts).where(r.c.id == reminder_id)).scalar() or 0) + 1
        state = "refused" if refused or attempts >= max_attempts else "retry"
        conn.execute(update(r).where(r.c.id == reminder_id).values(state=state, attempts=attempts,
                                                                   detail=detail[:2000], updated_at=_now()))
    return state


def refused_addresses(store: "ProgressStore") -> dict[str, str]:
    """Addresses a mail server refused for good (a 5xx answer), with its answer: nothing more is
    sent to them until the roster gives the person another address.  (A message given up after
    its attempts holds back only itself.)"""
    return {x["address"].lower(): x["detail"] for x in rows(store)
            if x["state"] == "refused" and x["detail"][:1] == "5"}
