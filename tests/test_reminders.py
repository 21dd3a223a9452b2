"""Reminders, escalations and the digest (docs/reminders.md), sent through a real SMTP server
(aiosmtpd, STARTTLS and login) for a generated company on fixed days: the right people get the
right messages in their language, managers exactly their overdue people, the digest the
dashboard's figures; at most once per person, rule and due step, also across a run the mail
server cut off half-way; --dry-run sends and writes nothing; the password stays in its file."""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from iso20k.demo.company import make_company
from iso20k.reminders import MailSetupError, read_password, run_reminders
from iso20k.settings import Settings
from iso20k.store import ProgressStore, trail_writer
from iso20k.store import reminders as stored
from iso20k.store import trail
from mail_server import MailServer

FIXED = date(2026, 12, 7)  # a Monday: the digest's day
FIXTURE_BANKS = Path(__file__).parent / "fixtures" / "banks"
REFUSED = "nobody@refused.example.com"


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    """A generated company of 40 in 4 departments whose due dates are set from FIXED (the first two
    departments' all-staff training was due 10 days before it), some with a chosen language, one
    with a certificate expiring in 30 days, one trainer; kept as a template folder."""
    from iso20k.roster.importer import write_employees
    from iso20k.store.certificates import insert_issued

    root = tmp_path_factory.mktemp("company")
    settings = _settings(root)
    store = trail_writer(settings)
    people = make_company(40, 4, FIXED)
    late = max(i for i, p in enumerate(people) if p.due_dates["all-staff"] < FIXED and p.role == "staff")
    people[late] = dataclasses.replace(people[late], email=REFUSED)  # overdue, at an address a server refuses
    write_employees(people, store)
    zh, en = [p for p in people if p.role == "staff"][:3], [p for p in people if p.role == "staff"][3:6]
    managers = [p for p in people if p.role == "manager"]
    for p in zh + managers[:1]:
        store.set_language(p.employee_id, "zh")
    for p in en:
        store.set_language(p.employee_id, "en")
    holder = people[-2]  # a second-wave person with an all-staff certificate expiring soon
    insert_issued(store, dict(code="C-TEST-0001", employee_id=holder.employee_id, employee_name=holder.name,
                              department=holder.department, track="all-staff", score=30.0, max_score=40.0,
                              passed_on=FIXED - timedelta(days=335), valid_until=FIXED + timedelta(days=30),
                              issued_at=datetime(2025, 12, 1, tzinfo=timezone.utc), company="Example", sha256="0" * 64,
                              revoked_at=None, revoked_by=None, revoke_reason=None),
                  b"%PDF-1.4 test", "test", {"code": "C-TEST-0001"})
    store.close()
    return {"root": root, "people": people, "zh": {p.employee_id for p in zh + managers[:1]},
            "en": {p.employee_id for p in en}, "holder": holder.employee_id, "trainer": people[0].employee_id}


def _settings(root: Path, **more) -> Settings:
    (root / "course").mkdir(exist_ok=True)
    values = dict(data_dir=root / "data", course_root=root / "course", banks_dir=FIXTURE_BANKS, env_file="",
                  trainers="E10001", hub_url="https://hub.example.com", time_zone="Asia/Shanghai",
                  remind_pause_s=0, mail_from="training@example.com", audit_date=FIXED + timedelta(days=60))
    values.update(more)
    return Settings(**values)


@pytest.fixture
def world(company, tmp_path):
    """A fresh copy of the company for one test."""
    shutil.copytree(company["root"] / "data", tmp_path / "data")
    return tmp_path


@pytest.fixture
def password(tmp_path) -> tuple[str, Path]:
    secret = "pw-" + secrets.token_urlsafe(16)
    path = tmp_path / "smtp-password"
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret, path


def _sent(server: MailServer) -> list[tuple[str, str, str]]:
    """(rule, recipient address, step) of every message the server accepted."""
    out = []
    for msg in server.messages():
        rule, step = str(msg["X-Training-Reminder"]).split(" ", 1)
        out.append((rule, msg["To"].addresses[0].addr_spec, step))
    return out


def _address(company, eid: str) -> str:
    return next(p.email for p in company["people"] if p.employee_id == eid)


