"""The batch path of ``iso20k autograde`` (``iso20k/grading/batch_autograde.py``: one nbgrader
Autograde converter and one gradebook connection per process, for many submissions) gives the
grades and the formgrader-facing state that the real ``nbgrader autograde`` command gives for the
same submissions: honest, wrong, mixed and adversarial hand-ins of the fixture exam, unreadable and
empty notebooks, and per-learner forms (right, wrong, mixed, a swapped form, a late hand-in).

Compared per submission: every grade (auto and manual score, needs-manual-grade, extra credit),
every comment, the submission's timestamp and each notebook's late penalty (read through nbgrader's
own Gradebook), and the autograded notebooks formgrader shows (every cell with its source,
outputs, grade id, metadata and checksum; nbgrader gives cells it inserts new random ids, so only
ids the learner's notebook already had are compared), their folder's files and permissions."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from nbgrader_course import fill, nbgrader, new_course, submit

from form_pool import A, fetch_in_process, reference_keys, release_in_process, write_exams
from iso20k.grading.parallel import autograde
from test_grading_answers import FIXTURE_EXAMS, HONEST, attacks

pytestmark = pytest.mark.slow


def gradebook_state(course: Path) -> dict:
    """student -> everything autograde writes for them, read with nbgrader's own Gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in gb.find_assignment(A).submissions:
            out[sub.student.id] = {
                "timestamp": sub.timestamp, "extension": sub.extension,
                "notebooks": {nb.name: {
                    "late_penalty": nb.late_submission_penalty,
                    "needs_manual_grade": nb.needs_manual_grade,
                    "grades": {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade, g.extra_credit)
                               for g in nb.grades},
                    "comments": {c.name: (c.auto_comment, c.manual_comment) for c in nb.comments}}
                    for nb in sub.notebooks}}
    return out


def shown(course: Path, student: str) -> dict:
    """What formgrader reads for a student: the autograded folder's files, modes and notebooks."""
    folder = course / "autograded" / student / A
    if not folder.is_dir():
        return {}
    submitted = {c.get("id") for c in _cells(course / "submitted" / student / A / f"{A}.ipynb")}
    files = {}
    for path in sorted(folder.rglob("*")):
        mode = oct(path.stat().st_mode & 0o777)
        if path.suffix == ".ipynb":
            nb = json.loads(path.read_text(encoding="utf-8"))
            for cell in nb["cells"]:  # nbgrader's new cells get random ids: compare the learner's own
                if cell.get("id") not in submitted:
                    cell["id"] = "(new)"
            files[path.name] = (mode, nb)
        else:
            files[path.name] = (mode, path.read_bytes())
    return files


