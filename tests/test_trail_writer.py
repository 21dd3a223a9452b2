"""The trail writer's door for grade changes (``POST api/trail/grades`` on the records service):
only the formgrader service may knock, a grade given by hand needs the trainer's own hub token,
and the entry names the trainer the hub vouches for, never a name in the request.  The
formgrader's audit hook sends through it and a grade whose entry cannot be written is not saved."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request

import pytest

from iso20k.audit import entries, verify_trail
from iso20k.audit.verify import anchor_path
from iso20k.store import ProgressStore
from trail_world import standard_tokens, trail_writer

CHANGE = {"assignment": "key-personnel-assessment", "student": "e900", "submission": "2026-11-20 10:00:00",
          "grades": {"assessment/t1-task": [None, 7]}}


def post(base: str, body: dict, service: str | None = "svc-formgrader", trainer: str | None = None):
    headers = {"Content-Type": "application/json"}
    if service:
        headers["Authorization"] = f"token {service}"
    if trainer:
        headers["X-ISO20K-Trainer-Token"] = trainer
    request = urllib.request.Request(base + "api/trail/grades", data=json.dumps(body).encode(), method="POST",
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def writer(tmp_path):
    data = tmp_path / "data"
    with trail_writer(data, standard_tokens("gr-test")) as (base, settings):
        yield base, settings


def _trail(settings):
    store = ProgressStore(settings.effective_db_url)
    try:
        return list(entries(store))
    finally:
        store.close()


def test_a_manual_grade_is_recorded_under_the_trainer_the_hub_names(writer):
    base, settings = writer
    status, reply = post(base, {"source": "formgrader", "submissions": [CHANGE], "actor": "ben",
                                "claimed_by": "ben"}, trainer="tok-anna")
    assert status == 200, reply
    (entry,) = _trail(settings)
    assert (entry.actor, entry.action, entry.subject) == ("anna", "manual-grade", "e900/key-personnel-assessment")
    assert entry.details["source"] == "formgrader" and "claimed_by" not in entry.details
    assert entry.details["grades"] == {"assessment/t1-task": [None, 7.0]}
    assert reply["entries"] == [{"seq": 1, "hash": entry.hash, "action": "manual-grade", "actor": "anna"}]
    # the anchor: in the trail writer's data folder, written by it alone
    anchor = anchor_path(settings)
    assert json.loads(anchor.read_text()) == {"seq": 1, "hash": entry.hash}
    assert stat.S_IMODE(anchor.stat().st_mode) & 0o022 == 0


@pytest.mark.parametrize("service, trainer, source, why", [
    (None, "tok-anna", "formgrader", "only the trainers' formgrader service"),
    ("tok-anna", "tok-anna", "formgrader", "only the trainers' formgrader service"),  # a trainer's token is no service
    ("svc-dashboard", "tok-anna", "formgrader", "only the trainers' formgrader service"),
    ("made-up", "tok-anna", "formgrader", "only the trainers' formgrader service"),
    ("svc-formgrader", None, "formgrader", "needs the signed-in trainer's own hub token"),
    ("svc-formgrader", "tok-learner", "formgrader", "not the hub token of a trainer"),
    ("svc-formgrader", "tok-grader", "formgrader", "not the hub token of a trainer"),
    ("svc-formgrader", "forged", "formgrader", "not the hub token of a trainer"),
])
def test_a_grade_from_anyone_else_is_refused_and_nothing_is_written(writer, service, trainer, source, why):
    base, settings = writer
    status, reply = post(base, {"source": source, "submissions": [CHANGE]}, service=service, trainer=trainer)
    assert status == 403 and why in reply["message"], reply
    assert _trail(settings) == []


def test_a_trainer_cannot_write_an_entry_in_another_trainers_name(writer):
    """Ben, signed in to formgrader (its service token in his terminal), tries to make the trail say
    Anna gave a grade: whatever the body says, the entry names the owner of the trainer token, and
    without Anna's token there is no entry in her name."""
    base, settings = writer
    for body in ({"source": "formgrader", "submissions": [CHANGE], "actor": "anna"},
                 {"source": "formgrader", "submissions": [CHANGE], "claimed_by": "anna", "trainer": "anna"}):
        status, _ = post(base, body, trainer="tok-ben")
        assert status == 200
    status, reply = post(base, {"source": "formgrader", "submissions": [CHANGE]}, trainer="anna")
    assert status == 403, reply
    assert [e.actor for e in _trail(settings)] == ["ben", "ben"]


def test_autograde_without_a_trainer_names_the_service_and_only_records_the_claim(writer):
    base, settings = writer
    status, reply = post(base, {"source": "autograde", "claimed_by": "anna", "submissions": [CHANGE]})
    assert status == 200, reply
    (entry,) = _trail(settings)
    assert entry.actor == "service:iso20k" and entry.action == "grade"
    assert entry.details["claimed_by"] == "anna"


@pytest.mark.parametrize("body", [
    {"source": "roster", "submissions": [CHANGE]},
    {"source": "formgrader", "submissions": []},
    {"source": "formgrader", "submissions": [{**CHANGE, "grades": {"t1": [None, 7]}}]},
    {"source": "formgrader", "submissions": [{**CHANGE, "grades": {"a/b": [None, "7"]}}]},
    {"source": "formgrader", "submissions": [{**CHANGE, "student": ""}]},
    {"source": "formgrader", "submissions": [{**CHANGE, "grades": {"a/b": [None, float("inf")]}}]},
])
def test_malformed_grade_changes_are_refused(writer, body):
    base, settings = writer
    status, _ = post(base, json.loads(json.dumps(body).replace("Infinity", "1e999")), trainer="tok-anna")
    assert status == 400
    assert _trail(settings) == []


