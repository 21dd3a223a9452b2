"""The dashboard's panels in-process (no server): the list of employees sorted and filtered, the
readiness verdict with and without an audit date, the certificates panel when there are none,
clause titles in both languages."""

from __future__ import annotations

import re
from datetime import date

import pytest

from iso20k.dashboard.clauses import clause_title
from iso20k.dashboard.people_list import name_key

TODAY = date(2026, 11, 24)


def test_chinese_names_sort_by_pinyin_not_by_code_point():
    names = ["张伟", "Zoe Li", "赵敏", "陈静", "adam", "李娜", "王芳", "刘洋"]
    assert sorted(names) != sorted(names, key=name_key)
    # chen, li, liu, wang, zhang, zhao; Latin first, whatever its case
    assert sorted(names, key=name_key) == ["adam", "Zoe Li", "陈静", "李娜", "刘洋", "王芳", "张伟", "赵敏"]


def test_clause_rows_carry_their_titles_in_both_languages():
    assert clause_title("8.2.5", "en") == "8.2.5 Asset management"
    assert clause_title("8.2.5", "zh") == "8.2.5 资产管理"
    assert clause_title("9.2", "zh") == "9.2 内部审核"
    assert clause_title("ISO/IEC 17021-1", "zh") == "ISO/IEC 17021-1"  # no title: the name alone


def _rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("<tr>")[1:]]


@pytest.fixture
def dashboard_for(tmp_path):
    """A Dashboard over a small made-up company, opened by its operator; ``settings`` may carry a
    settings file."""
    from iso20k.dashboard import Dashboard, DataSource, Identity
    from iso20k.demo import make_company
    from iso20k.roster import write_employees
    from iso20k.settings import Settings
    from iso20k.store import ProgressStore

    store = ProgressStore(Settings(data_dir=tmp_path, _env_file=None).effective_db_url)
    write_employees(make_company(40, 4, TODAY), store)
    store.close()

    def make(env_file=None, language="en"):
        settings = Settings(data_dir=tmp_path, course_root=tmp_path / "course", _env_file=env_file)
        dashboard = Dashboard(DataSource(settings), language=language, settings=settings)
        dashboard.open_for(Identity("operator", operator=True))
        return dashboard
    return make


def test_people_list_sorts_and_shows_overdue_only(dashboard_for):
    dashboard = dashboard_for()
    assert "Overdue only" in dashboard.people.value  # the hint says how to see a list
    dashboard.overdue_only.value = True
    overdue = _rows(dashboard.people.value)
    view = dashboard.current_view()
    assert len(overdue) == view.overdue_people > 0
    assert all(any(cell.startswith("Overdue") for cell in row[4:]) for row in overdue)
    names = [row[1] for row in overdue]
    assert names == sorted(names, key=name_key) and names != sorted(names)  # pinyin, not code points
    dashboard.sort.value = "department"
    departments = [row[2] for row in _rows(dashboard.people.value)]
    assert departments == sorted(departments, key=name_key) and len(set(departments)) > 1
    dashboard.overdue_only.value = False
    dashboard.department.value = view.rows[-1].department
    dashboard.sort.value = "due"
    one = _rows(dashboard.people.value)
    assert len(one) == view.rows[-1].employees
    due = [min(re.findall(r"\d{4}-\d\d-\d\d", " ".join(row[4:])) or ["9999"]) for row in one]
    assert due == sorted(due)
    dashboard.sort.value = "status"
    order = ("Overdue", "Failed", "Not started", "In progress", "Lessons done", "Submitted", "Passed")
    worst = [min(i for i, s in enumerate(order) if any(c.startswith(s) for c in row[4:])) for row in _rows(dashboard.people.value)]
    assert worst == sorted(worst)
    dashboard.lang.value = "zh"
    assert dashboard.sort.value == "status"
    assert dashboard.sort.options[2][0] == "状态" and dashboard.sort.description == "排序方式"


def test_readiness_has_a_verdict_without_an_audit_date_and_takes_it_from_the_settings_file(dashboard_for, tmp_path):
    plain = dashboard_for()
    text = plain.outlook.value
    assert re.search(r"At the current pace (all required training is complete on \d{4}-\d\d-\d\d"
                     r"|not all required training will be complete)|All required training is complete", text)
    assert "ready by the due date?" in text and "(due 20" in text
    assert "按目前的进度" in dashboard_for(language="zh").outlook.value
    settings_file = tmp_path / "iso20k.env"
    settings_file.write_text("ISO20K_AUDIT_DATE=2027-03-01\n")
    audited = dashboard_for(env_file=settings_file).outlook.value
    assert "audit on 2027-03-01" in audited and "ready by 2027-03-01?" in audited
    assert "No audit date is set" not in audited


def test_certificates_panel_says_none_were_issued(dashboard_for):
    assert "No certificates were issued yet" in dashboard_for().certs.value
    assert "尚未获发证书" in dashboard_for(language="zh").certs.value
