"""The audit trail: an edited, deleted or rewritten entry and a grade changed behind the trail's
back are each found by verify at the place where they happened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from iso20k.audit import anchor_path, append, entries, verify_trail
from iso20k.audit.chain import read_anchor
from iso20k.grading.config import gradebook_url
from iso20k.store import ProgressStore
from records_world import build, copy_world, iso20k


def _trail(tmp_path: Path, n: int = 5) -> tuple[ProgressStore, Path, Path]:
    db = tmp_path / "trail.sqlite"
    store = ProgressStore(f"sqlite:///{db}")
    anchor = tmp_path / "head.json"
    for i in range(1, n + 1):
        append(store, "tester", "note", f"subject-{i}", {"value": i, "text": "成绩"}, anchor=anchor)
    return store, db, anchor


def test_an_intact_chain_verifies(tmp_path):
    store, _, anchor = _trail(tmp_path)
    report = verify_trail(store, None, anchor)
    assert report.ok and report.entries == 5 and report.anchored
    assert [e.seq for e in entries(store)] == [1, 2, 3, 4, 5]


def test_an_edited_entry_is_found_where_it_was_edited(tmp_path):
    store, db, anchor = _trail(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_trail SET details = ? WHERE seq = 3", ('{"text":"成绩","value":99}',))
    report = verify_trail(store, None, anchor)
    assert not report.ok and report.first_break == 3
    assert [p.kind for p in report.chain] == ["edited"]
    assert "entry #3" in report.text()


def test_a_deleted_entry_is_found_where_it_was_removed(tmp_path):
    store, db, anchor = _trail(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM audit_trail WHERE seq = 2")
    report = verify_trail(store, None, anchor)
    assert [(p.seq, p.kind) for p in report.chain] == [(3, "missing")]
    assert "entry #2 is missing" in report.text()


def test_entries_deleted_from_the_end_are_found_with_the_anchor(tmp_path):
    store, db, anchor = _trail(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM audit_trail WHERE seq >= 4")
    report = verify_trail(store, None, anchor)
    assert not report.ok and report.first_break == 4
    assert "#4 to #5 were deleted" in report.text()


def test_a_rewritten_entry_with_a_fresh_hash_breaks_the_next_link(tmp_path):
    from iso20k.audit.chain import entry_hash

    store, db, anchor = _trail(tmp_path)
    with sqlite3.connect(db) as conn:
        seq, at, actor, action, subject, prev = conn.execute(
            "SELECT seq, recorded_at, actor, action, subject, prev_hash FROM audit_trail WHERE seq = 3").fetchone()
        details = '{"text":"成绩","value":0}'
        conn.execute("UPDATE audit_trail SET details = ?, hash = ? WHERE seq = 3",
                     (details, entry_hash(seq, at, actor, action, subject, details, prev)))
    report = verify_trail(store, None, anchor)
    assert [(p.seq, p.kind) for p in report.chain] == [(4, "relinked")]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build(tmp_path_factory.mktemp("trail-world") / "w")


def _a_scored_grade(course: Path) -> tuple[int, str, str, str, float]:
    with sqlite3.connect(course / "gradebook.db") as conn:
        return conn.execute("""
            SELECT g.id, sa.student_id, a.name, bc.name, g.auto_score FROM grade g
            JOIN submitted_notebook sn ON sn.id = g.notebook_id JOIN submitted_assignment sa ON sa.id = sn.assignment_id
            JOIN assignment a ON a.id = sa.assignment_id JOIN base_cell bc ON bc.id = g.cell_id
            WHERE g.auto_score > 0 AND g.manual_score IS NULL ORDER BY sa.student_id, bc.name LIMIT 1""").fetchone()


@pytest.mark.slow
def test_a_grade_changed_in_the_gradebook_is_found_and_named(world, tmp_path):
    settings = copy_world(world, tmp_path / "w")
    store = ProgressStore(settings.effective_db_url)
    url = gradebook_url(settings.course_root)
    assert verify_trail(store, url, anchor_path(settings)).ok  # the demo recorded its grades

    grade_id, student, assignment, cell, score = _a_scored_grade(settings.course_root)
    with sqlite3.connect(settings.course_root / "gradebook.db") as conn:
        conn.execute("UPDATE grade SET auto_score = 0 WHERE id = ?", (grade_id,))
    report = verify_trail(store, url, anchor_path(settings))
    assert not report.ok and not report.chain and len(report.grades) == 1
    [problem] = report.grades
    assert f"{student} {assignment}" in problem and cell in problem and "is 0.0" in problem and str(score) in problem

    cli = iso20k(settings, "audit-trail", "verify")
    assert cli.returncode == 1 and cell in cli.stdout and student in cli.stdout

    accepted = iso20k(settings, "audit-trail", "accept", "--reason", "re-marked after appeal", ISO20K_AUDIT_ACTOR="lead")
    assert accepted.returncode == 0, accepted.stderr
    assert iso20k(settings, "audit-trail", "verify").returncode == 0
    last = list(entries(store))[-1]
    assert (last.action, last.actor, last.details["reason"]) == ("grade-accepted", "lead", "re-marked after appeal")
    assert read_anchor(anchor_path(settings)) == (last.seq, last.hash)  # the store moved it, not the command
    assert list(last.details["grades"].values()) == [[score, 0.0]]


def test_roster_imports_are_recorded_with_who_and_what_changed(tmp_path):
    settings_env = {"ISO20K_AUDIT_ACTOR": "hr-office"}
    from iso20k.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", course_root=tmp_path / "course")
    roster = tmp_path / "roster.csv"
    roster.write_text("employee_id,name,department,role\nE1,王伟,服务台,staff\nE2,李娜,运维部,manager\n", encoding="utf-8")
    first = iso20k(settings, "import-roster", str(roster), **settings_env)
    assert first.returncode == 0, first.stderr
    roster.write_text("employee_id,name,department,role\nE1,王伟,运维部,staff\nE3,张敏,服务台,staff\n", encoding="utf-8")
    second = iso20k(settings, "import-roster", str(roster), "--yes", **settings_env)  # E2 leaves: half the company
    assert second.returncode == 0, second.stderr

    store = ProgressStore(settings.effective_db_url)
    one, two = [e for e in entries(store) if e.action == "roster-import"]
    assert one.actor == two.actor == "hr-office"
    assert one.details["added"] == ["E1", "E2"]
    assert two.details["added"] == ["E3"]
    assert two.details["changed"]["E1"] == {"department": ["服务台", "运维部"]}
    assert two.details["changed"]["E2"] == {"active": [True, False]}
    assert len(two.details["sha256"]) == 64
    assert read_anchor(anchor_path(settings)) == (two.seq, two.hash)
    assert verify_trail(store, None, anchor_path(settings)).ok


def test_the_trails_anchor_is_written_in_one_place_after_the_commit(tmp_path):
    """Every append moves the anchor of the store it goes through (a store opened as the trail
    writer knows its anchor); a failed transaction moves nothing; and no module but
    iso20k/store/trail.py names the anchor file or writes it."""
    import ast

    import iso20k
    from iso20k.settings import Settings
    from iso20k.store import trail_writer
    from iso20k.store.trail import append_all, recording

    settings = Settings(data_dir=tmp_path / "data", course_root=tmp_path / "course")
    store = trail_writer(settings)
    anchor = anchor_path(settings)
    first = append(store, "tester", "note", "one", {"n": 1})
    assert read_anchor(anchor) == (first.seq, first.hash)
    both = append_all(store, [("tester", "note", "two", {"n": 2}), ("tester", "note", "three", {"n": 3})])
    assert read_anchor(anchor) == (both[-1].seq, both[-1].hash) == (3, list(entries(store))[-1].hash)
    with pytest.raises(RuntimeError):
        with recording(store) as rec:
            rec.append("tester", "note", "four", {"n": 4})
            raise RuntimeError("the change it records failed")
    assert read_anchor(anchor)[0] == 3 and len(list(entries(store))) == 3
    plain = ProgressStore(settings.effective_db_url)  # no anchor named: none kept
    append(plain, "tester", "note", "five", {"n": 5})
    assert read_anchor(anchor)[0] == 3

    writers = []
    package = Path(iso20k.__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = isinstance(node, ast.Constant) and node.value == "audit-trail-head.json"
            called = isinstance(node, ast.Name) and node.id in ("_move_anchor", "write_anchor")
            called |= isinstance(node, ast.Attribute) and node.attr in ("_move_anchor", "write_anchor")
            if (named or called) and rel != "iso20k/store/trail.py":
                writers.append(f"{rel}:{node.lineno}")
    assert writers == []


@pytest.mark.slow
def test_autograde_and_a_regrade_are_recorded_with_old_and_new_scores(tmp_path):
    import json as _json

    from iso20k.audit import autograde_audited
    from nbgrader_course import fill, new_course, submit

    exams = Path(__file__).parent / "fixtures" / "exams"
    course = new_course(tmp_path / "course", exams)
    release = _json.loads((course / "release" / "all-staff-exam" / "all-staff-exam.ipynb").read_text())
    submit(course, "all-staff-exam", "s1", fill(release, {"q01": "A", "q02": "D", "q03": "ABCD"}))
    store = ProgressStore(f"sqlite:///{tmp_path / 'trail.sqlite'}")
    anchor = tmp_path / "head.json"
    _, first = autograde_audited(course, "all-staff-exam", store, "trainer-li", anchor, jobs=1, progress=False)
    assert [(e.action, e.actor, e.subject) for e in first] == [("grade", "trainer-li", "s1/all-staff-exam")]
    scores = first[0].details["grades"]
    assert all(old is None for old, _ in scores.values()) and any(new for _, new in scores.values())

    submit(course, "all-staff-exam", "s1", fill(release, {"q01": "b", "q02": "D", "q03": "BADC"}),
           timestamp="2026-11-21 10:00:00.000000 UTC")
    _, second = autograde_audited(course, "all-staff-exam", store, "trainer-li", anchor, jobs=1, progress=False)
    assert [e.action for e in second] == ["regrade"]
    changed = second[0].details["grades"]
    assert changed and all(old is not None and old != new for old, new in changed.values())
    assert second[0].details["submission"].startswith("2026-11-21")
    assert verify_trail(store, gradebook_url(course), anchor).ok


@pytest.mark.slow
def test_removing_the_demo_company_is_recorded_and_the_trail_still_verifies(world, tmp_path):
    from iso20k.demo import remove_demo

    settings = copy_world(world, tmp_path / "w")
    store = ProgressStore(settings.effective_db_url)
    recorded = len(list(entries(store)))
    assert remove_demo(settings) > 0
    removed = [e for e in entries(store)][recorded:]
    assert removed and {e.action for e in removed} == {"grade-removed"}
    assert all(new is None for e in removed for _, new in e.details["grades"].values())
    assert verify_trail(store, gradebook_url(settings.course_root), anchor_path(settings)).ok
