"""Certificates follow from the record: a pass completed by autograde or by a grade given by hand
in formgrader issues its certificate in the same workflow, recorded in the audit trail; running
again issues nothing new, two workers racing issue one, a failing grade issues none, and the
demo company's passes have theirs.  Real store, real nbgrader gradebook, real grading; on the hub
the real records service (the trail writer) with a stand-in for the hub's token check."""

from __future__ import annotations

import json
import random
import subprocess
import urllib.error
import urllib.request
import warnings
from datetime import datetime, timedelta, timezone

import pytest

from iso20k.audit import anchor_path, entries, verify_trail
from iso20k.certificates import certificates, passes
from iso20k.certificates.workflow import company_record, today
from iso20k.grading.config import gradebook_url
from iso20k.store import ProgressStore
from records_world import ISO20K, build, copy_world, env_of, iso20k

pytestmark = pytest.mark.slow
EXAM = "all-staff-exam"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build(tmp_path_factory.mktemp("cert-flow") / "w")


def _hand_in(settings, employee_id: str, share: float) -> None:
    """A real hand-in of the all-staff exam, a minute ago, answering ``share`` of it right."""
    from iso20k.demo.gradebook import hand_in
    from iso20k.demo.history import Result
    from iso20k.grading.exam_model import load_exams

    exam = next(e for e in load_exams(settings.exams_dir) if e.assignment == EXAM)
    moment = datetime.now(timezone.utc) - timedelta(minutes=1)
    hand_in(settings.course_root, exam, Result(employee_id, "all-staff", "passed", moment, share), random.Random(3), "")


def _all_staff_passes(settings):
    record = company_record(settings)
    return record, sorted(p.employee_id for p in passes(record, today(settings)) if p.track == "all-staff")


def _trail(store):
    return list(entries(store))


def test_autograde_issues_the_certificate_of_a_pass_and_none_for_a_failure_once(world, tmp_path):
    settings = copy_world(world, tmp_path / "w")
    store = ProgressStore(settings.effective_db_url)
    _, passed = _all_staff_passes(settings)
    winner, loser, bystander = passed[:3]
    assert certificates(store) == []  # the world's passes have no certificates yet
    _hand_in(settings, winner, 1.0)  # a new attempt, all right: a pass today
    _hand_in(settings, loser, 0.0)  # a new attempt, all wrong: no longer a pass
    before = len(_trail(store))

    graded = iso20k(settings, "autograde", EXAM, "--jobs", "1", "--course", str(settings.course_root),
                    ISO20K_AUDIT_ACTOR="trainer-li")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "Certificates: 1 issued" in graded.stdout, graded.stdout
    [cert] = certificates(store)
    assert (cert.employee_id, cert.track, cert.passed_on) == (winner, "all-staff", today(settings))
    new = _trail(store)[before:]
    assert sorted((e.action, e.subject) for e in new[:2]) == sorted([("regrade", f"{loser}/{EXAM}"),
                                                                      ("regrade", f"{winner}/{EXAM}")])
    assert [(e.action, e.subject) for e in new[2:]] == [("certificate-issued", f"{winner}/all-staff")]
    issued = new[-1]
    assert issued.actor == "trainer-li" and issued.details["code"] == cert.code and issued.details["sha256"] == cert.sha256
    report = verify_trail(store, gradebook_url(settings.course_root), anchor_path(settings))
    assert report.ok and report.entries == len(_trail(store)), report.text()  # the anchor is at the new head
    assert bystander not in {c.employee_id for c in certificates(store)}  # only the graded learners' passes

    again = iso20k(settings, "autograde", EXAM, "--jobs", "1", "--course", str(settings.course_root),
                    ISO20K_AUDIT_ACTOR="trainer-li")
    assert again.returncode == 0 and "Certificates: 0 issued" in again.stdout, again.stdout
    assert len(certificates(store)) == 1 and len(_trail(store)) == before + 3

    # the catch-up command issues the passes graded before certificates were issued, and never the
    # winner's twice nor one for the loser
    caught_up = iso20k(settings, "certificates", "issue")
    assert caught_up.returncode == 0, caught_up.stderr
    mine = [c for c in certificates(store) if c.track == "all-staff"]
    assert [c.employee_id for c in mine].count(winner) == 1 and loser not in {c.employee_id for c in mine}
    assert bystander in {c.employee_id for c in mine}
    assert "0 certificate(s) issued" in iso20k(settings, "certificates", "issue").stdout


