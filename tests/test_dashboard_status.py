"""Each employee's status per track as of a day, and the views built from them (no server)."""

from __future__ import annotations

from datetime import date

import pytest

from iso20k.dashboard import Filters, Snapshot, build_view, status_of, statuses
from iso20k.results import Person, Submission
from iso20k.dashboard.tables import csv_text, department_cells, people_cells

TODAY = date(2026, 11, 24)
PASS = {"all-staff": 0.65, "key-personnel": 0.7, "document-writing": 0.7}


def person(eid, due=None, dept="Service Desk", role="staff", tracks=("all-staff",)):
    return Person(eid, f"Name {eid}", dept, role, {t: due for t in tracks})


def snapshot(people, **kw) -> Snapshot:
    return Snapshot(people=people, modules={"all-staff": 2, "key-personnel": 3, "document-writing": 3},
                    pass_marks=PASS, **kw)


def graded(score, on=date(2026, 11, 1), max_score=40.0, manual=False):
    return Submission("all-staff", on, score, max_score, manual)


@pytest.mark.parametrize("facts, due, expected", [
    ({}, None, "not-started"),
    ({"first": date(2026, 11, 2)}, None, "in-progress"),
    ({"first": date(2026, 11, 2), "done": [date(2026, 11, 3)]}, None, "in-progress"),
    ({"done": [date(2026, 11, 3), date(2026, 11, 5)]}, None, "modules-done"),
    ({"sub": graded(26)}, None, "passed"),  # 26/40 = 65% exactly: a pass
    ({"sub": graded(25)}, None, "failed"),
    ({"sub": graded(None)}, None, "submitted"),  # collected, not graded yet
    ({"sub": graded(30, manual=True)}, None, "submitted"),  # a written answer waits for its mark
    ({}, date(2026, 11, 20), "overdue"),
    ({"sub": graded(25)}, date(2026, 11, 20), "overdue"),  # failed and past the due date
    ({"sub": graded(30)}, date(2026, 11, 20), "passed"),  # passed late is still passed
    ({"sub": graded(None, on=date(2026, 11, 19))}, date(2026, 11, 20), "submitted"),  # on time, trainer's turn
    ({"sub": graded(None, on=date(2026, 11, 21))}, date(2026, 11, 20), "overdue"),  # handed in late
    ({}, TODAY, "not-started"),  # due today is not overdue yet
])
def test_status_rules(facts, due, expected):
    p = person("E1", due)
    snap = snapshot([p])
    if "first" in facts:
        snap.first_activity[("E1", "all-staff")] = facts["first"]
    if "done" in facts:
        snap.completions[("E1", "all-staff")] = facts["done"]
        snap.first_activity.setdefault(("E1", "all-staff"), facts["done"][0])
    if "sub" in facts:
        snap.submissions[("E1", "all-staff")] = facts["sub"]
    assert status_of(snap, p, "all-staff", TODAY) == expected


def test_as_of_date_counts_only_what_had_happened():
    p = person("E1", due=date(2026, 11, 10))
    snap = snapshot([p], first_activity={("E1", "all-staff"): date(2026, 11, 1)},
                     completions={("E1", "all-staff"): [date(2026, 11, 3), date(2026, 11, 6)]},
                     submissions={("E1", "all-staff"): graded(40, on=date(2026, 11, 8))})
    expect = {date(2026, 10, 31): "not-started", date(2026, 11, 1): "in-progress", date(2026, 11, 4): "in-progress",
              date(2026, 11, 6): "modules-done", date(2026, 11, 8): "passed", date(2026, 11, 30): "passed"}
    assert {day: status_of(snap, p, "all-staff", day) for day in expect} == expect


