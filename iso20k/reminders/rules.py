"""Who is due which message on a day: the reminder rules (docs/reminders.md) over the company's
record.  Statuses come from the record's one rule (:func:`iso20k.results.status_of`), certificates
from the competence matrix, the digest's figures from the dashboard's own view
(:func:`iso20k.results.views.build_view`), so a message never disagrees with the dashboard.

Each message has a *due step*: the rule, its recipient and the step (``all-staff:2027-01-15:before-7``)
say which message it is; a step is sent at most once (see :mod:`iso20k.store.reminders`).  A
step whose day was missed (no run that day) is sent at the next run while it is the latest one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ..competence import competence_matrix
from ..results import Snapshot, statuses
from ..results.due_steps import DueStep, due_step
from ..results.readiness import Readiness, readiness
from ..results.views import Filters, View, build_view
from ..settings import Settings


@dataclass(frozen=True)
class Item:
    """One thing a message is about: a person's track (or certificate) and its due step."""

    employee_id: str
    name: str
    department: str
    track: str
    due: date | None
    step: DueStep | None
    key: str  # the due step of this person and track (escalations record each one they covered)
    valid_until: date | None = None
    code: str = ""

    def as_json(self) -> dict:
        return {"employee_id": self.employee_id, "department": self.department, "track": self.track,
                "due": self.due.isoformat() if self.due else None, "key": self.key,
                **({"certificate": self.code, "valid_until": self.valid_until.isoformat()} if self.code else {})}


@dataclass
class Reminder:
    """One message: its rule, recipient and due step, and what it is about."""

    rule: str
    recipient: str  # employee id (or the address, for a digest reader outside the roster)
    name: str
    address: str | None
    language: str | None  # None: not chosen (the message is in both languages)
    department: str
    step: str
    items: list[Item]
    extra: dict = field(default_factory=dict)  # the digest's view and readiness

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.rule, self.recipient, self.step)


@dataclass
class World:
    """What the rules read: the record, the roster's addresses and roles, chosen languages,
    certificates and role requirements."""

    snap: Snapshot
    roster: dict[str, dict]  # employee id -> roster row (email, role, department, name)
    languages: dict[str, str]
    certificates: list
    requirements: dict[str, tuple[str, ...]]


@dataclass
class Plan:
    messages: list[Reminder]
    problems: list[str]
    view: View


def plan(world: World, settings: Settings, as_of: date) -> Plan:
    """Every message the rules call for on ``as_of`` (before checking what was sent already)."""
    snap, rules = world.snap, settings.remind_rule_set
    status = statuses(snap, as_of)
    messages: list[Reminder] = []
    problems: list[str] = []
    before = settings.remind_before
    every = settings.remind_overdue_every_days

    def person(eid: str, name: str, department: str, rule: str, step: str, items: list[Item]) -> None:
        row = world.roster.get(eid, {})
        address = row.get("email") or None
        if address is None:
            problems.append(f"{eid} ({name}, {department}): no e-mail address in the roster; {rule} not sent")
            return
        messages.append(Reminder(rule, eid, name, address, world.languages.get(eid), department, step, items))

    for p in snap.people:
        for track, due in sorted(p.due.items()):
            step = due_step(due, status[(p.employee_id, track)], as_of)
            if step is None:
                continue
            if step.kind == "overdue":
                if "overdue" in rules:
                    key = f"{track}:{due}:overdue-{(step.days - 1) // every}"
                    person(p.employee_id, p.name, p.department, "overdue", key,
                           [Item(p.employee_id, p.name, p.department, track, due, step, key)])
            elif "before-due" in rules:
                marks = [k for k in before if k >= step.days]
                if marks:
                    key = f"{track}:{due}:before-{min(marks)}"
                    person(p.employee_id, p.name, p.department, "before-due", key,
                           [Item(p.employee_id, p.name, p.department, track, due, step, key)])

    if "certificate" in rules:
        matrix = competence_matrix(snap, world.certificates, world.requirements, as_of,
                                   settings.certificate_warning_days)
        for r in matrix:
            if r.status == "due" and r.certificate and r.valid_until is not None:
                key = f"{r.track}:{r.certificate}:expiring"
                person(r.employee_id, r.name, r.department, "certificate", key,
                       [Item(r.employee_id, r.name, r.department, r.track, r.due, None, key, r.valid_until, r.certificate)])

    if "escalation" in rules:
        messages += _escalations(world, snap, status, as_of, settings, problems)

    view = build_view(snap, status, Filters(as_of=as_of))
    if "digest" in rules and as_of.weekday() >= settings.remind_digest_weekday:
        messages += _digests(world, snap, status, view, as_of, settings, problems)
    order = {rule: n for n, rule in enumerate(("before-due", "overdue", "certificate", "escalation", "digest"))}
    messages.sort(key=lambda m: (order[m.rule], m.recipient, m.step))
    return Plan(messages, problems, view)


