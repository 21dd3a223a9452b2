"""The messages people read: each reminder as an e-mail in its reader's language (English or
Simplified Chinese; both, the settings' language first, when the reader chose none), plain text
and HTML, with a link to the lesson or assessment on the hub.  Built with the standard library's
:mod:`email` under ``policy.SMTP``: Chinese subjects and names are encoded words (RFC 2047), the
digest's attachment name an RFC 2231 parameter.  No ``List-Unsubscribe``: the messages are part
of the job (docs/reminders.md)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone
from urllib.parse import quote

from ..results.due_steps import due_text
from ..results.readiness import readiness_cells
from ..results.views import department_cells
from ..settings import LANGUAGES, Settings
from ..texts import t
from ..texts.templating import html_parts
from ..tracks import ASSESSMENTS, track_title
from .rules import Item, Reminder


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class Part:
    """A message's content in one language."""

    language: str
    subject: str
    greeting: str
    paragraphs: list[str]
    tables: list[Table] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    notice: str = ""


@dataclass(frozen=True)
class NextLesson:
    """Where a person goes next on a track: a lesson notebook (course-relative, without
    ``.<lang>.ipynb``) or, all lessons done, the assessment."""

    done: int
    total: int
    notebook: str | None


def languages_of(reminder: Reminder, settings: Settings) -> list[str]:
    """The reader's language, or both (the settings' language first) when they chose none."""
    if reminder.language in LANGUAGES:
        return [reminder.language]
    return [settings.language] + [lang for lang in LANGUAGES if lang != settings.language]


def hub_link(settings: Settings, path: str) -> str | None:
    """The address of ``path`` in the reader's own JupyterLab on the hub (None: no hub address set)."""
    if not settings.hub_url:
        return None
    target = quote(f"{settings.hub_home_course_folder}/{path}")
    return f"{settings.hub_url.rstrip('/')}/hub/user-redirect/lab/tree/{target}"


def sender_name(settings: Settings, language: str) -> str:
    if settings.mail_from_name:
        return settings.mail_from_name
    company = settings.company_name_zh if language == "zh" else settings.company_name
    return t("{company} Training Office", language, company=company)


def _d(day: date | None) -> str:
    return day.isoformat() if day else "—"


def _notice(settings: Settings, lang: str) -> str:
    company = settings.company_name_zh if lang == "zh" else settings.company_name
    return t("This message is part of your mandatory ISO/IEC 20000 training at {company}; everyone who must "
             "complete the training gets it, and it cannot be unsubscribed from. Questions: reply to this message.",
             lang, company=company)


def part(reminder: Reminder, lang: str, settings: Settings, lessons: dict[tuple[str, str], NextLesson]) -> Part:
    """The content of ``reminder`` in ``lang``."""
    greeting = t("Dear {name},", lang, name=reminder.name) if reminder.name else t("Hello,", lang)
    notice = _notice(settings, lang)
    if reminder.rule in ("before-due", "overdue"):
        item = reminder.items[0]
        title = track_title(item.track, lang)
        due = due_text(item.step, lang)
        paragraphs = [t("Your {track} is {due} (due date {day}).", lang, track=title, due=due, day=_d(item.due))]
        if reminder.rule == "overdue":
            paragraphs.append(t("Please complete it as soon as you can; from {n} days overdue your manager is "
                                "told as well.", lang, n=settings.remind_escalate_after_days))
        links = []
        nxt = lessons.get((item.employee_id, item.track))
        if nxt is not None and nxt.notebook:
            paragraphs.append(t("Lessons done: {done} of {total}.", lang, done=nxt.done, total=nxt.total))
            link = hub_link(settings, f"{nxt.notebook}.{lang}.ipynb")
            if link:
                links.append((t("Open your next lesson", lang), link))
        else:
            paragraphs.append(t("Your lessons are done: take the assessment {assignment} (in JupyterLab: "
                                "Nbgrader, Assignment List).", lang, assignment=ASSESSMENTS[item.track]))
            link = hub_link(settings, "START_HERE.ipynb")
            if link:
                links.append((t("Open the course", lang), link))
        subject = t("Training {due}: {track}", lang, due=due, track=title)
        return Part(lang, subject, greeting, paragraphs, [], links, notice)
    if reminder.rule == "certificate":
        item = reminder.items[0]
        title = track_title(item.track, lang)
        subject = t("Your {track} certificate expires on {day}", lang, track=title, day=_d(item.valid_until))
        paragraphs = [t("Your certificate {code} for {track} is valid until {day}. Take the refresher training "
                        "and its assessment before then to stay qualified.", lang, code=item.code, track=title,
                        day=_d(item.valid_until))]
        link = hub_link(settings, f"{item.track}/")
        return Part(lang, subject, greeting, paragraphs, [], [(t("Open the course", lang), link)] if link else [],
                    notice)
    if reminder.rule == "escalation":
        people = {i.employee_id for i in reminder.items}
        subject = t("Overdue training in {department}: {n} people", lang, department=reminder.department,
                    n=len(people))
        paragraphs = [t("These people in {department} have training overdue by {n} days or more. They are "
                        "reminded every week; please make sure they complete it.", lang,
                        department=reminder.department, n=settings.remind_escalate_after_days)]
        return Part(lang, subject, greeting, paragraphs, [_overdue_table(reminder.items, lang)], [], notice)
    # the weekly digest: the dashboard's own figures
    view, ready = reminder.extra["view"], reminder.extra["readiness"]
    audit = reminder.extra.get("audit_date")
    monday = reminder.step.removeprefix("week-of-")
    subject = t("Training digest, week of {day}", lang, day=monday)
    paragraphs = [t("As of {day}: {employees} employees, {overdue} with overdue training.", lang,
                    day=view.filters.as_of.isoformat(), employees=view.employees, overdue=view.overdue_people)]
    header, rows = department_cells(view, lang)
    tables = [Table(t("Completion by department and track", lang), header, rows)]
    ready_header, ready_rows = readiness_cells(ready, audit, lang)  # the dashboard's own table
    tables.append(Table(t("Readiness for the audit", lang), ready_header, ready_rows))
    if reminder.items:
        tables.append(_overdue_table(reminder.items, lang))
    link = f"{settings.hub_url.rstrip('/')}/services/dashboard/" if settings.hub_url else None
    return Part(lang, subject, greeting, paragraphs, tables, [(t("Open the dashboard", lang), link)] if link else [],
                notice)