def test_view_counts_filters_and_csv_equal_the_table():
    people = [person("E1", dept="Ops"), person("E2", dept="Ops", role="manager", tracks=("all-staff", "key-personnel")),
              person("E3", dept="Desk", due=date(2026, 11, 1)), person("E4", dept="Desk")]
    snap = snapshot(people, submissions={("E1", "all-staff"): graded(40), ("E4", "all-staff"): graded(10)})
    status = statuses(snap, TODAY)
    view = build_view(snap, status, Filters(TODAY))
    assert [r.department for r in view.rows] == ["Desk", "Ops"]
    assert view.total.tracks["all-staff"].enrolled == 4 and view.total.tracks["all-staff"].passed == 1
    assert view.total.tracks["key-personnel"].enrolled == 1 and view.overdue_people == 1
    assert sorted(view.scores["all-staff"]) == [25.0, 100.0]
    header, rows = department_cells(view, "en")
    assert rows[-1][:6] == ["All shown", "4", "4", "1", "25%", "1"]
    assert csv_text(header, rows).splitlines()[1].split(",")[:3] == ["Desk", "2", "2"]

    managers = build_view(snap, status, Filters(TODAY, role="manager"))
    assert managers.employees == 1 and [r.department for r in managers.rows] == ["Ops"]
    key = build_view(snap, status, Filters(TODAY, track="key-personnel"))
    assert key.tracks == ["key-personnel"] and key.employees == 1
    desk = build_view(snap, status, Filters(TODAY, department="Desk"))
    header, rows = people_cells(desk, "zh")
    assert header[:2] == ["员工编号", "姓名"]
    assert rows[0][0] == "E3" and rows[0][2] == "Desk" and rows[0][4].startswith("已逾期") and rows[0][5] == "无需参加"
    nobody = build_view(snap, status, Filters(TODAY, department="Desk", role="manager"))
    assert nobody.employees == 0 and nobody.rows == []


def test_audit_readiness_and_completion_history_follow_the_view():
    from datetime import timedelta

    from iso20k.dashboard.outlook import completion_history, readiness

    people = [person("E1", dept="Ops"), person("E2", dept="Ops", role="manager", tracks=("all-staff", "key-personnel")),
              person("E3", dept="Desk", due=date(2026, 11, 1)), person("E4", dept="Desk")]
    snap = snapshot(people, submissions={("E1", "all-staff"): graded(40, on=TODAY - timedelta(days=3)),
                                         ("E2", "all-staff"): graded(40, on=TODAY - timedelta(days=40)),
                                         ("E4", "all-staff"): graded(10)})
    view = build_view(snap, statuses(snap, TODAY), Filters(TODAY))
    desk, ops = readiness(view, TODAY + timedelta(days=30))
    assert (desk.department, desk.required, desk.passed, desk.per_week, desk.finish, desk.ready) == \
        ("Desk", 2, 0, 0.0, None, False)  # nobody passed lately: never at this pace
    assert (ops.department, ops.required, ops.passed, ops.per_week, ops.finish, ops.ready) == \
        ("Ops", 3, 2, 0.25, TODAY + timedelta(days=28), True)  # one pass in 4 weeks, one left
    assert readiness(view, None)[1].ready is None
    history = completion_history(view)
    assert history[0] == (TODAY - timedelta(days=40), 1, 5) and history[-1] == (TODAY, 2, 5)
    assert [count for _, count, _ in history] == sorted(count for _, count, _ in history)
    key = build_view(snap, statuses(snap, TODAY), Filters(TODAY, track="key-personnel"))
    assert [(r.department, r.required, r.passed, r.finish) for r in readiness(key, None)] == [("Ops", 1, 0, None)]


def test_reading_the_databases_is_not_mistaken_for_a_change(tmp_path):
    from iso20k.dashboard import Dashboard, DataSource, Identity
    from iso20k.demo import make_company
    from iso20k.roster import write_employees
    from iso20k.settings import Settings
    from iso20k.store import ProgressStore

    settings = Settings(data_dir=tmp_path, course_root=tmp_path / "course")
    store = ProgressStore(settings.effective_db_url)
    write_employees(make_company(12, 2, TODAY), store)
    store.close()
    source = DataSource(settings)  # opening read-only leaves an empty -wal file behind
    assert len(source.full.people) == 12 and source.snapshot.people == []  # nobody looking yet
    assert not source.refresh()
    store = ProgressStore(settings.effective_db_url)
    store.record_answer("E10001", "all-staff", "intro", "all-staff/intro/q01", "A", True, "en")
    dashboard = Dashboard(source, settings=settings)
    dashboard.open_for(Identity("operator", operator=True))  # reads what changed first
    assert not source.refresh()
    assert len(source.snapshot.people) == 12
    assert source.snapshot.first_activity[("E10001", "all-staff")] == source.today()
    store.close()