def overdue_items(snap: Snapshot, status: dict, as_of: date, min_days: int = 1, every: int = 7) -> list[Item]:
    """Every track overdue by at least ``min_days`` on ``as_of``, by department, name and track;
    each keyed by its escalation step (a new one every ``every`` days from ``min_days``)."""
    out = []
    for p in snap.people:
        for track, due in sorted(p.due.items()):
            step = due_step(due, status[(p.employee_id, track)], as_of)
            if step is not None and step.kind == "overdue" and step.days >= min_days:
                key = f"{p.employee_id}:{track}:{due}:escalation-{(step.days - min_days) // every}"
                out.append(Item(p.employee_id, p.name, p.department, track, due, step, key))
    return sorted(out, key=lambda i: (i.department, i.name, i.employee_id, i.track))


def managers(roster: dict[str, dict]) -> dict[str, list[dict]]:
    """Department -> its managers (active roster rows with the role manager)."""
    out: dict[str, list[dict]] = {}
    for row in roster.values():
        if row.get("role") == "manager":
            out.setdefault(row["department"], []).append(row)
    return out


def _escalations(world: World, snap: Snapshot, status: dict, as_of: date, settings: Settings,
                 problems: list[str]) -> list[Reminder]:
    items = overdue_items(snap, status, as_of, settings.remind_escalate_after_days, settings.remind_overdue_every_days)
    by_department: dict[str, list[Item]] = {}
    for item in items:
        by_department.setdefault(item.department, []).append(item)
    heads = managers(world.roster)
    out = []
    for department, listed in sorted(by_department.items()):
        found = heads.get(department, [])
        if not found:
            problems.append(f"{department}: no manager in the roster; its {len(listed)} overdue track(s) are in "
                            "the digest only")
        for m in sorted(found, key=lambda r: r["employee_id"]):
            if not m.get("email"):
                problems.append(f"{m['employee_id']} ({m['name']}, manager of {department}): no e-mail address "
                                "in the roster; escalation not sent")
                continue
            out.append(Reminder("escalation", m["employee_id"], m["name"], m["email"],
                                world.languages.get(m["employee_id"]), department, as_of.isoformat(), listed))
    return out


def _digests(world: World, snap: Snapshot, status: dict, view: View, as_of: date, settings: Settings,
             problems: list[str]) -> list[Reminder]:
    monday = as_of - timedelta(days=as_of.weekday())
    step = f"week-of-{monday.isoformat()}"
    extra = {"view": view, "readiness": readiness(view, settings.audit_date),
             "audit_date": settings.audit_date}
    listed = overdue_items(snap, status, as_of)
    by_address = {(r.get("email") or "").lower(): r for r in world.roster.values() if r.get("email")}
    readers: list[tuple[str, str, str | None, str, str | None]] = []  # recipient, name, address, department, lang
    named = [a.strip() for a in settings.remind_digest_to.split(",") if a.strip()]
    if named:
        for address in named:
            row = by_address.get(address.lower())
            if row:
                readers.append((row["employee_id"], row["name"], address, row["department"],
                                world.languages.get(row["employee_id"])))
            else:
                readers.append((address, "", address, "", None))
    else:
        for eid in settings.trainer_ids:
            row = world.roster.get(eid)
            if row is None or not row.get("email"):
                problems.append(f"trainer {eid}: not in the roster or no e-mail address; the digest is not sent to "
                                "them (set ISO20K_REMIND_DIGEST_TO)")
                continue
            readers.append((eid, row["name"], row["email"], row["department"], world.languages.get(eid)))
    return [Reminder("digest", recipient, name, address, lang, department, step, listed, extra)
            for recipient, name, address, department, lang in readers]


def pending(messages: list[Reminder], known: dict[tuple[str, str, str], dict],
            refused: dict[str, str]) -> tuple[list[Reminder], list[tuple[Reminder, str]]]:
    """The messages still to send (none sent, being sent or refused for the same due step; an
    escalation only when it lists a due step its manager was not told yet), and those held back
    with the reason (an address refused earlier)."""
    covered: dict[str, set[str]] = {}
    for (rule, recipient, _step), row in known.items():
        if rule == "escalation" and row["state"] in ("sent", "sending"):
            covered.setdefault(recipient, set()).update(c.get("key", "") for c in row["covers"])
    out, held = [], []
    for m in messages:
        row = known.get(m.key)
        if row is not None and row["state"] != "retry":
            continue
        if m.rule == "escalation" and row is None and {i.key for i in m.items} <= covered.get(m.recipient, set()):
            continue
        if m.address and m.address.lower() in refused:
            held.append((m, f"the mail server refused {m.address} earlier ({refused[m.address.lower()][:120]}); "
                            "correct the address in the roster"))
            continue
        out.append(m)
    return out, held
