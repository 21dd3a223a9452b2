"""Roster import from CSV and XLSX into a real SQLite store: good files, bad files, all-or-nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from openpyxl import Workbook

from iso20k.roster import RosterError, import_roster, roster

HEADER = "employee_id,name,department,role,tracks,email,due_all_staff,due_key_personnel,due_document_writing\n"
GOOD_ROWS = (
    "E001,Alice Wong,Service Desk,staff,,alice@example.com,2027-03-31,,\n"
    "E002,Bob Li,Operations,manager,,bob@example.com,2027-03-31,2027-04-30,\n"
    "E003,Carol Chen,Quality,document-writer,,,2027-03-31,,2027-05-31\n"
)


def csv_file(tmp_path, text, name="roster.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def tally(result):
    return len(result.added), len(result.updated), len(result.deactivated)


def by_id(store):
    return {p["employee_id"]: p for p in roster(store, include_inactive=True)}


def test_good_csv_imports_people_tracks_and_due_dates(tmp_path, store):
    summary = import_roster(csv_file(tmp_path, HEADER + GOOD_ROWS), store)
    assert tally(summary) == (3, 0, 0)
    people = by_id(store)
    assert people["E001"]["tracks"] == {"all-staff": date(2027, 3, 31)}
    assert people["E002"]["tracks"] == {"all-staff": date(2027, 3, 31), "key-personnel": date(2027, 4, 30)}
    assert people["E003"]["tracks"] == {"all-staff": date(2027, 3, 31), "document-writing": date(2027, 5, 31)}
    assert people["E003"]["email"] is None


def test_utf8_bom_and_chinese_headers_names_roles_and_tracks(tmp_path, store):
    text = ("员工编号,姓名,部门,角色,培训课程,邮箱,全员培训截止日期\n"
            "E100,王小明,运维部,管理者代表,,wang@example.com,2027/03/31\n"
            "E101,李娜,服务台,员工,全员、文件编写,,2027年04月30日\n")
    path = tmp_path / "花名册.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    import_roster(path, store)
    people = by_id(store)
    assert people["E100"]["name"] == "王小明" and people["E100"]["department"] == "运维部"
    assert people["E100"]["role"] == "management-representative"
    assert set(people["E100"]["tracks"]) == {"all-staff", "key-personnel", "document-writing"}
    assert people["E101"]["tracks"] == {"all-staff": date(2027, 4, 30), "document-writing": None}


def test_xlsx_with_real_dates_and_numeric_ids(tmp_path, store):
    wb = Workbook()
    ws = wb.active
    ws.append(["employee_id", "name", "department", "role", "email", "due_all_staff", "due_key_personnel"])
    ws.append([1001, "张伟", "网络部", "executive", "zhang@example.com", date(2027, 1, 15), date(2027, 2, 15)])
    ws.append([1002, "Dana Ma", "网络部", "staff", None, "2027-01-15", None])
    path = tmp_path / "roster.xlsx"
    wb.save(path)
    summary = import_roster(path, store)
    assert tally(summary) == (2, 0, 0)
    people = by_id(store)
    assert people["1001"]["tracks"] == {"all-staff": date(2027, 1, 15), "key-personnel": date(2027, 2, 15)}
    assert people["1002"]["tracks"] == {"all-staff": date(2027, 1, 15)}


@pytest.mark.parametrize("text, expected", [
    ("employee_id,name,role\nE1,A,staff\n", ["line 1, column 'department': this column is missing"]),
    (HEADER + GOOD_ROWS + "E002,Bob Again,Ops,staff,,,,,\n",
     ["line 5, column 'employee_id': employee id 'E002' is also on line 3"]),
    (HEADER + "E1,A,Ops,staff,all-staff;sales,,,,\n", ["line 2, column 'tracks': unknown track 'sales'"]),
    (HEADER + "E1,A,Ops,staff,,,31/03/2027,,\n", ["line 2, column 'due_all_staff': '31/03/2027' is not a date"]),
    (HEADER + "E1,A,Ops,intern,,,,,\n", ["line 2, column 'role': unknown role 'intern'"]),
    (HEADER + "E1,A,Ops,staff,,not-an-email,,,\n", ["line 2, column 'email': 'not-an-email' is not an e-mail"]),
    ("", ["line 1: the file is empty"]),
    (HEADER, ["line 2: there are no employees under the header"]),
])
def test_bad_files_list_each_problem_with_its_line(tmp_path, store, text, expected):
    with pytest.raises(RosterError) as info:
        import_roster(csv_file(tmp_path, text), store)
    message = str(info.value)
    assert "nothing was imported" in message
    for words in expected:
        assert words in message
    assert roster(store, include_inactive=True) == []


def test_every_problem_is_listed_not_just_the_first(tmp_path, store):
    text = HEADER + "E1,,Ops,staff,,,,,\nE2,B,,boss,,,,,\nE3,C,Ops,staff,,,2027-13-01,,\n"
    with pytest.raises(RosterError) as info:
        import_roster(csv_file(tmp_path, text), store)
    lines = sorted(p.line for p in info.value.problems)
    assert lines == [2, 3, 3, 4]


def test_a_bad_file_changes_nothing_already_imported(tmp_path, store):
    import_roster(csv_file(tmp_path, HEADER + GOOD_ROWS), store)
    before = by_id(store)
    bad = HEADER + GOOD_ROWS.replace("Alice Wong", "Alice Renamed") + "E004,Dan,Ops,staff,,,not-a-date,,\n"
    with pytest.raises(RosterError):
        import_roster(csv_file(tmp_path, bad, "new.csv"), store)
    assert by_id(store) == before  # not even Alice's rename, from a valid row, was written


def test_reimport_updates_people_and_keeps_their_progress(tmp_path, store):
    import_roster(csv_file(tmp_path, HEADER + GOOD_ROWS), store)
    store.record_answer("E001", "all-staff", "intro", "all-staff/intro/q01", "a", True, "en")
    updated = HEADER + ("E001,Alice Wong,Problem Management,manager,,alice@example.com,2027-03-31,2027-06-30,\n"
                        "E002,Bob Li,Operations,manager,,bob@example.com,2027-03-31,2027-04-30,\n"
                        "E004,Erin Xu,Service Desk,staff,,,2027-03-31,,\n")
    summary = import_roster(csv_file(tmp_path, updated, "v2.csv"), store, yes=True)
    assert tally(summary) == (1, 1, 1) and summary.unchanged == ("E002",)
    assert [(c.field, c.old, c.new) for c in summary.updated[0].changes] == [
        ("department", "Service Desk", "Problem Management"), ("role", "staff", "manager"),
        ("tracks", "all-staff (due 2027-03-31)", "all-staff (due 2027-03-31), key-personnel (due 2027-06-30)")]
    people = by_id(store)
    assert people["E001"]["department"] == "Problem Management"
    assert "key-personnel" in people["E001"]["tracks"]
    assert people["E003"]["active"] is False  # left the roster: kept, marked inactive
    assert [a["question_id"] for a in store.answers("E001")] == ["all-staff/intro/q01"]
    assert "E003" not in {p["employee_id"] for p in roster(store)}


def test_non_utf8_csv_gets_a_clear_hint(tmp_path, store):
    with pytest.raises(RosterError, match="not UTF-8.*CSV UTF-8"):
        import_roster(csv_file(tmp_path, HEADER + "E1,王伟,运维部,staff,,,,,\n", encoding="gbk"), store)


def test_unsupported_file_type(tmp_path, store):
    path = tmp_path / "roster.txt"
    path.write_text("x")
    with pytest.raises(RosterError, match="cannot be read.*\\.csv"):
        import_roster(path, store)


def test_import_roster_command(tmp_path):
    good = csv_file(tmp_path, HEADER + GOOD_ROWS)
    bad = csv_file(tmp_path, HEADER + "E1,A,Ops,staff,,,nope,,\n", "bad.csv")
    ok = subprocess.run([sys.executable, "-m", "iso20k.cli", "import-roster", str(good)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "3 added, 0 updated" in ok.stdout
    fail = subprocess.run([sys.executable, "-m", "iso20k.cli", "import-roster", str(bad)], capture_output=True, text=True)
    assert fail.returncode != 0
    assert "line 2, column 'due_all_staff'" in fail.stderr and "nothing was imported" in fail.stderr
    listing = subprocess.run([sys.executable, "-m", "iso20k.cli", "roster"], capture_output=True, text=True)
    assert "E002\tBob Li\tOperations\tmanager" in listing.stdout
