"""One run of ``iso20k remind``: read the record, work out the messages the rules call for on the
day, leave out what earlier runs sent, and send the rest, each claimed in the progress store before
it goes out and recorded as sent (with its audit-trail entry) before the next one; or, with
``dry_run``, only say who would get what (nothing sent, nothing written)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ..audit import current_actor
from ..banks import load_catalog
from ..certificates.registry import certificates
from ..competence import load_requirements
from ..competence.records import load_records
from ..results.training import course_modules
from ..settings import Settings
from ..store import ProgressStore, trail_writer
from ..store import reminders as stored
from ..store.roster import roster
from .messages import NextLesson, compose
from .rules import Plan, Reminder, World, pending, plan
from .smtp import ConnectionLost, Mailer, check_mail_settings

#: The audit trail's action for each rule's sent message.
ACTIONS = {"before-due": "reminder-sent", "overdue": "reminder-sent", "certificate": "reminder-sent",
           "escalation": "escalation-sent", "digest": "digest-sent"}


@dataclass
class RunReport:
    as_of: date
    dry_run: bool
    plan: Plan | None = None
    to_send: list[Reminder] = field(default_factory=list)
    held: list[tuple[Reminder, str]] = field(default_factory=list)
    sent: list[tuple[Reminder, str]] = field(default_factory=list)  # with its subject
    refused: list[tuple[Reminder, str]] = field(default_factory=list)
    put_off: list[tuple[Reminder, str]] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)  # claimed by a run that stopped while sending
    left: list[Reminder] = field(default_factory=list)  # over the cap: the next run
    stopped: str = ""

    @property
    def ok(self) -> bool:
        return not self.stopped

    def lines(self) -> list[str]:
        out = []
        verb = "would send" if self.dry_run else "sent"
        if self.dry_run:
            for m, subject in self.sent:
                out.append(f"would send  {m.rule:10} to {m.recipient} {m.name} <{m.address}> "
                           f"[{m.language or 'en+zh'}] {m.step}: {subject}")
        else:
            for m, subject in self.sent:
                out.append(f"sent        {m.rule:10} to {m.recipient} <{m.address}> {m.step}")
        for m, reason in self.refused:
            out.append(f"REFUSED     {m.rule:10} to {m.recipient} <{m.address}> {m.step}: {reason} "
                       "(not tried again; correct the address in the roster)")
        for m, reason in self.put_off:
            out.append(f"put off     {m.rule:10} to {m.recipient} <{m.address}> {m.step}: {reason} (tried again next run)")
        for m, reason in self.held:
            out.append(f"held back   {m.rule:10} to {m.recipient}: {reason}")
        for row in self.unknown:
            out.append(f"UNKNOWN     {row['rule']:10} to {row['recipient']} <{row['address']}> {row['step']}: a run "
                       "stopped while sending it; not sent again (at most once): ask them whether it arrived")
        for problem in (self.plan.problems if self.plan else []):
            out.append(f"problem     {problem}")
        if self.left:
            out.append(f"{len(self.left)} more message(s) over the cap of this run: the next run sends them")
        if self.stopped:
            out.append(f"STOPPED: {self.stopped}. Run 'iso20k remind' again: what was sent is not sent twice.")
        out.append(f"{len(self.sent)} message(s) {verb} for {self.as_of.isoformat()}"
                   + (f", {len(self.refused)} refused" if self.refused else "")
                   + (f", {len(self.put_off)} put off" if self.put_off else "") + ".")
        return out


def gather(settings: Settings, store: ProgressStore, catalog) -> World:
    """What the rules read, from the record and the progress store."""
    return World(load_records(settings, catalog), {r["employee_id"]: r for r in roster(store)},
                 stored.chosen_languages(store), certificates(store), load_requirements(settings))


def next_lessons(settings: Settings, store: ProgressStore, messages: list[Reminder],
                 catalog) -> dict[tuple[str, str], NextLesson]:
    """For each employee reminded of a track: lessons done, and the first one not done."""
    wanted = {(i.employee_id, i.track) for m in messages if m.rule in ("before-due", "overdue") for i in m.items}
    if not wanted:
        return {}
    modules = course_modules(settings.course_dir, catalog)
    out, done_by = {}, {}
    for eid, track in sorted(wanted):
        done = done_by.setdefault(eid, store.completed_modules(eid))
        mine = modules.get(track, [])
        left = [nb for module, nb in mine if f"{track}/{module}" not in done]
        out[(eid, track)] = NextLesson(len(mine) - len(left), len(mine), next((nb for nb in left if nb), None))
    return out


def run_reminders(settings: Settings, as_of: date, *, dry_run: bool = False, actor: str | None = None,
                  sleep: Callable[[float], None] = time.sleep, store: ProgressStore | None = None) -> RunReport:
    """One run for the day ``as_of`` (see the module's docstring)."""
    report = RunReport(as_of, dry_run)
    if not dry_run:
        check_mail_settings(settings)
    own = store is None
    if own:
        store = ProgressStore(settings.effective_db_url, settings=settings, read_only=True) if dry_run \
            else trail_writer(settings)
    try:
        catalog = load_catalog(settings.banks_dir)
        report.plan = plan(gather(settings, store, catalog), settings, as_of)
        known = stored.known(store)
        todo, report.held = pending(report.plan.messages, known, stored.refused_addresses(store))
        report.unknown = [row for row in known.values() if row["state"] == "sending"]
        report.to_send, report.left = todo[:settings.remind_max_per_run], todo[settings.remind_max_per_run:]
        lessons = next_lessons(settings, store, report.to_send, catalog)
        if dry_run:
            report.sent = [(m, str(compose(m, settings, lessons)["Subject"])) for m in report.to_send]
            return report
        _send(settings, store, report, lessons, actor or current_actor(settings), sleep)
        return report
    finally:
        if own:
            store.close()


def _send(settings: Settings, store: ProgressStore, report: RunReport, lessons, actor: str, sleep) -> None:
    try:
        mailer = Mailer(settings).__enter__()
    except ConnectionLost as exc:
        report.stopped = f"no connection to the mail server ({exc})"
        return
    try:
        first = True
        for m in report.to_send:
            try:
                msg = compose(m, settings, lessons)
            except (ValueError, TypeError) as exc:  # an address the e-mail library cannot write
                report.held.append((m, f"the message could not be written ({exc}); correct the address in the roster"))
                continue
            subject = str(msg["Subject"])
            rid = stored.claim(store, m.rule, m.recipient, m.step, m.address, m.department,
                               [i.as_json() for i in m.items])
            if rid is None:  # another run took it meanwhile
                continue
            if not first and settings.remind_pause_s:
                sleep(settings.remind_pause_s)
            first = False
            try:
                outcome = mailer.send(msg)
            except ConnectionLost as exc:
                stored.mark_failed(store, rid, f"connection lost: {exc}", False, settings.remind_max_attempts)
                report.stopped = f"the connection to the mail server was lost ({exc})"
                return
            if outcome.sent:
                stored.mark_sent(store, rid, actor, ACTIONS[m.rule], m.recipient, {
                    "rule": m.rule, "step": m.step, "to": m.address, "language": m.language or "en+zh",
                    "department": m.department, "subject": subject, "message_id": str(msg["Message-ID"]),
                    "about": [i.as_json() for i in m.items]})
                report.sent.append((m, subject))
            else:
                state = stored.mark_failed(store, rid, outcome.detail, outcome.refused, settings.remind_max_attempts)
                (report.refused if state == "refused" else report.put_off).append((m, outcome.detail))
    finally:
        mailer.__exit__(None, None, None)
