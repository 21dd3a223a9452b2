"""One truth across faces: the dashboard, My training, the competence matrix, the certificate list
(registry and the dashboard's panel), the xAPI statements and the evidence pack's tables tell the
same story about every person, on every day, for a company whose events fall minutes either side
of local midnight in Asia/Shanghai (UTC+8).

The company (real progress store, real nbgrader course and gradebook, real certificates):

- E001 answers every all-staff question at 00:05 local on 1 December (16:05 UTC on 30 November)
  and hands in at 00:20 local, graded by nbgrader as student ``e001`` (the hub's user name),
  scoring exactly the pass mark;
- E002 passed on 20 November; holds an expired certificate (June 2025) and one for that pass,
  both issued at the same moment; the newer one is revoked at 00:30 local on 1 December;
- E003 fails just below the mark, with a late penalty;
- E004 answers at 23:50 local on 30 November (its due day) and hands in at 00:40 local on
  1 December (collected into ``submitted/e004``, not graded yet): late;
- E005 answers at 00:01 local on 1 December; E006 does nothing and was due on 30 November.
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from iso20k.banks import load_catalog
from iso20k.roster import write_employees
from iso20k.roster.validate import Employee
from iso20k.settings import REPO_ROOT, reload_settings
from iso20k.store import ProgressStore
from iso20k.tracks import ASSESSMENTS, TRACK_OF_ASSESSMENT

pytestmark = pytest.mark.slow

ZONE = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
NOV30, DEC1, DEC2 = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)
TRACK = "all-staff"
ISSUED_AT = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # both of E002's certificates
REVOKED_AT = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 December in Shanghai

#: (employee id, due date)
PEOPLE = [("E001", date(2026, 12, 31)), ("E002", date(2026, 12, 31)), ("E003", date(2026, 12, 31)),
          ("E004", NOV30), ("E005", date(2026, 12, 31)), ("E006", NOV30)]
#: What the rules say (worked out by hand from the story above), per day in Shanghai.
EXPECTED = {
    NOV30: {"E001": "not-started", "E002": "passed", "E003": "failed", "E004": "in-progress",
            "E005": "not-started", "E006": "not-started"},
    DEC1: {"E001": "passed", "E002": "passed", "E003": "failed", "E004": "overdue",
           "E005": "in-progress", "E006": "overdue"},
}
EXPECTED[DEC2] = EXPECTED[DEC1]


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _env(base: Path) -> dict[str, str]:
    return {"ISO20K_DATA_DIR": str(base / "data"), "ISO20K_COURSE_ROOT": str(base / "course"),
            "ISO20K_TIME_ZONE": "Asia/Shanghai"}


def _events(catalog, learner: str, at: datetime, modules=None) -> list[dict]:
    out = []
    banks = [b for key, b in sorted(catalog.banks.items()) if b.track == TRACK]
    for bank in banks[:modules] if modules else banks:
        for q in bank.questions:
            out.append(dict(learner_id=learner, track=bank.track, module=bank.module, question_id=q.full_id,
                            response=q.answer, correct=True, language="en", answered_at=at))
            at += timedelta(seconds=1)
    return out


def _grade(gb, student: str, when: datetime, share: float, below: float = 0.0, penalty: float = 0.0):
    """A graded hand-in of the all-staff exam scoring ``share`` of its points less ``below``."""
    sub = gb.update_or_create_submission(ASSESSMENTS[TRACK], student, timestamp=when.replace(tzinfo=None))
    grades = [g for nb in sub.notebooks for g in nb.grades]
    total = sum(float(g.max_score) for g in grades)
    left = share * total - below
    for g in grades:
        given = min(float(g.max_score), max(0.0, left))
        g.auto_score, g.manual_score, g.needs_manual_grade = given, None, False
        left -= given
    if penalty:
        sub.notebooks[0].late_submission_penalty = penalty
    gb.db.commit()


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    from nbgrader_course import new_course

    from iso20k.certificates.registry import issue, revoke
    from iso20k.grading.environment import course_gradebook

    base = tmp_path_factory.mktemp("one-truth")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in _env(base).items():
            mp.setenv(key, value)
        settings = reload_settings()
        catalog = load_catalog(settings.banks_dir)
        store = ProgressStore(settings.effective_db_url)
        write_employees([Employee(eid, f"Person {eid}", "Service desk" if eid < "E004" else "Operations", "staff",
                                  None, (TRACK,), {TRACK: due}) for eid, due in PEOPLE], store)
        questions = {b.module_key: {q.full_id for q in b.questions} for b in catalog.banks.values()}
        events = (_events(catalog, "E001", _utc(2026, 11, 30, 16, 5)) + _events(catalog, "E002", _utc(2026, 11, 19, 2))
                  + _events(catalog, "E003", _utc(2026, 11, 29, 3), modules=1)
                  + _events(catalog, "E004", _utc(2026, 11, 30, 15, 50), modules=1)
                  + _events(catalog, "E005", _utc(2026, 11, 30, 16, 1), modules=1))
        store.record_history(events, questions)

        course = new_course(base / "course", REPO_ROOT / "exams")
        mark = settings.pass_mark(TRACK)
        with warnings.catch_warnings(), course_gradebook(course) as gb:
            warnings.simplefilter("ignore")  # nbgrader's own autoflush warnings
            for student in ("e001", "e002", "e003"):
                gb.update_or_create_student(student)
            _grade(gb, "e001", _utc(2026, 11, 30, 16, 20), mark)  # exactly at the mark
            _grade(gb, "e002", _utc(2026, 11, 20, 2, 0), 1.0)
            _grade(gb, "e003", _utc(2026, 11, 29, 10, 0), mark, below=0.5, penalty=1.0)
        handed_in = course / "submitted" / "e004" / ASSESSMENTS[TRACK]
        handed_in.mkdir(parents=True)
        (handed_in / "timestamp.txt").write_text("2026-11-30 16:40:00.000000 UTC")

        common = dict(employee_id="E002", employee_name="Person E002", department="Service desk", track=TRACK,
                      actor="training-office", now=ISSUED_AT)
        issue(store, settings, score=40, max_score=40, passed_on=date(2025, 6, 1), **common)
        newer, _ = issue(store, settings, score=40, max_score=40, passed_on=date(2026, 11, 20), **common)
        revoke(store, newer.code, "issued to the wrong person", "training-office", now=REVOKED_AT)
        store.close()
    return base


@pytest.fixture
def settings(company, monkeypatch):
    for key, value in _env(company).items():
        monkeypatch.setenv(key, value)
    return reload_settings()


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    keys = [h.split(" / ")[0] for h in rows[0]]
    return [dict(zip(keys, row)) for row in rows[1:]]


def _round(score: float | None) -> float | None:
    return None if score is None else round(score, 6)


def _local_day(stamp: str) -> date:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(ZONE).date()


def test_every_face_tells_the_same_story(settings, tmp_path):
    from iso20k.certificates import certificates
    from iso20k.certificates.registry import latest_by_track
    from iso20k.competence import competence_matrix, load_requirements
    from iso20k.competence.records import load_records
    from iso20k.dashboard.app import DataSource
    from iso20k.dashboard.certificates_panel import certificate_panel
    from iso20k.evidence.pack import build_evidence
    from iso20k.grading.config import gradebook_url
    from iso20k.learner import training_summary
    from iso20k.learner.summary import summary_from_json, summary_to_json

    store = ProgressStore(settings.effective_db_url)
    catalog = load_catalog(settings.banks_dir)
    source = DataSource(settings)  # the dashboard's own reading
    source.restrict(None)
    full = source.full
    warning = settings.certificate_warning_days
    certs = certificates(store)
    assert len(certs) == 2 and {c.issued_at for c in certs} == {ISSUED_AT}  # equal timestamps
    ids = [eid for eid, _ in PEOPLE]
    assert sorted(p.employee_id for p in full.people) == ids

    problems: list[str] = []  # every disagreement, so a failure shows all of them at once

    def same(face: str, who: str, got, expected) -> None:
        if got != expected:
            problems.append(f"as of {day}, {who}: {face} says {got!r}, expected {expected!r} (the dashboard's reading)")

    for day in (NOV30, DEC1, DEC2):
        # -- the dashboard
        status = source.statuses(day)
        same("the rules worked out by hand", "everyone", {eid: status[(eid, TRACK)] for eid in ids}, EXPECTED[day])
        dash = {}
        for eid in ids:
            sub = full.submissions.get((eid, TRACK))
            sub = sub if sub is not None and sub.submitted_on <= day else None  # handed in by then
            graded = sub is not None and sub.score is not None and not sub.needs_manual
            dash[eid] = dict(status=status[(eid, TRACK)], passed=(status[(eid, TRACK)] == "passed") if graded else None,
                             score=sub.score if graded else None, on=sub.submitted_on if sub else None,
                             first=full.first_activity.get((eid, TRACK)), done=full.modules_done(eid, TRACK, day))
        same("a hand-in exactly at the mark", "E001", dash["E001"]["passed"], True if day >= DEC1 else None)
        same("the hand-in's local day", "E001", dash["E001"]["on"], DEC1 if day >= DEC1 else None)

        # -- My training, every learner, the way the start page asks for it
        for eid in ids:
            mine = training_summary(store, eid, catalog, course_dir=settings.course_dir,
                                    gradebook_url=gradebook_url(settings.course_root, settings),
                                    course_root=settings.course_root, as_of=day)
            same("My training across the records service (JSON)", eid, summary_from_json(summary_to_json(mine)), mine)
            [track] = mine.tracks
            same("My training's status", eid, track.status, dash[eid]["status"])
            result = track.assessment
            seen = result if result is not None and result.submitted_on is not None and result.submitted_on <= day else None
            same("My training's hand-in day", eid, seen.submitted_on if seen else None, dash[eid]["on"])
            if seen is not None and dash[eid]["on"] is not None:
                same("My training's pass", eid, seen.passed, dash[eid]["passed"])
                same("My training's score", eid, _round(seen.score if seen.passed is not None else None),
                     _round(dash[eid]["score"]))

        # -- the evidence pack (its tables and its xAPI statements)
        pack = build_evidence(settings, day, tmp_path / day.isoformat())
        results = {row["employee_id"]: row for row in _csv(pack.folder / "results.csv")}
        for eid in ids:
            row, mine = results[eid], dash[eid]
            same("the pack's results.csv status", eid, row["status"], mine["status"])
            same("the pack's results.csv hand-in day", eid, row["submitted_on"], mine["on"].isoformat() if mine["on"] else "")
            same("the pack's results.csv score", eid, row["score"], f"{mine['score']:g}" if mine["score"] is not None else "")
            same("the pack's results.csv lessons done", eid, int(row["lessons_done"]), mine["done"])

        statements = json.loads((pack.folder / "xapi-statements.json").read_text(encoding="utf-8"))
        assessed, first_answer, completed = {}, {}, {}
        for s in statements:
            eid, verb = s["actor"]["account"]["name"], s["verb"]["id"].rsplit("/", 1)[1]
            if verb in ("passed", "failed"):
                assert TRACK_OF_ASSESSMENT[s["object"]["id"].rsplit("/", 1)[1]] == TRACK
                assessed[eid] = (verb == "passed", s["result"]["score"]["raw"], _local_day(s["timestamp"]))
            elif verb == "answered":
                first_answer[eid] = min(first_answer.get(eid, date.max), _local_day(s["timestamp"]))
            elif verb == "completed":
                completed[eid] = completed.get(eid, 0) + 1
        same("xAPI (passed/failed, score, day)", "everyone", assessed,
             {eid: (m["passed"], round(m["score"], 4), m["on"]) for eid, m in dash.items() if m["passed"] is not None})
        same("xAPI's first answer day", "everyone", first_answer,
             {eid: m["first"] for eid, m in dash.items() if m["first"] and m["first"] <= day})
        same("xAPI's completed modules", "everyone", completed, {eid: m["done"] for eid, m in dash.items() if m["done"]})

        # -- certificates: the registry's current one, the competence matrix, the panel, the pack
        latest = latest_by_track(certs, day)
        revoked_by_then = REVOKED_AT.astimezone(ZONE).date() <= day
        current = latest.get(("E002", TRACK))
        same("the registry's current certificate (passed on)", "E002", current.passed_on if current else None,
             date(2025, 6, 1) if revoked_by_then else date(2026, 11, 20))
        snap = load_records(settings)
        matrix = {r.employee_id: r for r in competence_matrix(snap, certs, load_requirements(settings), day, warning)}
        in_pack = {row["employee_id"]: row for row in _csv(pack.folder / "competence-matrix.csv")}
        for eid in ids:
            r = matrix[eid]
            same("the pack's competence matrix", eid, (in_pack[eid]["status"].split(" / ")[0], in_pack[eid]["certificate"]),
                 (r.status, r.certificate))
            cert = latest.get((eid, TRACK))
            fresh = bool(dash[eid]["passed"]) and dash[eid]["done"] >= full.modules[TRACK]
            if r.certificate:
                same("the competence matrix's certificate", eid, (r.certificate, r.passed_on),
                     (cert.code, cert.passed_on) if cert else None)
            elif fresh:
                same("the competence matrix's pass", eid, (r.status, r.passed_on), ("met", dash[eid]["on"]))
            same("the competence matrix's 'met'", eid, r.status == "met",
                 fresh or bool(cert and cert.state(day, warning) == "valid"))
        states = {row["code"]: row["state"] for row in _csv(pack.folder / "certificates.csv")}
        for c in certs:
            if c.passed_on <= day:
                same("the pack's certificates.csv 'revoked'", c.code, states[c.code] == "revoked",
                     c.revoked_at is not None and revoked_by_then)
        panel = certificate_panel(source.certificates, full.people, day, warning, "en", 1)
        shown = set(re.findall(r"<td[^>]*>(E\d+)</td>", panel))
        flagged = {key[0] for key, c in latest.items() if c.state(day, warning) in ("expiring", "expired")}
        same("the dashboard's certificate panel (people flagged)", "everyone", shown, flagged)
    assert not problems, "\n".join(problems)
    store.close()


def test_both_reading_paths_score_as_nbgraders_gradebook(settings):
    """The company path (Grade.score per notebook) and the learner path (SubmittedAssignment.score)
    give each hand-in the score, maximum and waiting state nbgrader's Gradebook gives it."""
    from iso20k.competence.records import load_records
    from iso20k.grading.config import gradebook_url
    from iso20k.grading.environment import course_gradebook
    from iso20k.results import read_learner
    from iso20k.results.rules import submission_score

    course = settings.course_root
    url = gradebook_url(course, settings)
    source_snap = load_records(settings)
    expected = {}
    with warnings.catch_warnings(), course_gradebook(course) as gb:
        warnings.simplefilter("ignore")
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                expected[sub.student.id.upper()] = (submission_score(sub.score, sub.late_submission_penalty),
                                                    float(assignment.max_score), bool(sub.needs_manual_grade))
    assert expected["E003"][0] < settings.pass_mark(TRACK) * expected["E003"][1]  # penalty counted
    store = ProgressStore(settings.effective_db_url)
    for eid, (score, max_score, waiting) in expected.items():
        company = source_snap.submissions[(eid, TRACK)]
        alone = read_learner(store.engine, eid, modules={}, pass_marks={}, gradebook_url=url,
                             course_root=course, zone=settings.zone()).snapshot
        # the learner's path reads that learner only, never the company
        assert [p.employee_id for p in alone.people] == [eid] and {k[0] for k in alone.submissions} == {eid}
        learner = alone.submissions[(eid, TRACK)]
        for sub in (company, learner):
            assert (sub.score, sub.max_score, sub.needs_manual) == (pytest.approx(score), max_score, waiting), eid
        assert company.submitted_on == learner.submitted_on
    store.close()
