"""``iso20k evidence``: one folder an auditor can open.

    summary.pdf                 bilingual summary: figures, tables, the trail's verification result
    completion.csv              the dashboard's department × track table for the same day
    competence-matrix.csv       every required track of every employee: met, due, overdue, expired
    results.csv                 lessons done and assessment results
    certificates.csv            certificates issued (state on the as-of day)
    overdue-expired.csv         the competence matrix's overdue and expired rows
    follow-up.csv               every reminder, escalation and digest sent (from the audit trail)
    evidence.xlsx               the same tables, one sheet each
    certificates/<code>.pdf     each certificate exactly as issued
    xapi-statements.json        the learning records as validated xAPI 1.0.3 statements
    audit-trail-verification.txt  the result of 'iso20k audit-trail verify'
    audit-trail-head.txt        the trail's head (sequence number and hash) for the auditor to keep
    manifest.csv                every file above with its size and SHA-256

Reading only: the pack changes nothing in the databases."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..audit import anchor_path, verify_trail
from ..banks.loader import keyed_catalog_if_readable
from ..certificates import certificates, pdf_bytes
from ..competence import competence_matrix, counts, load_requirements
from ..competence.records import load_records
from ..results import locate_course
from ..settings import Settings
from ..store import ProgressStore
from ..store.company import module_completions
from ..xapi import build_statements
from .summary_pdf import render_summary
from ..store.trail import entries as trail_entries
from .tables import (certificates_table, completion_table, exceptions_table, follow_up_table, matrix_table,
                     results_table)
from .workbook import write_csv, write_xlsx


class EvidenceError(RuntimeError):
    pass


@dataclass
class EvidencePack:
    folder: Path
    files: list[Path]
    figures: dict[str, int]
    trail_ok: bool


def _slug(text: str) -> str:
    ascii_part = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return ascii_part or hashlib.sha256(text.encode()).hexdigest()[:8]


def build_evidence(settings: Settings, as_of: date, out_dir: Path, department: str | None = None) -> EvidencePack:
    store = ProgressStore(settings.effective_db_url)
    snap = load_records(settings)
    departments = {p.department for p in snap.people}
    if department and department not in departments:
        raise EvidenceError(f"No active employee is in the department '{department}'. Departments: "
                            + "; ".join(sorted(departments)))
    scope = department or "whole company / 全公司"
    folder = Path(out_dir) / f"evidence-{_slug(department) if department else 'company'}-{as_of.isoformat()}"
    if folder.exists() and any(folder.iterdir()):
        raise EvidenceError(f"{folder} already exists and is not empty; an evidence pack is never overwritten. "
                            "Choose another --out folder or move the old pack away.")
    (folder / "certificates").mkdir(parents=True, exist_ok=True)

    warning = settings.certificate_warning_days
    people = {p.employee_id for p in snap.people if not department or p.department == department}
    certs = [c for c in certificates(store) if c.employee_id in people and c.passed_on <= as_of]
    matrix = competence_matrix(snap, certs, load_requirements(settings), as_of, warning, department)
    report = verify_trail(store, locate_course(settings).db_url, anchor_path(settings))

    tables = [completion_table(snap, as_of, department), matrix_table(matrix), results_table(snap, as_of, department),
              certificates_table(certs, as_of, warning, snap.zone), exceptions_table(matrix),
              follow_up_table(trail_entries(store), as_of, department, snap.zone)]
    figures = {f"requirements_{k}": v for k, v in counts(matrix).items()}
    figures["employees"] = len(people)
    figures["certificates"] = len(certs)
    figures["follow_up_messages"] = len(tables[-1].rows)
    files: list[Path] = []
    for table in tables:
        files.append(write_csv(table, folder))
    files.append(write_xlsx(tables, folder / "evidence.xlsx"))
    for cert in certs:
        target = folder / "certificates" / f"{cert.code}.pdf"
        target.write_bytes(pdf_bytes(store, cert.code))
        files.append(target)

    answers = [a for a in store.answers() if a["learner_id"] in people]
    completions = module_completions(store)
    statements = build_statements(snap, answers, completions, keyed_catalog_if_readable(settings),
                                  settings.company_home_page, as_of, department)
    xapi = folder / "xapi-statements.json"
    xapi.write_text(json.dumps(statements, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    files.append(xapi)
    figures["xapi_statements"] = len(statements)

    trail = folder / "audit-trail-verification.txt"
    trail.write_text(f"Checked on building this pack (as of {as_of}):\n{report.text()}\n", encoding="utf-8")
    files.append(trail)
    head = folder / "audit-trail-head.txt"
    head.write_text(
        f"Audit trail head when this pack was built (as of {as_of}) / 证据包生成时的审计追踪链头:\n"
        f"{report.head_text()}\n\n"
        "Keep this line. Later, 'iso20k audit-trail show --entry N' must print this same hash for entry N, and "
        "'iso20k audit-trail verify' must say 'intact': then no entry up to N was changed, removed or rewritten "
        "since this pack was built (docs/audit-evidence.md).\n", encoding="utf-8")
    files.append(head)

    label = [("Requirements met / due / overdue / expired · 要求：符合 / 待完成 / 逾期 / 已过期",
              " / ".join(str(figures[f"requirements_{s}"]) for s in ("met", "due", "overdue", "expired"))),
             ("Employees · 员工", str(figures["employees"])),
             ("Certificates · 证书", str(figures["certificates"])),
             ("xAPI statements · xAPI 记录", str(figures["xapi_statements"])),
             ("Audit trail head · 审计追踪链头", report.head_text())]
    summary = folder / "summary.pdf"
    summary.write_bytes(render_summary(tables, settings, scope, as_of, report.summary(), label))
    files.append(summary)

    manifest = folder / "manifest.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "bytes", "sha256"])
        for path in files:
            writer.writerow([path.relative_to(folder).as_posix(), path.stat().st_size,
                             hashlib.sha256(path.read_bytes()).hexdigest()])
    files.append(manifest)
    store.close()
    return EvidencePack(folder, files, figures, report.ok)