def _cells(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def graded_both_ways(course: Path, env: dict | None = None, group: int | None = None) -> tuple[Path, Path]:
    """The course graded by the real CLI (a copy) and by iso20k autograde's batch path (with
    ``group`` submissions saved per transaction)."""
    cli = course.parent / f"{course.name}-cli"
    shutil.copytree(course, cli)
    nbgrader(cli, "autograde", A, "--force", env=env, check=False)  # exits 1: a notebook cannot be read
    with pytest.MonkeyPatch.context() as mp:
        for k, v in (env or {}).items():
            mp.setenv(k, v)
        if group:
            from iso20k.grading import batch_autograde

            mp.setattr(batch_autograde, "GROUP", group)
        from iso20k.grading.form_grading import forget
        from iso20k.settings import reload_settings

        reload_settings()
        forget()
        summary = autograde(course, A, jobs=2, progress=False)
        forget()
    assert summary.mode == "answers" and summary.count("graded") >= len(summary.outcomes) - 1, summary.text()
    return cli, course


@pytest.fixture(scope="module")
def fixture_exam(tmp_path_factory):
    """The fixture exam: HONEST and every attack of the answer-grading tests, plus an unreadable,
    an empty and a late hand-in and one claiming another kernel; 31 submissions: two grading
    processes."""
    base = tmp_path_factory.mktemp("batch")
    course = new_course(base / "course", FIXTURE_EXAMS)
    release = json.loads((course / "release" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
    for student, answers in HONEST.items():
        submit(course, A, student, fill(release, answers, written="CHG-101 had no approval (8.5.1)."))
    can = base / "canary"
    can.mkdir()
    for student, (nb, _) in attacks(release, can).items():
        submit(course, A, student, nb)
    submit(course, A, "not-json", b"this is not a notebook {")
    submit(course, A, "empty", {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    submit(course, A, "late", fill(release, HONEST["h-partly"]), timestamp="2027-01-05 10:00:00.000000 UTC")
    other_kernel = fill(release, HONEST["h-right"])
    other_kernel["metadata"]["kernelspec"] = {"name": "learners-own", "display_name": "Mine", "language": "python"}
    submit(course, A, "other-kernel", other_kernel)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # "late" is late: nbgrader's late penalty step
        gb.update_or_create_assignment(A, duedate="2027-01-01 00:00:00.000000 UTC")
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')  # a late hand-in loses its score
    return graded_both_ways(course)


def test_every_grade_and_comment_is_what_nbgrader_autograde_gives(fixture_exam):
    cli, batch = fixture_exam
    theirs, mine = gradebook_state(cli), gradebook_state(batch)
    assert set(mine) == set(theirs) and len(mine) >= 25
    for student in theirs:
        assert mine[student] == theirs[student], student
    assert mine["h-right"]["notebooks"][A]["grades"]["q03-test"][0] == 2.0
    assert mine["h-right"]["notebooks"][A]["needs_manual_grade"]  # the written task waits for a person
    assert mine["late"]["notebooks"][A]["late_penalty"] == 1.0  # h-partly's one point, taken for lateness
    assert mine["h-right"]["notebooks"][A]["late_penalty"] is None


def test_formgrader_shows_the_same_autograded_notebooks(fixture_exam):
    cli, batch = fixture_exam
    students = sorted(p.name for p in (cli / "submitted").iterdir())
    for student in students:
        assert shown(batch, student) == shown(cli, student), student
    assert shown(batch, "not-json") == {} and len(shown(batch, "h-right")) == 2  # notebook, timestamp


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    """Per-learner forms: learners fetch their own form and hand in right, wrong and mixed
    answers in the friendly forms, one claims another's form, one hands in after the limit.
    Graded in this process (too few for two), saving three at a time."""
    base = tmp_path_factory.mktemp("batch-forms")
    exams = write_exams(base / "exams")
    env = {"ISO20K_EXAM_FORMS": "1", "ISO20K_DATA_DIR": str(base / "data"), "ISO20K_ENV_FILE": ""}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        from iso20k.grading.sittings import record_hand_in
        from iso20k.settings import reload_settings

        reload_settings()
        course = new_course(base / "course", exams)
        release_in_process(course, env)
        learners = [f"f{n:02d}" for n in range(8)]
        fetched = {}
        for n, learner in enumerate(learners):
            fetch_in_process(course, learner, base / "learners" / learner, env)
            fetched[learner] = json.loads(
                (base / "learners" / learner / "iso20k" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
        now = dt.datetime.now(dt.timezone.utc)
        for n, learner in enumerate(learners):
            nb = fetched[learner]
            keys = reference_keys(nb, exams)
            style = (str.lower, str.upper, lambda s: f" {s} ")[n % 3]
            answers = {s: style(k if (n % 3 == 0 or (n % 3 == 2 and i % 2)) else "ABCD"[("ABCD".index(k) + 1) % 4])
                       for i, (s, k) in enumerate(sorted(keys.items()))}
            answers["q02"] = "cab"
            if learner == "f01":  # claims f00's form
                nb["metadata"]["iso20k_form"] = fetched["f00"]["metadata"]["iso20k_form"]
            stamp = now if learner != "f02" else now + dt.timedelta(minutes=90)  # f02: after the limit
            if learner != "f02":
                record_hand_in(reload_settings(), learner, A)
            submit(course, A, learner, fill(nb, answers), timestamp=stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    return graded_both_ways(course, env, group=3)  # 8 hand-ins: graded in this process, 3 groups


def test_per_learner_forms_are_graded_and_shown_as_nbgrader_autograde_does(forms):
    cli, batch = forms
    theirs, mine = gradebook_state(cli), gradebook_state(batch)
    assert set(mine) == set(theirs) and len(mine) == 8
    for student in theirs:
        assert mine[student] == theirs[student], student
        assert shown(batch, student) == shown(cli, student), student
    scores = {s: sum(g[0] or 0 for g in v["notebooks"][A]["grades"].values()) for s, v in mine.items()}
    assert scores["f00"] == 6 + 2 and scores["f03"] == 6 + 2 and scores["f04"] == 0 + 2
    assert "form-pool.json" in shown(batch, "f00")  # the learners' copy of the pool, as nbgrader copies it