def _expected(company, day: date) -> set[tuple[str, str]]:
    """Who must get what on ``day``, worked out from the due dates alone (nobody passed)."""
    out = set()
    for p in company["people"]:
        for track, due in p.due_dates.items():
            days = (due - day).days
            if days < 0:
                out.add(("overdue", p.email))
            elif any(k >= days for k in (14, 7, 1)):
                out.add(("before-due", p.email))
    out.add(("certificate", _address(company, company["holder"])))
    late = {p.department for p in company["people"] if (day - p.due_dates["all-staff"]).days >= 7}
    out |= {("escalation", p.email) for p in company["people"] if p.role == "manager" and p.department in late}
    if day.weekday() == 0:
        out.add(("digest", _address(company, company["trainer"])))
    return out


@pytest.mark.slow
def test_the_right_people_get_the_right_messages_on_the_right_days_in_their_language(company, world, password):
    from iso20k.texts import t

    secret, path = password
    people = {p.employee_id: p for p in company["people"]}
    by_address = {p.email: p for p in company["people"]}
    with MailServer(world, secret) as server:
        settings = _settings(world, smtp_password_file=path, **server.settings())
        report = run_reminders(settings, FIXED)
        assert report.ok, report.lines()
        first = _sent(server)
        assert {(r, a) for r, a, _ in first} == _expected(company, FIXED)
        assert server.handler.logins and set(server.handler.logins) <= {"LOGIN", "PLAIN"}
        # the same day again: nothing more
        again = run_reminders(settings, FIXED)
        assert again.sent == [] and len(server.messages()) == len(first)
        # a week later: the next due steps
        run_reminders(settings, FIXED + timedelta(days=7))
        later = _sent(server)[len(first):]
        assert {(r, a) for r, a, _ in later} == _expected(company, FIXED + timedelta(days=7)) - {
            ("certificate", _address(company, company["holder"]))}
        messages = server.messages()

    # at most once per person, rule and due step, over both weeks
    keys = _sent(server)
    assert len(keys) == len(set(keys))
    for msg in messages:
        rule = str(msg["X-Training-Reminder"]).split(" ")[0]
        to = msg["To"].addresses[0]
        raw_subject = msg.get_all("Subject")[0]
        assert all(ord(c) < 128 for c in str(msg.as_bytes().split(b"\n\n")[0], "ascii")), "headers are 7-bit"
        subject = str(msg["Subject"])  # decoded from RFC 2047 encoded words
        if rule == "digest":
            lang = None
        else:
            person = by_address[to.addr_spec]
            assert to.display_name == person.name  # Chinese names decode exactly
            lang = "zh" if person.employee_id in company["zh"] else "en" if person.employee_id in company["en"] else None
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        if lang == "zh":
            assert " / " not in subject and any("\u4e00" <= c <= "\u9fff" for c in subject.split("：")[0]), subject
            assert 'lang="zh-Hans"' in html and "mandatory" not in text
        elif lang == "en":
            assert subject.isascii() or rule in ("escalation",), subject  # a Chinese department name may appear
            assert 'lang="zh-Hans"' not in html
        else:
            assert " / " in subject and 'lang="zh-Hans"' in html and 'lang="en"' in html  # both, English first
        assert "List-Unsubscribe" not in msg and msg["Auto-Submitted"] == "auto-generated"
        assert msg["From"].addresses[0].addr_spec == "training@example.com"
        if rule in ("before-due", "overdue"):
            assert "https://hub.example.com/hub/user-redirect/lab/tree/iso20k-course/" in html
        assert raw_subject is not None

    # a manager gets one escalation a day listing exactly their overdue people, nobody else's
    escalations = [m for m in messages if str(m["X-Training-Reminder"]).startswith("escalation 2026-12-07")]
    for msg in escalations:
        manager = by_address[msg["To"].addresses[0].addr_spec]
        text = msg.get_body(("plain",)).get_content()
        listed = {eid for eid in people if f"\n{eid} |" in text}
        overdue = {p.employee_id for p in company["people"] if p.department == manager.department}
        assert listed == overdue
    assert len({m["To"].addresses[0].addr_spec for m in escalations}) == len(escalations)

    # the digest: in both languages (the trainer chose none), its figures the dashboard's own
    digest = next(m for m in messages if str(m["X-Training-Reminder"]) == "digest week-of-2026-12-07")
    attachment = next(digest.iter_attachments())
    assert attachment.get_filename() == "training-completion-2026-12-07.csv"
    import csv
    import io

    table = list(csv.reader(io.StringIO(attachment.get_content().lstrip("\ufeff"))))
    assert table == _dashboard_table(_settings(world), FIXED, "en")
    assert t("Readiness for the audit", "zh") in digest.get_body(("html",)).get_content()

    # every message sent is in the audit trail: who, which rule, when
    store = ProgressStore(settings.effective_db_url, settings=settings)
    entries = [e for e in trail.entries(store) if e.action in ("reminder-sent", "escalation-sent", "digest-sent")]
    assert sorted((e.details["rule"], e.details["to"], e.details["step"]) for e in entries) == sorted(keys)
    assert all(e.actor and e.recorded_at for e in entries)
    # ... which the evidence pack lists (follow-up.csv), a department's pack that department's only
    from iso20k.evidence.tables import follow_up_table

    listed = follow_up_table(trail.entries(store), FIXED + timedelta(days=7), None)
    assert sorted(int(r[0]) for r in listed.rows) == sorted(e.seq for e in entries)
    department = next(p.department for p in company["people"] if p.role == "manager" and p.due_dates["all-staff"] < FIXED)
    mine = follow_up_table(trail.entries(store), FIXED + timedelta(days=7), department).rows
    assert mine and all(r[2] == "digest" or r[5] == department or department in {people[i].department
                                                                                  for i in r[7].split()} for r in mine)
    assert {r[2] for r in mine} == {"before-due", "overdue", "escalation", "digest"}
    assert follow_up_table(trail.entries(store), FIXED - timedelta(days=1), None).rows == []

    # the dashboard's follow-up section: per department the viewer sees, reminders and escalations sent
    from iso20k.dashboard import Dashboard, DataSource, Identity

    manager = next(p for p in company["people"] if p.role == "manager" and p.department == department)
    page = Dashboard(DataSource(_settings(world)), language="zh")
    page.open_for(Identity(manager.employee_id.lower(), groups=("role-manager",)))
    page.as_of.value = FIXED + timedelta(days=7)
    sent_there = [r for r in stored.rows(store) if r["department"] == department and r["state"] == "sent"]
    escalated = sum(r["rule"] == "escalation" for r in sent_there)
    assert f'data-reminders="{len(sent_there) - escalated}" data-escalations="{escalated}"' in page.follow_up.value
    assert "升级" in page.follow_up.value and escalated
    others = {p.department for p in company["people"]} - {department}
    assert not any(d in page.follow_up.value for d in others)  # a manager sees their own department's only
    page.as_of.value = FIXED - timedelta(days=1)
    assert page.follow_up.value == ""  # nothing had gone out by then
    store.close()