def _overdue_table(items: list[Item], lang: str) -> Table:
    return Table(t("Overdue training", lang),
                 [t("Employee ID", lang), t("Name", lang), t("Department", lang), t("Track", lang), t("Due", lang),
                  t("Status", lang)],
                 [[i.employee_id, i.name, i.department, track_title(i.track, lang, short=True), _d(i.due),
                   due_text(i.step, lang)] for i in items])


def _text(p: Part) -> str:
    lines = [p.greeting, ""]
    for para in p.paragraphs:
        lines += [para, ""]
    colon = "：" if p.language == "zh" else ": "
    for label, url in p.links:
        lines += [f"{label}{colon}{url}", ""]
    for table in p.tables:
        lines.append(table.caption)
        lines.append(" | ".join(table.header))
        lines += [" | ".join(row) for row in table.rows]
        lines.append("")
    lines += ["-- ", p.notice]
    return "\n".join(lines)


def compose(reminder: Reminder, settings: Settings, lessons: dict[tuple[str, str], NextLesson] | None = None,
            now: datetime | None = None) -> EmailMessage:
    """The e-mail of ``reminder``: plain text and HTML alternatives (a digest also carries the
    department table as CSV)."""
    langs = languages_of(reminder, settings)
    parts = [part(reminder, lang, settings, lessons or {}) for lang in langs]
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = " / ".join(p.subject for p in parts)  # ASCII: kept between encoded words
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    msg["From"] = Address(sender_name(settings, langs[0]), addr_spec=settings.mail_from)
    msg["To"] = Address(reminder.name, addr_spec=reminder.address)
    msg["Date"] = format_datetime(now or datetime.now(timezone.utc))
    msg["Message-ID"] = make_msgid("reminder", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no automatic replies to it
    msg["Content-Language"] = ", ".join("zh-Hans" if lang == "zh" else "en" for lang in langs)
    msg["X-Training-Reminder"] = f"{reminder.rule} {reminder.step}"
    msg.set_content(("\n\n" + "=" * 40 + "\n\n").join(_text(p) for p in parts))
    msg.add_alternative(str(html_parts("iso20k.reminders", "message.html").message(parts)), subtype="html")
    if reminder.rule == "digest":
        view = reminder.extra["view"]
        header, rows = department_cells(view, langs[0])
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        name = t("training-completion-{day}.csv", langs[0], day=view.filters.as_of.isoformat())
        # a byte-order mark, so Excel reads the UTF-8 (Chinese department names) right
        msg.add_attachment("\ufeff" + out.getvalue(), subtype="csv", charset="utf-8", filename=name)
    return msg