def test_two_workers_racing_issue_each_certificate_once(world, tmp_path):
    _race(copy_world(world, tmp_path / "w"))


def test_two_workers_racing_on_postgresql_issue_each_certificate_once(tmp_path, postgres_url):
    import shutil

    from iso20k.demo import build_demo
    from iso20k.grading.build import build_sources
    from iso20k.settings import REPO_ROOT, Settings

    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    settings = Settings(data_dir=tmp_path / "data", course_root=course, db_url=postgres_url)
    build_sources(settings.exams_dir, course / "source", settings)
    build_demo(settings, employees=30, departments=3, autograde_count=0, progress=False, certificates=False)
    _race(settings, ISO20K_DB_URL=postgres_url)


def test_workers_that_both_found_the_same_passes_due_issue_each_once(world, tmp_path):
    """The race made certain: two workers have both decided the same passes are due before either
    issued; the store's unique pass constraint lets one win each, the other skips it."""
    import threading

    from iso20k.certificates.workflow import due, issue_passes

    settings = copy_world(world, tmp_path / "w")
    stores = [ProgressStore(settings.effective_db_url) for _ in range(2)]
    todo = due(stores[0], company_record(settings), today(settings))[:4]
    assert len(todo) == 4 and due(stores[1], company_record(settings), today(settings))[:4] == todo
    start, got = threading.Barrier(2), {}

    def work(i):
        start.wait()
        got[i] = issue_passes(stores[i], settings, todo, f"worker-{i}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert len(got[0]) + len(got[1]) == 4
    certs = certificates(stores[0])
    assert sorted((c.employee_id, c.track) for c in certs) == sorted((p.employee_id, p.track) for p in todo)
    assert len([e for e in _trail(stores[0]) if e.action == "certificate-issued"]) == 4
    assert issue_passes(stores[1], settings, todo, "late") == []  # and once more: nothing
    for store in stores:
        store.close()


def _race(settings, **env):
    """Two 'iso20k certificates issue' at once on a company none of whose passes has its certificate."""
    store = ProgressStore(settings.effective_db_url)
    record = company_record(settings)
    expected = {(p.employee_id, p.track) for p in passes(record, today(settings))}
    assert len(expected) >= 3 and certificates(store) == []
    workers = [subprocess.Popen([ISO20K, "certificates", "issue"], env=env_of(settings, ISO20K_AUDIT_ACTOR=f"w{i}", **env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [w.communicate(timeout=600) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    counts = [int(out.strip().splitlines()[-1].split()[0]) for out, _ in outputs]
    certs = certificates(store)
    assert sum(counts) == len(certs) == len(expected)
    assert {(c.employee_id, c.track) for c in certs} == expected
    issued = [e for e in _trail(store) if e.action == "certificate-issued"]
    assert sorted(e.details["code"] for e in issued) == sorted(c.code for c in certs)
    assert verify_trail(store, gradebook_url(settings.course_root), anchor_path(settings)).ok
    store.close()


@pytest.fixture
def hook_in_this_process():
    from iso20k.audit.formgrader_hook import install, uninstall
    from iso20k.settings import get_settings

    install()
    yield
    uninstall()
    get_settings.cache_clear()


def _set_manual(course, student: str, score_of_cell) -> None:
    """Give grades by hand with nbgrader's own Gradebook (as formgrader does), one commit."""
    from iso20k.grading.environment import course_gradebook

    with warnings.catch_warnings(), course_gradebook(course) as gb:
        warnings.simplefilter("ignore")
        sub = gb.find_submission(EXAM, student)
        for nb in sub.notebooks:
            for g in nb.grades:
                value = score_of_cell(g)
                if value is not None:
                    g.manual_score = value
        gb.db.commit()


def test_on_the_hub_a_manual_grade_completing_a_pass_issues_through_the_trail_writer(
        world, tmp_path, monkeypatch, hook_in_this_process):
    """The formgrader (nbgrader's Gradebook with the hook, running as the grader account, no store)
    takes a learner below the mark, then a trainer's grade by hand completes the pass: the records
    service issues the certificate, under the trainer the hub names; asking again issues nothing;
    the grader's side never touches a progress store."""
    from iso20k.audit.actor import REQUEST_TOKEN
    from iso20k.settings import get_settings
    from trail_world import standard_tokens, trail_writer

    settings = copy_world(world, tmp_path / "w")
    _, passed = _all_staff_passes(settings)
    student = passed[0]
    course = settings.course_root
    with trail_writer(settings.data_dir, standard_tokens("gr-test"), course_root=course) as (base, service):
        store = ProgressStore(service.effective_db_url)
        monkeypatch.setenv("ISO20K_TRAIL_URL", base)
        monkeypatch.setenv("ISO20K_ENV_FILE", "")
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "svc-formgrader")
        monkeypatch.delenv("ISO20K_DB_URL", raising=False)
        monkeypatch.setenv("ISO20K_DATA_DIR", str(tmp_path / "grader-sees-no-store"))
        monkeypatch.setenv("ISO20K_COURSE_ROOT", str(course))
        get_settings.cache_clear()
        REQUEST_TOKEN.set("tok-anna")
        try:
            _set_manual(course, student, lambda g: 0.0 if g.cell.type == "GradeCell" else None)  # failing
            assert certificates(store) == []
            _set_manual(course, student, lambda g: g.max_score)  # the trainer completes the pass
            [cert] = certificates(store)
            assert (cert.employee_id, cert.track) == (student, "all-staff")
            trail = _trail(store)
            assert [e.action for e in trail[-3:]] == ["manual-grade", "manual-grade", "certificate-issued"]
            assert trail[-1].actor == "anna" and trail[-1].details["code"] == cert.code
            _set_manual(course, student, lambda g: g.max_score)  # saved again unchanged: no grade, no certificate
            from iso20k.audit.trail_client import request_certificates

            assert request_certificates(get_settings(), [student.lower()], ["all-staff"]) == []  # asked again (hub-cased): nothing new
            assert len(certificates(store)) == 1 and _trail(store) == trail
        finally:
            REQUEST_TOKEN.set(None)
        report = verify_trail(store, gradebook_url(course), anchor_path(service))
        assert report.ok, report.text()
        assert not (tmp_path / "grader-sees-no-store").exists()
        store.close()


def test_only_the_formgrader_service_may_ask_for_certificates(world, tmp_path):
    from trail_world import standard_tokens, trail_writer

    settings = copy_world(world, tmp_path / "w")
    _, passed = _all_staff_passes(settings)

    def ask(body, service="svc-formgrader", trainer=None):
        headers = {"Content-Type": "application/json"}
        if service:
            headers["Authorization"] = f"token {service}"
        if trainer:
            headers["X-ISO20K-Trainer-Token"] = trainer
        request = urllib.request.Request(base + "api/trail/certificates", data=json.dumps(body).encode(),
                                         method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    with trail_writer(settings.data_dir, standard_tokens("gr-test"), course_root=settings.course_root) as (base, service):
        store = ProgressStore(service.effective_db_url)
        for token, trainer in (("tok-anna", None), ("tok-learner", None), ("svc-dashboard", None), (None, None),
                               ("svc-formgrader", "tok-learner"), ("svc-formgrader", "tok-grader")):
            status, _ = ask({"students": passed[:1]}, token, trainer)
            assert status == 403
        for body in ({"students": []}, {"students": "x"}, {"students": [1]}, {},
                     {"students": passed[:1], "tracks": ["no-such-track"]}, {"students": passed[:1], "tracks": "all-staff"}):
            assert ask(body)[0] == 400
        assert certificates(store) == []
        status, reply = ask({"students": passed[:2] + ["nobody"], "tracks": ["all-staff"]})  # autograde's: no trainer
        assert status == 200, reply
        assert sorted((c["employee_id"], c["track"]) for c in reply["certificates"]) == [(p, "all-staff") for p in passed[:2]]
        assert {e.actor for e in _trail(store) if e.action == "certificate-issued"} == {"service:iso20k"}
        assert ask({"students": passed[:2], "tracks": ["all-staff"]}) == (200, {"certificates": []})
        store.close()


def test_the_demo_company_has_the_certificates_of_its_passes(tmp_path):
    from iso20k.dashboard import Dashboard, DataSource, Identity
    from iso20k.demo import remove_demo

    base = tmp_path / "demo"
    build(base, employees=30, departments=3, certificates=True)
    settings = copy_world(base, tmp_path / "w")
    store = ProgressStore(settings.effective_db_url)
    record = company_record(settings)
    certs = certificates(store)
    assert certs and {(c.employee_id, c.track, c.passed_on) for c in certs} == \
        {(p.employee_id, p.track, p.passed_on) for p in passes(record, today(settings))}
    issued = [e for e in _trail(store) if e.action == "certificate-issued"]
    assert sorted(e.details["code"] for e in issued) == sorted(c.code for c in certs)
    assert {e.actor for e in issued} == {"iso20k demo"}
    assert verify_trail(store, gradebook_url(settings.course_root), anchor_path(settings)).ok

    dashboard = Dashboard(DataSource(settings), language="en")
    dashboard.open_for(Identity("operator", operator=True))
    assert 'data-figure="certificates"' in dashboard.certs.value and 'data-valid="0"' not in dashboard.certs.value

    assert remove_demo(settings) > 0  # the made-up people's certificates go with them, in the trail
    assert certificates(store) == []
    [removed] = [e for e in _trail(store) if e.action == "certificates-removed"]
    assert sorted(c["code"] for c in removed.details["certificates"]) == sorted(c.code for c in certs)
    assert verify_trail(store, gradebook_url(settings.course_root), anchor_path(settings)).ok


def test_a_manual_grade_in_formgrader_that_completes_the_pass_issues_the_certificate(world, tmp_path):
    """A real JupyterLab with nbgrader's formgrader and the audit hook, on one machine: the trainer
    raises a failing learner's grades cell by cell through formgrader's own API; no certificate
    while the score is below the mark, the certificate at the save that reaches it (in the
    trainer's name, after that save's trail entry), nothing more for later saves."""
    import sqlite3

    from browser import TOKEN, jupyter_lab
    from iso20k.audit import record_from_trail_state
    from iso20k.grading.environment import course_gradebook
    from iso20k.launch import AUDIT_EXTENSION

    settings = copy_world(world, tmp_path / "w")
    course, url = settings.course_root, gradebook_url(settings.course_root)
    _, passed = _all_staff_passes(settings)
    student = passed[0]
    store = ProgressStore(settings.effective_db_url)
    with warnings.catch_warnings(), course_gradebook(course) as gb:  # set-up: the learner's exam failed ...
        warnings.simplefilter("ignore")
        for nb in gb.find_submission(EXAM, student).notebooks:
            for g in nb.grades:
                g.manual_score = 0.0
        gb.db.commit()
    # ... as the trail records (accepted by a named person, as an auditor would see it)
    assert record_from_trail_state(store, url, "setup", "grade-accepted", "test set-up: the exam failed", {student})
    with sqlite3.connect(course / "gradebook.db") as conn:
        cells = conn.execute(
            "SELECT g.id, c.max_score FROM grade g JOIN submitted_notebook sn ON sn.id = g.notebook_id "
            "JOIN submitted_assignment sa ON sa.id = sn.assignment_id JOIN assignment a ON a.id = sa.assignment_id "
            "JOIN grade_cells c ON c.id = g.cell_id WHERE a.name = ? AND sa.student_id = ? ORDER BY g.id",
            (EXAM, student)).fetchall()
    total = sum(m for _, m in cells)
    mark = settings.pass_mark("all-staff") * total
    env = {"ISO20K_DATA_DIR": str(settings.data_dir), "ISO20K_COURSE_ROOT": str(course),
           "ISO20K_AUDIT_ACTOR": "grader-anna"}
    score, crossed = 0.0, None
    with jupyter_lab(course, tmp_path, env_updates=env,
                     extra_args=(f"--ServerApp.jpserver_extensions={AUDIT_EXTENSION}=True",)) as base:
        for i, (grade_id, max_score) in enumerate(cells):
            request = urllib.request.Request(f"{base}/formgrader/api/grade/{grade_id}", method="PUT",
                                             data=json.dumps({"manual_score": max_score, "extra_credit": None}).encode(),
                                             headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=120) as reply:
                assert json.loads(reply.read())["manual_score"] == max_score
            score += max_score
            if crossed is None and score >= mark - 1e-9:
                crossed = i
            assert len(certificates(store)) == (0 if crossed is None else 1), (i, score, mark)
    assert crossed is not None and crossed < len(cells) - 1, "the pass is completed before the last cell"
    [cert] = certificates(store)
    assert (cert.employee_id, cert.track) == (student, "all-staff")
    trail = _trail(store)
    at = next(n for n, e in enumerate(trail) if e.action == "certificate-issued")
    assert trail[at].actor == "grader-anna" and trail[at].details["code"] == cert.code
    assert trail[at - 1].action == "manual-grade" and trail[at - 1].subject == f"{student}/{EXAM}"
    assert [e.action for e in trail[at + 1:]] == ["manual-grade"] * (len(cells) - 1 - crossed)
    assert "were not issued" not in (tmp_path / "lab-server.log").read_text()
    report = verify_trail(store, url, anchor_path(settings))
    assert report.ok, report.text()


def test_the_lesson_that_completes_a_pass_issues_the_certificate_on_the_hub(world, tmp_path):
    """A learner whose assessment was graded at the mark before the lessons were finished gets the
    certificate when the last lesson is completed, through the records service (the learner's
    own token, answers judged by the service), in the service's name, once."""
    import time

    from iso20k.hub.records_service import keyed_catalog
    from iso20k.store import tables
    from sqlalchemy import delete
    from trail_world import standard_tokens, trail_writer

    settings = copy_world(world, tmp_path / "w")
    _, passed = _all_staff_passes(settings)
    learner = passed[0]
    catalog = keyed_catalog(settings)
    module = sorted(k for k in catalog.banks if k.startswith("all-staff/"))[-1]
    store = ProgressStore(settings.effective_db_url)
    with store.engine.begin() as conn:  # the last lesson not finished yet (as if the exam came first)
        mc = tables.module_completions
        conn.execute(delete(mc).where(mc.c.learner_id == learner, mc.c.track == "all-staff",
                                      mc.c.module == module.split("/", 1)[1]))
        conn.execute(delete(tables.answers).where(tables.answers.c.learner_id == learner,
                                                  tables.answers.c.question_id.like(module + "/%")))
    _, now_passed = _all_staff_passes(settings)
    assert learner not in now_passed
    tokens = {**standard_tokens("gr-test"), "tok-me": {"kind": "user", "name": learner.lower(), "groups": []}}
    with trail_writer(settings.data_dir, tokens, course_root=settings.course_root,
                      records_answers_per_minute=10_000) as (base, service):
        store = ProgressStore(service.effective_db_url)
        questions = catalog.banks[module].questions
        for q in questions:
            body = json.dumps({"question_id": q.full_id, "response": q.answer, "language": "en"}).encode()
            request = urllib.request.Request(base + "api/answers", data=body, method="POST",
                                             headers={"Authorization": "token tok-me",
                                                      "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as reply:
                verdict = json.loads(reply.read())
            assert verdict["correct"], verdict
        assert verdict["module_completed"]
        deadline = time.monotonic() + 120
        while not certificates(store) and time.monotonic() < deadline:
            time.sleep(0.5)
        [cert] = certificates(store)
        assert (cert.employee_id, cert.track) == (learner, "all-staff")
        [entry] = [e for e in _trail(store) if e.action == "certificate-issued"]
        assert entry.actor == "service:records" and entry.details["code"] == cert.code
        report = verify_trail(store, gradebook_url(settings.course_root), anchor_path(service))
        # the set-up rewound this learner's answers, which the answers' own chain reports (as it
        # must); the trail itself is whole and its anchor is at the certificate's entry
        assert report.chain == [] and report.grades == [] and report.anchor == (entry.seq, entry.hash), report.text()
        store.close()