def _dashboard_table(settings: Settings, day: date, language: str) -> list[list[str]]:
    """The department × track table as the dashboard computes it for the whole company."""
    from iso20k.dashboard.app import DataSource
    from iso20k.results.views import Filters, build_view, department_cells

    source = DataSource(settings)
    source.restrict(None)
    header, rows = department_cells(build_view(source.snapshot, source.statuses(day), Filters(as_of=day)), language)
    return [header, *rows]


def test_chinese_subjects_names_and_attachment_names_are_encoded_words(company, world):
    from email import message_from_bytes, policy
    from email.header import decode_header, make_header

    from iso20k.reminders.run import gather, next_lessons
    from iso20k.reminders import compose, plan
    from iso20k.banks import load_catalog

    settings = _settings(world)
    store = ProgressStore(settings.effective_db_url, settings=settings, read_only=True)
    catalog = load_catalog(settings.banks_dir)
    world_ = gather(settings, store, catalog)
    zh_id = sorted(company["zh"])[0]
    world_.languages[company["trainer"]] = "zh"
    messages = plan(world_, settings, FIXED).messages
    mine = next(m for m in messages if m.recipient == zh_id and m.rule == "overdue")
    digest = next(m for m in messages if m.rule == "digest")
    for m in (mine, digest):
        raw = compose(m, settings, next_lessons(settings, store, [m], catalog)).as_bytes()
        head = raw.split(b"\r\n\r\n")[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n")[0]
        assert head.isascii() and b"=?utf-8?" in head
        back = message_from_bytes(raw, policy=policy.default)
        assert back["To"].addresses[0].display_name == m.name
        # RFC 2047: a long name is several encoded words, the space between them is no space
        # (email.header decodes by the RFC; Python's newer header parser puts one in)
        sender = str(make_header(decode_header(back.get_all("From")[0].split(" <")[0])))
        raw_from = [line for line in raw.decode("ascii").split("\r\n\r\n")[0].replace("\r\n ", " ").split("\r\n")
                    if line.startswith("From:")][0]
        assert str(make_header(decode_header(raw_from[6:].split(" <")[0]))) == "示例信息技术服务有限公司培训办公室"
        assert sender
    assert str(message_from_bytes(compose(mine, settings).as_bytes(), policy=policy.default)["Subject"]) \
        .startswith("培训")
    raw = compose(digest, settings).as_bytes()
    assert re.search(rb"filename\*(0\*)?=utf-8''%E5%9F%B9", raw)  # RFC 2231 (continued when long)
    attachment = next(message_from_bytes(raw, policy=policy.default).iter_attachments())
    assert attachment.get_filename() == "培训完成情况-2026-12-07.csv"
    store.close()


@pytest.mark.slow
def test_a_run_cut_off_half_way_and_run_again_sends_every_message_exactly_once(company, world, password):
    secret, path = password
    with MailServer(world, secret, drop_after=5) as server:
        settings = _settings(world, smtp_password_file=path, **server.settings())
        cut = run_reminders(settings, FIXED)
        assert not cut.ok and "lost" in cut.stopped and len(server.messages()) == 5
        assert "STOPPED" in "\n".join(cut.lines())
        server.handler.drop_after = None  # the mail server is back
        rest = run_reminders(settings, FIXED)
        assert rest.ok
        keys = _sent(server)
    planned = run_reminders(settings, FIXED, dry_run=True)
    assert planned.sent == []  # nothing left to send
    assert len(keys) == len(set(keys)) == len(_expected(company, FIXED))
    rows = stored.rows(ProgressStore(settings.effective_db_url, settings=settings))
    assert sorted(r["state"] for r in rows).count("sent") == len(keys)
    assert not [r for r in rows if r["state"] in ("sending", "retry")]


def test_dry_run_sends_nothing_and_writes_nothing(company, world, password, monkeypatch):
    from click.testing import CliRunner

    from iso20k.cli import main
    from iso20k.settings import reload_settings

    secret, path = password
    with MailServer(world, secret) as server:
        env = {"ISO20K_DATA_DIR": str(world / "data"), "ISO20K_COURSE_ROOT": str(world / "course"),
               "ISO20K_BANKS_DIR": str(FIXTURE_BANKS), "ISO20K_TRAINERS": "E10001",
               "ISO20K_SMTP_HOST": "127.0.0.1", "ISO20K_SMTP_PORT": str(server.port),
               "ISO20K_SMTP_USERNAME": "reminders", "ISO20K_SMTP_PASSWORD_FILE": str(path),
               "ISO20K_SMTP_CA_FILE": str(server.ca_file)}
        (world / "course").mkdir(exist_ok=True)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        reload_settings()
        before = {p.name: p.read_bytes() for p in (world / "data").iterdir() if p.is_file()}
        done = CliRunner().invoke(main, ["remind", "--dry-run", "--today", FIXED.isoformat()])
        assert done.exit_code == 0, done.output
        assert "would send  escalation" in done.output and "would send  digest" in done.output
        assert server.handler.raw == [] and server.handler.logins == []
        after = {p.name: p.read_bytes() for p in (world / "data").iterdir() if p.is_file()}
        # SQLite's shared-memory index and an empty write-ahead log appear on opening; no row is written
        assert after.pop("progress.sqlite-wal", b"") == b"" and after.pop("progress.sqlite-shm", None) is not None
        assert after == before
        assert secret not in done.output


def test_the_password_file_must_be_its_owners_alone(tmp_path):
    path = tmp_path / "pw"
    path.write_text("s3cret\n")
    path.chmod(0o644)
    with pytest.raises(MailSetupError, match="chmod 600"):
        read_password(path)
    path.chmod(0o600)
    assert read_password(path) == "s3cret"
    link = tmp_path / "link"
    link.symlink_to(path)
    with pytest.raises(MailSetupError, match="link"):
        read_password(link)


@pytest.mark.slow
def test_the_password_never_appears_in_output_logs_the_store_or_ps(company, world, password):
    secret, path = password
    with MailServer(world, secret) as server:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("ISO20K_")},
               "ISO20K_ENV_FILE": "", "ISO20K_DATA_DIR": str(world / "data"), "ISO20K_COURSE_ROOT": str(world / "course"),
               "ISO20K_BANKS_DIR": str(FIXTURE_BANKS), "ISO20K_TRAINERS": "E10001", "ISO20K_REMIND_PAUSE_S": "0.05",
               "ISO20K_SMTP_HOST": "127.0.0.1", "ISO20K_SMTP_PORT": str(server.port),
               "ISO20K_SMTP_USERNAME": "reminders", "ISO20K_SMTP_PASSWORD_FILE": str(path),
               "ISO20K_SMTP_CA_FILE": str(server.ca_file)}
        (world / "course").mkdir(exist_ok=True)
        iso20k = Path(sys.executable).with_name("iso20k")
        proc = subprocess.Popen([str(iso20k), "remind", "--today", FIXED.isoformat()], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = []
        while proc.poll() is None:  # what `ps` shows of it (and of any child) while it runs
            for pid in [str(proc.pid), *_children(proc.pid)]:
                try:
                    seen.append(Path(f"/proc/{pid}/cmdline").read_bytes())
                except OSError:
                    pass
            time.sleep(0.05)
        out, err = proc.communicate()
        assert proc.returncode == 0, out + err
        assert "message(s) sent" in out and len(server.handler.raw) > 5
    shown = "\n".join(" ".join(row) for row in _settings(world, smtp_password_file=path).describe())  # iso20k settings
    assert str(path) not in shown  # a setting named ...password... is masked, even a file's name
    assert any(b"remind" in c for c in seen)
    for where in (out, err, shown):
        assert secret not in where
    assert not any(secret.encode() in c for c in seen)
    for file in (world / "data").rglob("*"):
        if file.is_file():
            assert secret.encode() not in file.read_bytes(), file


def _children(pid: int) -> list[str]:
    try:
        return " ".join(Path(f"/proc/{pid}/task/{tid}/children").read_text()
                        for tid in os.listdir(f"/proc/{pid}/task")).split()
    except OSError:
        return []


def test_a_refused_address_is_reported_and_not_tried_again(company, world, password):
    secret, path = password
    with MailServer(world, secret, refuse={REFUSED}) as server:
        settings = _settings(world, smtp_password_file=path, remind_rules="overdue", **server.settings())
        first = run_reminders(settings, FIXED)
        assert [m.address for m, _ in first.refused] == [REFUSED] and "550" in first.refused[0][1]
        assert "REFUSED" in "\n".join(first.lines())
        later = run_reminders(settings, FIXED + timedelta(days=7))
        assert REFUSED not in {m.address for m, _ in later.sent}
        assert [m.address for m, _ in later.held] == [REFUSED]
        assert all(REFUSED not in env[1] for env in server.handler.envelopes)


def test_implicit_tls_and_a_mail_server_that_cannot_be_reached(company, world, password):
    secret, path = password
    with MailServer(world, secret, implicit_tls=True) as server:
        settings = _settings(world, smtp_password_file=path, remind_rules="digest", **server.settings())
        report = run_reminders(settings, FIXED)
        assert report.ok and len(server.messages()) == 1
    report = run_reminders(settings, FIXED + timedelta(days=7))  # the server is gone
    assert not report.ok and "no connection" in report.stopped
    rows = stored.rows(ProgressStore(settings.effective_db_url, settings=settings), "digest")
    assert [r["state"] for r in rows] == ["sent"]  # nothing claimed without a connection


def test_the_cap_per_run_leaves_the_rest_for_the_next_run(company, world, password):
    secret, path = password
    pauses = []
    with MailServer(world, secret) as server:
        settings = _settings(world, smtp_password_file=path, remind_max_per_run=4, remind_pause_s=0.5,
                             **server.settings())
        report = run_reminders(settings, FIXED, sleep=pauses.append)
        assert len(report.sent) == 4 and report.left and pauses == [0.5] * 3
        assert f"{len(report.left)} more message(s) over the cap" in "\n".join(report.lines())


def test_rules_switched_off_send_nothing(company, world):
    settings = _settings(world, remind_rules="")
    assert run_reminders(settings, FIXED, dry_run=True).sent == []
    settings = _settings(world, remind_rules="escalation")
    assert {m.rule for m, _ in run_reminders(settings, FIXED, dry_run=True).sent} == {"escalation"}


def test_the_store_keeps_each_step_once_on_postgresql(postgres_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", env_file="")
    store = ProgressStore(postgres_url, settings=settings, trail_anchor=tmp_path / "anchor.json")
    first = stored.claim(store, "overdue", "E1", "all-staff:2026-11-27:overdue-1", "e1@example.com", "Ops", [])
    assert first is not None
    assert stored.claim(store, "overdue", "E1", "all-staff:2026-11-27:overdue-1", "e1@example.com", "Ops", []) is None
    entry = stored.mark_sent(store, first, "test", "reminder-sent", "E1", {"rule": "overdue"})
    assert stored.rows(store)[0]["state"] == "sent" and stored.rows(store)[0]["trail_seq"] == entry.seq
    other = stored.claim(store, "digest", "x@example.com", "week-of-2026-12-07", "x@example.com", "", [])
    assert stored.mark_failed(store, other, "421 later", False, 2) == "retry"
    assert stored.claim(store, "digest", "x@example.com", "week-of-2026-12-07", "x@example.com", "", []) == other
    assert stored.mark_failed(store, other, "421 later", False, 2) == "refused"
    assert stored.refused_addresses(store) == {}  # given up: this message only, not the address
    third = stored.claim(store, "overdue", "E2", "all-staff:2026-11-27:overdue-1", "e2@example.com", "Ops", [])
    assert stored.mark_failed(store, third, "550 5.1.1 no such mailbox", True, 3) == "refused"
    assert stored.refused_addresses(store) == {"e2@example.com": "550 5.1.1 no such mailbox"}
    store.close()


def test_the_schedule_runs_every_day_at_its_time_with_an_injected_clock():
    from zoneinfo import ZoneInfo

    from iso20k.reminders import next_run, serve

    zone = ZoneInfo("Asia/Shanghai")
    settings = Settings(env_file="", time_zone="Asia/Shanghai", remind_time="07:00")
    now = [datetime(2026, 12, 6, 22, 30, tzinfo=zone)]  # the evening before
    ran, logged = [], []

    def sleep(seconds):
        now[0] += timedelta(seconds=seconds)

    def run(day):
        ran.append((day, now[0]))
        now[0] += timedelta(seconds=40)  # a run takes a while
        return [f"sent for {day}"]

    serve(settings, run, clock=lambda: now[0], sleep=sleep, log=logged.append, runs=3)
    assert [d for d, _ in ran] == [date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)]
    assert all(at.astimezone(zone).strftime("%H:%M") == "07:00" for _, at in ran)
    assert logged[0] == "reminders: next run at 2026-12-07T07:00:00+08:00"
    assert "reminders: sent for 2026-12-07" in logged
    assert next_run(datetime(2026, 12, 7, 7, 0, tzinfo=zone), "07:00", zone) == datetime(2026, 12, 7, 7, 0, tzinfo=zone)


def test_the_hub_starts_the_reminders_service_with_the_hub(tmp_path):
    """The service is in the hub's configuration: started with the hub, as the records account,
    with the records service's store and its own runtime folder, no address; tests/test_hub.py
    sees it running under a real hub."""
    from iso20k.hub.config import hub_services

    settings = Settings(env_file="", hub_state_dir=tmp_path / "state", db_url="postgresql+psycopg://o@db/x",
                        hub_records_db_url="postgresql+psycopg://rec:pw@db/x", smtp_host="smtp.example.com")
    (tmp_path / "state").mkdir()
    mine = next(s for s in hub_services(settings, tmp_path / "state") if s["name"] == "reminders")
    assert mine["user"] == settings.hub_records_user and "url" not in mine
    assert mine["command"][-2:] == ["-m", "iso20k.hub.reminders_service"]
    assert mine["environment"]["ISO20K_DB_URL"] == settings.hub_records_db_url
    assert mine["environment"]["ISO20K_SMTP_HOST"] == "smtp.example.com"
    assert mine["cwd"].endswith("run/reminders")
    import iso20k.hub.reminders_service as service

    assert service.ACTOR == "reminders service"
