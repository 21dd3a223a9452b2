"""The evidence pack for the demo company: every file there, the same figures as the dashboard for
the same day, valid xAPI statements; and sending them to a Learning Record Store."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import subprocess
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from openpyxl import load_workbook

from dashboard_world import expected_table
from iso20k.certificates import certificates
from iso20k.store import ProgressStore
from records_world import build, copy_world, iso20k

pytestmark = pytest.mark.slow
TODAY = date.today()
FILES = {"summary.pdf", "completion.csv", "competence-matrix.csv", "results.csv", "certificates.csv",
         "overdue-expired.csv", "follow-up.csv", "evidence.xlsx", "xapi-statements.json", "audit-trail-verification.txt", "audit-trail-head.txt",
         "manifest.csv"}


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    base = tmp_path_factory.mktemp("evidence")
    build(base / "world", employees=40, departments=4, certificates=True)  # the demo issues its passes' certificates
    settings = copy_world(base / "world", base / "w")
    caught_up = iso20k(settings, "certificates", "issue")  # so the catch-up finds nothing left to issue
    assert caught_up.returncode == 0 and "0 certificate(s) issued" in caught_up.stdout, caught_up.stdout
    out = base / "packs"
    result = iso20k(settings, "evidence", "--as-of", TODAY.isoformat(), "--out", str(out))
    assert result.returncode == 0, result.stderr
    [folder] = list(out.iterdir())
    return settings, folder, result.stdout


def _csv(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_every_file_is_there_and_the_manifest_holds_their_hashes(company):
    settings, folder, _ = company
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    codes = {c.code for c in certificates(ProgressStore(settings.effective_db_url))}
    assert names == FILES | {f"certificates/{code}.pdf" for code in codes} and codes
    manifest = _csv(folder / "manifest.csv")[1:]
    assert {row[0] for row in manifest} == names - {"manifest.csv"}
    for name, size, digest in manifest:
        data = (folder / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (int(size), digest)


def test_completion_figures_equal_the_dashboards_for_the_same_day(company):
    settings, folder, _ = company
    expected = expected_table(settings, TODAY)
    rows = _csv(folder / "completion.csv")[1:]
    departments = {row[0]: row for row in rows[:-1]}
    assert set(departments) == set(expected)
    tracks = ["all-staff", "key-personnel", "document-writing"]
    for dept, row in departments.items():
        assert int(row[1]) == expected[dept]["employees"]
        for i, track in enumerate(tracks):
            required, trained, _, overdue = row[2 + 4 * i: 6 + 4 * i]
            assert (int(required), int(trained), int(overdue)) == expected[dept].get(track, (0, 0, 0)), (dept, track)


def test_the_matrix_certificates_and_workbook_agree(company):
    settings, folder, stdout = company
    matrix = _csv(folder / "competence-matrix.csv")[1:]
    statuses = [row[6].split(" / ")[0] for row in matrix]
    assert set(statuses) <= {"met", "due", "overdue", "expired"} and "met" in statuses
    assert f"requirements met: {statuses.count('met')}" in stdout
    certs = _csv(folder / "certificates.csv")[1:]
    assert {row[0] for row in certs} == {row[8] for row in matrix if row[8]}
    book = load_workbook(folder / "evidence.xlsx", read_only=True)
    for sheet in ("completion", "competence-matrix", "results", "certificates", "overdue-expired"):
        assert len(list(book[sheet].iter_rows())) == len(_csv(folder / f"{sheet}.csv"))


def test_the_summary_pdf_is_bilingual_with_the_as_of_day_and_the_trail_result(company):
    settings, folder, _ = company
    pdf = folder / "summary.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert any("NotoSansCJK" in line and " yes yes " in line for line in fonts.splitlines())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert TODAY.isoformat() in text and "能力矩阵" in text and "Competence matrix" in text
    assert "intact" in text
    assert "Audit trail intact" in (folder / "audit-trail-verification.txt").read_text(encoding="utf-8")
    # the head, for the auditor to keep: the trail's newest entry, in full, in the PDF and its own file
    from iso20k.audit import entries

    head = list(entries(ProgressStore(settings.effective_db_url)))[-1]
    assert f"#{head.seq} {head.hash}" in (folder / "audit-trail-head.txt").read_text(encoding="utf-8")
    assert f"#{head.seq} {head.hash}" in " ".join(text.split()), text


def test_the_xapi_statements_validate_and_cover_every_verb(company):
    from ralph.models.xapi.base.statements import BaseXapiStatement

    settings, folder, _ = company
    statements = json.loads((folder / "xapi-statements.json").read_text(encoding="utf-8"))
    for statement in statements:
        BaseXapiStatement(**statement)
    verbs = {s["verb"]["id"].rsplit("/", 1)[1] for s in statements}
    assert {"answered", "completed", "passed"} <= verbs
    assert all(s["actor"]["account"]["homePage"] == settings.company_home_page and s["version"] == "1.0.3"
               for s in statements)
    answered = next(s for s in statements if s["verb"]["id"].endswith("answered"))
    definition = answered["object"]["definition"]
    assert set(definition["description"]) == {"en-US", "zh-CN"} and definition["interactionType"] == "choice"
    assert len({s["id"] for s in statements}) == len(statements)


def test_a_department_pack_holds_only_that_department(company, tmp_path):
    settings, folder, _ = company
    department = _csv(folder / "completion.csv")[1][0]
    result = iso20k(settings, "evidence", "--department", department, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    [pack] = list(tmp_path.iterdir())
    assert {row[2] for row in _csv(pack / "competence-matrix.csv")[1:]} == {department}
    again = iso20k(settings, "evidence", "--department", department, "--out", str(tmp_path))
    assert again.returncode != 0 and "never overwritten" in again.stderr
    unknown = iso20k(settings, "evidence", "--department", "No Such Dept", "--out", str(tmp_path / "x"))
    assert unknown.returncode != 0 and "No active employee" in unknown.stderr


class _Lrs(BaseHTTPRequestHandler):
    received: list = []
    auth: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).auth.append((self.headers.get("Authorization"), self.headers.get("X-Experience-API-Version")))
        statements = json.loads(body)
        type(self).received.extend(statements)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps([s["id"] for s in statements]).encode())

    def log_message(self, *args):
        pass


def test_statements_are_sent_to_a_learning_record_store_without_printing_the_secret(company, tmp_path):
    settings, folder, _ = company
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Lrs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/xAPI"
        result = iso20k(settings, "xapi", "--send", "--out", str(tmp_path / "s.json"), ISO20K_LRS_URL=url,
                        ISO20K_LRS_USERNAME="iso20k", ISO20K_LRS_PASSWORD="s3cr3t-pw")
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    written = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert [s["id"] for s in _Lrs.received] == [s["id"] for s in written]
    expected = "Basic " + base64.b64encode(b"iso20k:s3cr3t-pw").decode()
    assert set(_Lrs.auth) == {(expected, "1.0.3")}
    assert "s3cr3t" not in result.stdout + result.stderr
    shown = iso20k(settings, "settings", ISO20K_LRS_PASSWORD="s3cr3t-pw")
    assert "s3cr3t" not in shown.stdout