@pytest.fixture
def hook_in_this_process():
    """The formgrader hook listening in the test's own process, and gone again afterwards (it
    listens to every SQLAlchemy session of the process)."""
    from iso20k.audit.formgrader_hook import install, uninstall
    from iso20k.settings import get_settings

    install()
    yield
    uninstall()
    get_settings.cache_clear()


def test_the_formgrader_hook_sends_through_the_trail_writer_and_a_failed_send_saves_nothing(
        tmp_path, monkeypatch, hook_in_this_process):
    """nbgrader's own Gradebook with the hook installed, as inside formgrader: with the trainer's
    token the entry lands under the trainer; with the trail writer gone the commit fails and the
    gradebook keeps the old score."""
    import warnings
    from datetime import datetime

    from iso20k.audit.actor import REQUEST_TOKEN
    from iso20k.audit.trail_client import TrailWriteFailed
    from iso20k.grading.config import gradebook_url
    from iso20k.grading.environment import course_gradebook
    from iso20k.settings import REPO_ROOT, get_settings
    from nbgrader_course import new_course

    course = new_course(tmp_path / "course", REPO_ROOT / "exams")
    with warnings.catch_warnings(), course_gradebook(course) as gb:
        warnings.simplefilter("ignore")
        gb.update_or_create_student("e900", first_name="A", last_name="B")
        sub = gb.update_or_create_submission("key-personnel-assessment", "e900", timestamp=datetime(2026, 11, 20, 10))
        gb.db.commit()
        grade_id = sub.notebooks[0].grades[0].id
    data = tmp_path / "data"
    with trail_writer(data, standard_tokens("gr-test")) as (base, settings):
        from iso20k.audit import record_from_trail_state

        baseline = ProgressStore(settings.effective_db_url)
        assert record_from_trail_state(baseline, gradebook_url(course), "setup", "grade-baseline", "test")
        baseline.close()
        monkeypatch.setenv("ISO20K_TRAIL_URL", base)
        monkeypatch.setenv("ISO20K_ENV_FILE", "")
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "svc-formgrader")
        monkeypatch.delenv("ISO20K_DB_URL", raising=False)
        monkeypatch.setenv("ISO20K_DATA_DIR", str(tmp_path / "grader-sees-no-store"))
        get_settings.cache_clear()
        REQUEST_TOKEN.set("tok-anna")
        with warnings.catch_warnings(), course_gradebook(course) as gb:
            warnings.simplefilter("ignore")
            g = gb.find_grade_by_id(grade_id)
            g.manual_score = 3.0
            gb.db.commit()
        entry = _trail(settings)[-1]
        assert entry.actor == "anna" and entry.action == "manual-grade"
        assert [new for _old, new in entry.details["grades"].values()] == [3.0]
        assert not (tmp_path / "grader-sees-no-store").exists()  # nothing of the store on the grader's side

        REQUEST_TOKEN.set("tok-learner")  # not a trainer: refused, not saved
        with warnings.catch_warnings(), course_gradebook(course) as gb:
            warnings.simplefilter("ignore")
            g = gb.find_grade_by_id(grade_id)
            g.manual_score = 4.0
            with pytest.raises(TrailWriteFailed, match="not the hub token of a trainer"):
                gb.db.commit()
            gb.db.rollback()
    REQUEST_TOKEN.set("tok-anna")
    with warnings.catch_warnings(), course_gradebook(course) as gb:  # the trail writer is gone now
        warnings.simplefilter("ignore")
        g = gb.find_grade_by_id(grade_id)
        g.manual_score = 5.0
        with pytest.raises(TrailWriteFailed, match="could not be reached"):
            gb.db.commit()
        gb.db.rollback()
    with warnings.catch_warnings(), course_gradebook(course) as gb:
        warnings.simplefilter("ignore")
        assert gb.find_grade_by_id(grade_id).manual_score == 3.0
    REQUEST_TOKEN.set(None)
    store = ProgressStore(settings.effective_db_url, settings=settings)
    assert [e.action for e in entries(store)] == ["grade-baseline", "manual-grade"]
    report = verify_trail(store, gradebook_url(course), anchor_path(settings))
    assert report.ok, report.text()
    store.close()


def test_the_formgrader_gets_the_roster_for_nbgrader_students_and_nobody_else_does(writer):
    from datetime import datetime, timezone

    from sqlalchemy import insert

    from iso20k.store import tables

    base, settings = writer
    store = ProgressStore(settings.effective_db_url)
    with store.engine.begin() as conn:
        conn.execute(insert(tables.employees), [
            {"employee_id": "E1", "name": "王伟", "department": "IT", "role": "staff", "email": "w@x.cn", "active": True,
             "updated_at": datetime.now(timezone.utc)},
            {"employee_id": "E2", "name": "Left", "department": "IT", "role": "staff", "email": None, "active": False,
             "updated_at": datetime.now(timezone.utc)}])
    store.close()

    def get(token):
        request = urllib.request.Request(base + "api/trail/roster", headers={"Authorization": f"token {token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            return exc.code, None

    assert get("svc-formgrader") == (200, {"people": [{"employee_id": "E1", "name": "王伟", "email": "w@x.cn"}]})
    assert get("tok-anna")[0] == 403 and get("tok-learner")[0] == 403 and get("svc-dashboard")[0] == 403
