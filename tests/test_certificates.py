"""Certificates: issued for a passed track, a PDF whose Chinese text renders from an embedded font
subset, verified by code, by file and on the verification page, revoked, expired; and the
refresher cycle with a short validity and a fixed clock."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta

import pytest

from browser import free_port, stop, wait_for_http
from iso20k.audit import anchor_path, entries, verify_trail
from iso20k.certificates import add_months, certificates, issue_due, pdf_bytes, verify_code, verify_file
from iso20k.certificates.codes import ALPHABET, _check
from iso20k.competence import competence_matrix, load_requirements
from iso20k.competence.records import load_records
from iso20k.grading.config import gradebook_url
from iso20k.store import ProgressStore
from records_world import ISO20K, build, copy_world, env_of, iso20k

pytestmark = pytest.mark.slow
TODAY = date.today()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build(tmp_path_factory.mktemp("cert-world") / "w")


@pytest.fixture(scope="module")
def issued(world, tmp_path_factory):
    """A copy of the world with every certificate issued through the command."""
    settings = copy_world(world, tmp_path_factory.mktemp("issued") / "w")
    result = iso20k(settings, "certificates", "issue", ISO20K_AUDIT_ACTOR="training-office")
    assert result.returncode == 0, result.stderr
    store = ProgressStore(settings.effective_db_url)
    certs = certificates(store)
    assert certs and f"{len(certs)} certificate(s) issued" in result.stdout
    return settings, store, certs


def test_every_pass_with_lessons_done_gets_exactly_one_certificate(issued):
    settings, store, certs = issued
    snap = load_records(settings)
    expected = set()
    for (eid, track), sub in snap.submissions.items():
        if sub.score is not None and not sub.needs_manual and sub.max_score \
                and sub.score >= settings.pass_mark(track) * sub.max_score - 1e-9 \
                and snap.modules_done(eid, track, TODAY) >= snap.modules[track]:
            expected.add((eid, track))
    assert {(c.employee_id, c.track) for c in certs} == expected
    assert issue_due(store, settings, snap, TODAY, "again") == []  # nothing twice
    issued_entries = [e for e in entries(store) if e.action == "certificate-issued"]
    assert {e.details["code"] for e in issued_entries} == {c.code for c in certs}
    assert all(e.actor == "training-office" for e in issued_entries)


def test_the_pdf_renders_chinese_from_an_embedded_font_subset(issued, tmp_path):
    from PIL import Image

    settings, store, certs = issued
    cert = certs[0]
    target = tmp_path / "cert.pdf"
    exported = iso20k(settings, "certificates", "export", cert.code, "--to", str(target))
    assert exported.returncode == 0, exported.stderr
    assert target.read_bytes() == pdf_bytes(store, cert.code)

    fonts = subprocess.run(["pdffonts", str(target)], capture_output=True, text=True, check=True).stdout
    [font] = [line for line in fonts.splitlines() if "NotoSansCJK" in line]
    assert font.split()[0].split("+")[0].isupper() and "+" in font.split()[0]  # a subset's tag
    assert " yes yes yes " in font  # embedded, subset, unicode map

    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    for expected in (cert.employee_name, cert.code, "培训合格证书", cert.valid_until.isoformat(), settings.company_name_zh):
        assert expected in text
    # the trail's head before this certificate's own entry, in full: an entry of the trail
    import re

    from iso20k.audit import entries

    seq, digest = re.search(r"Audit trail head before issue / 发证前审计追踪链头: #(\d+) ([0-9a-f]{64})",
                            " ".join(text.split())).groups()
    trail = {e.seq: e for e in entries(store)}
    own = next(e for e in trail.values() if e.action == "certificate-issued" and e.details["code"] == cert.code)
    assert trail[int(seq)].hash == digest and int(seq) < own.seq

    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(target), str(tmp_path / "page")], check=True)
    image = Image.open(tmp_path / "page.png").convert("L")
    dark = sum(image.histogram()[:100])
    assert image.size[0] > image.size[1] and dark > 2000  # landscape, with real ink on it (text and the QR code)


def test_verify_accepts_the_code_and_rejects_a_changed_one(issued):
    settings, store, certs = issued
    cert = certs[0]
    ok = iso20k(settings, "verify", cert.code)
    assert ok.returncode == 0 and "GENUINE" in ok.stdout and cert.employee_name in ok.stdout and "valid" in ok.stdout

    changed_char = "1" if cert.code[7] != "1" else "2"
    changed = cert.code[:7] + changed_char + cert.code[8:]
    bad = iso20k(settings, "verify", changed)
    assert bad.returncode == 1 and "NOT GENUINE" in bad.stdout and "check character" in bad.stdout

    body = "".join(ALPHABET[(ALPHABET.index(c) + 1) % 32] for c in cert.code.replace("-", "")[6:18])
    forged = f"ISO20K-{body[:4]}-{body[4:8]}-{body[8:]}-{_check(body)}"
    result = verify_code(store, forged, TODAY, settings.certificate_warning_days)
    assert not result.genuine and "no certificate was issued" in result.reason


def test_a_pdf_is_recognised_only_when_unchanged(issued):
    settings, store, certs = issued
    data = pdf_bytes(store, certs[0].code)
    assert verify_file(store, data, TODAY, 60).genuine
    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 0x01
    result = verify_file(store, bytes(tampered), TODAY, 60)
    assert not result.genuine and "changed after issue" in result.reason


def test_revocation_and_expiry_are_reported(world, tmp_path):
    settings = copy_world(world, tmp_path / "w")
    store = ProgressStore(settings.effective_db_url)
    [cert, *_] = issue_due(store, settings, load_records(settings), TODAY, "office")
    assert verify_code(store, cert.code, cert.valid_until - timedelta(days=1), 0).state == "valid"
    assert verify_code(store, cert.code, cert.valid_until, 0).state == "expired"
    expired = iso20k(settings, "verify", cert.code, "--as-of", (cert.valid_until + timedelta(days=3)).isoformat())
    assert expired.returncode == 0 and "expired" in expired.stdout

    revoked = iso20k(settings, "certificates", "revoke", cert.code, "--reason", "issued to the wrong person",
                     ISO20K_AUDIT_ACTOR="auditor-liaison")
    assert revoked.returncode == 0, revoked.stderr
    shown = iso20k(settings, "verify", cert.code)
    assert "revoked" in shown.stdout and "issued to the wrong person" in shown.stdout
    again = iso20k(settings, "certificates", "revoke", cert.code, "--reason", "twice")
    assert again.returncode != 0 and "already revoked" in again.stderr
    last = list(entries(store))[-1]
    assert (last.action, last.actor, last.details["code"]) == ("certificate-revoked", "auditor-liaison", cert.code)
    from iso20k.store.trail import read_anchor

    assert read_anchor(anchor_path(settings)) == (last.seq, last.hash)  # moved by the store after the commit
    assert verify_trail(store, gradebook_url(settings.course_root), anchor_path(settings)).ok


def test_the_verification_page_says_genuine_for_whom_and_rejects_changed_codes(issued, tmp_path):
    settings, store, certs = issued
    cert = certs[-1]
    port = free_port()
    with open(tmp_path / "verify.log", "w") as log:
        proc = subprocess.Popen([ISO20K, "verify-server", "--port", str(port)], env=env_of(settings),
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}/verify"
            wait_for_http(base + "/", proc)
            with urllib.request.urlopen(f"{base}/{cert.code}") as response:
                page = response.read().decode("utf-8")
            assert 'data-result="genuine"' in page and cert.employee_name in page and 'data-state="valid"' in page
            with urllib.request.urlopen(f"{base}?code={cert.code}&format=json") as response:
                data = json.loads(response.read())
            assert data["genuine"] and data["name"] == cert.employee_name and data["sha256"] == cert.sha256
            changed = cert.code[:-1] + ("0" if cert.code[-1] != "0" else "1")
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"{base}/{changed}")
            assert refused.value.code == 404 and 'data-result="not-genuine"' in refused.value.read().decode()
            with pytest.raises(urllib.error.HTTPError) as posted:
                urllib.request.urlopen(urllib.request.Request(f"{base}/{cert.code}", data=b"x", method="POST"))
            assert posted.value.code == 405
        finally:
            stop(proc)


def test_refresher_cycle_with_a_short_validity_and_a_fixed_clock(world, tmp_path):
    settings = copy_world(world, tmp_path / "w", certificate_validity_months_all_staff=1, certificate_warning_days=10)
    store = ProgressStore(settings.effective_db_url)
    rules = load_requirements(settings)
    snap = load_records(settings)
    from iso20k.certificates import passes

    first_pass = next(p for p in passes(snap, TODAY) if p.track == "all-staff")
    eid = first_pass.employee_id
    [old] = [c for c in issue_due(store, settings, snap, first_pass.passed_on, "office") if c.employee_id == eid
             and c.track == "all-staff"]
    assert old.valid_until == add_months(first_pass.passed_on, 1)

    def status(day: date) -> tuple[str, str]:
        rows = competence_matrix(load_records(settings), certificates(store), rules, day, 10)
        [row] = [r for r in rows if r.employee_id == eid and r.track == "all-staff"]
        return row.status, row.certificate

    assert status(first_pass.passed_on + timedelta(days=1)) == ("met", old.code)
    assert status(old.valid_until - timedelta(days=5)) == ("due", old.code)  # refresher due: expiring
    assert verify_code(store, old.code, old.valid_until - timedelta(days=5), 10).state == "expiring"
    assert status(old.valid_until + timedelta(days=1)) == ("expired", old.code)

    # The refresher: new answers and a new, later assessment result; the earlier ones stay.
    answers_before = len(store.answers(eid))
    catalog_q = next(a for a in store.answers(eid) if a["track"] == "all-staff")
    store.record_answer(eid, "all-staff", catalog_q["module"], catalog_q["question_id"], "a", True, "zh")
    assert len(store.answers(eid)) == answers_before + 1
    from iso20k.grading.environment import course_gradebook

    refresher_day = old.valid_until + timedelta(days=3)
    with course_gradebook(settings.course_root) as gb:
        gb.update_or_create_submission("all-staff-exam", eid,
                                       timestamp=datetime.combine(refresher_day, datetime.min.time()).replace(hour=10))
    new_certs = issue_due(store, settings, load_records(settings), refresher_day + timedelta(days=1), "office")
    # (other tracks' passes may be issued on the same run: the refresher is the all-staff one)
    [new] = [c for c in new_certs if c.employee_id == eid and c.track == "all-staff"]
    assert new.code != old.code and new.passed_on == refresher_day
    mine = [c for c in certificates(store, eid) if c.track == "all-staff"]
    assert [c.code for c in mine] == [old.code, new.code]  # the old one stays on record
    later = refresher_day + timedelta(days=2)
    assert status(later) == ("met", new.code)
    assert verify_code(store, old.code, later, 10).state == "expired"
    assert verify_code(store, new.code, later, 10).state == "valid"
    issued_for_eid = [e for e in entries(store) if e.action == "certificate-issued" and e.details["employee_id"] == eid
                      and e.details["track"] == "all-staff"]
    assert [e.details["code"] for e in issued_for_eid] == [old.code, new.code]


def test_the_dashboard_shows_expiring_and_expired_certificates(issued):
    from iso20k.dashboard import Dashboard, DataSource, Identity

    settings, store, certs = issued
    cert = min(certs, key=lambda c: c.valid_until)
    dashboard = Dashboard(DataSource(settings), language="en")
    dashboard.open_for(Identity("operator", operator=True))  # the single-user dashboard's operator
    others = [c for c in certs if c.track == cert.track and c.code != cert.code]

    def shown(day: date) -> str:
        dashboard.as_of.value = day
        return dashboard.certs.value

    before = shown(cert.valid_until - timedelta(days=settings.certificate_warning_days + 1))
    assert cert.employee_name not in before or any(c.employee_name == cert.employee_name for c in others)
    expiring = shown(cert.valid_until - timedelta(days=5))
    assert cert.employee_name in expiring and "expiring" in expiring
    expired = shown(cert.valid_until + timedelta(days=1))
    assert f'data-expired="{sum(1 for c in certs if c.valid_until <= cert.valid_until + timedelta(days=1))}"' in expired
    dashboard.lang.value = "zh"
    assert "已过期" in dashboard.certs.value
