"""Roster import from files shaped like real HR exports, on a real SQLite store: title rows,
merged cells, several sheets, job titles through a mapping file, GB18030 CSV, one department at a
time, a preview that writes nothing, and a file that would make most of the company inactive."""

from __future__ import annotations

import dataclasses
import json
import os
import pty
import subprocess
import sys

import pytest
from openpyxl import Workbook

from iso20k.roster import (
    EMPLOYEE_ID_PATTERN, ConfirmationNeeded, RosterError, check_employee_id, import_roster, load_role_map, roster,
)
from roster_exports import (
    HR_HEADINGS, ROLE_MAP_YAML, company, db_checksum, employees_table, hr_csv, hr_workbook, role_map,
)


def by_id(store):
    return {p["employee_id"]: p for p in roster(store, include_inactive=True)}


def refused(store, call, *words):
    """``call`` raises RosterError naming every one of ``words``, and the store is unchanged."""
    before = db_checksum(store)
    with pytest.raises(RosterError) as info:
        call()
    message = str(info.value)
    assert "nothing was imported" in message
    for w in words:
        assert w in message, message
    assert db_checksum(store) == before
    return info.value


# -- finding the roster in the file ---------------------------------------------------------------

def test_hr_workbook_with_title_rows_merged_title_and_job_titles_imports(tmp_path, store):
    people = company(9)
    path = hr_workbook(tmp_path / "花名册.xlsx", people)
    result = import_roster(path, store, role_map=role_map(tmp_path))
    assert (result.sheet, result.heading_line) == ("花名册", 4)
    assert ("职位", "job_title") in result.columns and ("工号", "employee_id") in result.columns
    assert set(result.unused_columns) == {"入职日期", "手机"}
    assert len(result.added) == 9 and not result.deactivated
    stored = by_id(store)
    assert stored["E0001"]["name"] == "员工0001" and stored["E0001"]["department"] == "服务台"
    roles = {p.employee_id: stored[p.employee_id]["role"] for p in people}
    expected = {"服务台主管": "manager", "服务台工程师": "staff", "运维经理": "manager", "运维工程师": "staff",
                "质量经理": "manager", "体系专员": "working-group", "文控专员": "document-writer"}
    assert roles == {p.employee_id: expected[p.title] for p in people}
    assert stored["E0001"]["email"] == "e0001@example.com"
    assert "phone" not in stored["E0001"]  # phone numbers are recognised but not kept
    text = result.text()
    assert "sheet '花名册', headings on line 4 (lines 1-3 above it skipped)" in text
    assert "Not used: 入职日期, 手机" in text


def test_the_first_problem_of_a_file_with_a_title_row_is_the_real_one(tmp_path, store):
    """Without a mapping the problem named is the job titles, not 'columns missing on line 1'."""
    path = hr_workbook(tmp_path / "hr.xlsx", company(3))
    error = refused(store, lambda: import_roster(path, store),
                    "line 5, column '职位': job title '服务台主管' is not a role and no role mapping file was given",
                    "--role-map", "--default-role staff", "Job titles with no role (3)")
    assert {p.line for p in error.problems} == {5, 6, 7}
    assert "missing" not in str(error)


def test_the_only_sheet_with_headings_is_chosen_and_two_need_sheet(tmp_path, store):
    current, left = company(6), company(9)[6:]
    path = hr_workbook(tmp_path / "two.xlsx", [], sheets={"在职员工": current, "离职员工": left})
    refused(store, lambda: import_roster(path, store, role_map=role_map(tmp_path)),
            "the sheets '在职员工', '离职员工' all have roster headings", "--sheet '在职员工'")
    result = import_roster(path, store, role_map=role_map(tmp_path), sheet="在职员工")
    assert result.sheet == "在职员工" and sorted(by_id(store)) == [p.employee_id for p in current]
    refused(store, lambda: import_roster(path, store, sheet="员工"),
            "there is no sheet named '员工'", "'在职员工', '离职员工', '说明'")
    refused(store, lambda: import_roster(path, store, sheet="说明"),
            "line 1: no heading row found in the first 10 rows of sheet '说明'", "本表由人力资源系统导出")


def test_headings_below_the_searched_rows_are_not_found_and_the_setting_says_so(tmp_path, store, monkeypatch):
    wb = Workbook()
    ws = wb.active
    for n in range(4):
        ws.append([f"备注 {n}"])
    ws.append(HR_HEADINGS)
    ws.append(["E1", "A", "Ops", "经理", None, None, None])
    path = tmp_path / "deep.xlsx"
    wb.save(path)
    monkeypatch.setenv("ISO20K_ROSTER_HEADING_SEARCH_ROWS", "3")
    from iso20k.settings import reload_settings
    reload_settings()
    refused(store, lambda: import_roster(path, store), "no heading row found in the first 3 rows",
            "ISO20K_ROSTER_HEADING_SEARCH_ROWS")
    monkeypatch.setenv("ISO20K_ROSTER_HEADING_SEARCH_ROWS", "10")
    reload_settings()
    assert import_roster(path, store).heading_line == 5
    assert by_id(store)["E1"]["role"] == "manager"  # a job title that is itself a role name


def test_merged_department_cells_down_the_column_fill_every_row(tmp_path, store):
    wb = Workbook()
    ws = wb.active
    ws.append(["员工工号", "员工姓名", "部门名称", "岗位", "", ""])
    ws.append(["A1", "甲", "服务台", "经理"])
    ws.append(["A2", "乙", None, "员工"])
    ws.append(["A3", "丙", None, "员工"])
    ws.merge_cells("C2:C4")
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    import_roster(path, store)
    assert {p["department"] for p in roster(store)} == {"服务台"}


def test_csv_export_with_title_row_trailing_columns_and_bom(tmp_path, store):
    path = hr_csv(tmp_path / "export.csv", company(6))
    result = import_roster(path, store, role_map=role_map(tmp_path))
    assert result.heading_line == 3 and len(result.added) == 6 and result.encoding == "utf-8"
    no_bom = hr_csv(tmp_path / "no-bom.csv", company(6), encoding="utf-8")
    assert len(import_roster(no_bom, store, role_map=role_map(tmp_path)).unchanged) == 6


# -- GB18030 ----------------------------------------------------------------------------------------

def test_gb18030_csv_is_refused_with_how_to_save_as_utf8_unless_the_encoding_is_given(tmp_path, store):
    people = company(3)
    people[0] = dataclasses.replace(people[0], name="吉𠮷")  # 𠮷 exists in GB18030 but not in GBK
    path = hr_csv(tmp_path / "gb.csv", people, encoding="gb18030")
    refused(store, lambda: import_roster(path, store, role_map=role_map(tmp_path)),
            "line 1: the file is not UTF-8 text; it looks like GBK/GB18030",
            "'CSV UTF-8 (Comma delimited) (*.csv)'", "--encoding gb18030")
    result = import_roster(path, store, role_map=role_map(tmp_path), encoding="gb18030")
    assert result.encoding == "gb18030" and "read as GB18030" in result.text()
    assert by_id(store)["E0001"]["name"] == "吉𠮷" and by_id(store)["E0002"]["department"] == "运维部"
    gbk = hr_csv(tmp_path / "gbk.csv", company(3), encoding="gbk")
    assert len(import_roster(gbk, store, role_map=role_map(tmp_path), encoding="gbk").updated) == 1


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused(tmp_path, store):
    path = tmp_path / "bad.csv"
    path.write_bytes("工号,姓名,部门,角色\n".encode("utf-8") + b"E1,\x80\xff,Ops,staff\n")
    refused(store, lambda: import_roster(path, store), "line 2: the file is not UTF-8 text. Hint")
    refused(store, lambda: import_roster(path, store, encoding="gb18030"), "not GB18030/GBK text either")


# -- job titles -------------------------------------------------------------------------------------

def test_unmapped_title_names_line_and_title_and_default_role_covers_the_rest(tmp_path, store):
    people = company(9)
    people[4] = dataclasses.replace(people[4], title="实习生")
    people[7] = dataclasses.replace(people[7], title="实习生")
    path = hr_workbook(tmp_path / "hr.xlsx", people)
    mapping = role_map(tmp_path)
    error = refused(store, lambda: import_roster(path, store, role_map=mapping),
                    "line 9, column '职位': job title '实习生' has no role in the mapping file roles.yaml",
                    f"add a line '实习生: <role>' to {mapping}", "--default-role staff",
                    "实习生 (lines 9, 12)")
    assert [p.line for p in error.problems] == [9, 12]
    result = import_roster(path, store, role_map=mapping, default_role="staff")
    assert result.default_role_titles == (("实习生", 2),) and "Default role 'staff' given for: 实习生 (2)" in result.text()
    assert by_id(store)["E0005"]["role"] == "staff" and by_id(store)["E0005"]["tracks"] == {"all-staff": None}
    refused(store, lambda: import_roster(path, store, default_role="boss"), "--default-role 'boss' is not a role")


def test_role_map_setting_and_csv_mapping_file(tmp_path, store, monkeypatch):
    rows = [line.split(": ") for line in ROLE_MAP_YAML.splitlines() if ": " in line and not line.startswith("#")]
    csv_map = tmp_path / "roles.csv"
    csv_map.write_text("job_title,role\n# comment\n" + "".join(f"{t},{r}\n" for t, r in rows), encoding="utf-8-sig")
    monkeypatch.setenv("ISO20K_ROSTER_ROLE_MAP", str(csv_map))
    from iso20k.settings import reload_settings
    reload_settings()
    result = import_roster(hr_workbook(tmp_path / "hr.xlsx", company(9)), store)
    assert result.role_map == str(csv_map) and len(result.added) == 9
    assert by_id(store)["E0002"]["role"] == "manager"  # 运维经理 -> 经理 -> manager


@pytest.mark.parametrize("name, text, words", [
    ("roles.yaml", "服务台主管: boss\n运维工程师: staff\n", ["line 1: 'boss' (for '服务台主管') is not a role"]),
    ("roles.yaml", "服务台主管: manager\n运维工程师: staff\n服务台主管: staff\n",
     ["line 3: '服务台主管' is also mapped on line 1, to 'manager'"]),
    ("roles.yaml", "服务台主管: manager\n  运维工程师: [staff\n", ["this is not valid YAML"]),
    ("roles.yaml", "- 服务台主管\n", ["line 1: the file is not a mapping"]),
    ("roles.yaml", "staff: [运维工程师, 服务台工程师]\nmanager: [运维工程师]\n",
     ["line 2: '运维工程师' is also mapped on line 1, to 'staff'"]),
    ("roles.csv", "职位,角色\n服务台主管,manager,extra\n运维工程师,\n",
     ["line 2: this line has 3 values, not 2", "line 3: '运维工程师' has no role"]),
    ("roles.txt", "x", ["'.txt' mapping files cannot be read"]),
])
def test_bad_mapping_files_name_the_line(tmp_path, store, name, text, words):
    path = role_map(tmp_path, text, name)
    refused(store, lambda: import_roster(hr_workbook(tmp_path / "hr.xlsx", company(3)), store, role_map=path),
            str(path), *words)


def test_yaml_mapping_groups_titles_under_a_role(tmp_path):
    mapping = load_role_map(role_map(tmp_path, "executive: [总经理, 运维 总监]\n服务台主管: 经理\n"))
    assert mapping.role_for("运维总监") == "executive" and mapping.role_for("服务台主管") == "manager"
    assert mapping.role_for("实习生") is None


# -- scope: one department at a time, partial ----------------------------------------------------

def test_department_file_updates_only_that_department(tmp_path, store):
    people = company(30)
    mapping = role_map(tmp_path)
    import_roster(hr_workbook(tmp_path / "all.xlsx", people), store, role_map=mapping)
    desk = [p for p in people if p.department == "服务台"]
    others_before = [r for r in employees_table(store) if r[2] != "服务台"]
    new_desk = desk[1:] + [dataclasses.replace(desk[0], employee_id="E0100", name="新人")]
    new_desk[0] = dataclasses.replace(new_desk[0], title="服务台主管")
    path = hr_workbook(tmp_path / "desk.xlsx", new_desk)

    # As a full import this file would make the other two departments inactive: refused unasked.
    before = db_checksum(store)
    with pytest.raises(ConfirmationNeeded) as info:
        import_roster(path, store, role_map=mapping)
    assert len(info.value.result.deactivated) == 21 and info.value.result.active_before == 30
    assert "--department" in str(info.value) and "--yes" in str(info.value)
    assert db_checksum(store) == before

    result = import_roster(path, store, role_map=mapping, departments=["服务台"])
    assert result.scope == "departments"
    assert [p.employee_id for p in result.added] == ["E0100"]
    assert [p.employee_id for p in result.deactivated] == [desk[0].employee_id]
    assert [(p.employee_id, [c.field for c in p.changes]) for p in result.updated] == \
        [(new_desk[0].employee_id, ["role", "tracks"])]
    assert [r for r in employees_table(store) if r[2] != "服务台"] == others_before  # not even updated_at
    assert by_id(store)[desk[0].employee_id]["active"] is False


def test_department_file_with_a_row_of_another_department_is_refused(tmp_path, store):
    people = company(6)
    path = hr_workbook(tmp_path / "desk.xlsx", people)
    error = refused(store, lambda: import_roster(path, store, role_map=role_map(tmp_path), departments=["服务台"]),
                    "line 6, column '部门': '运维部' is not one of the departments being imported (服务台)",
                    "--department '运维部'")
    assert [p.line for p in error.problems] == [6, 7, 9, 10]
    result = import_roster(path, store, role_map=role_map(tmp_path), departments=["服务台", " 运维部", "质量部"])
    assert len(result.added) == 6


def test_partial_import_leaves_everyone_else_as_is(tmp_path, store):
    people = company(12)
    mapping = role_map(tmp_path)
    import_roster(hr_workbook(tmp_path / "all.xlsx", people), store, role_map=mapping)
    before = {r[0]: r for r in employees_table(store)}
    moved = dataclasses.replace(people[0], department="质量部", title="体系专员")
    result = import_roster(hr_workbook(tmp_path / "one.xlsx", [moved]), store, role_map=mapping, partial=True)
    assert result.scope == "partial" and not result.deactivated and not result.added
    changed = [(c.field, c.old, c.new) for c in result.updated[0].changes]
    assert changed[:2] == [("department", "服务台", "质量部"), ("role", "manager", "working-group")]
    after = {r[0]: r for r in employees_table(store)}
    assert {k: v for k, v in after.items() if k != moved.employee_id} == \
        {k: v for k, v in before.items() if k != moved.employee_id}


# -- many becoming inactive: confirmation ------------------------------------------------------

def test_file_that_would_deactivate_90_percent_needs_yes(tmp_path, store):
    people = company(100)
    mapping = role_map(tmp_path)
    import_roster(hr_workbook(tmp_path / "all.xlsx", people), store, role_map=mapping)
    small = hr_workbook(tmp_path / "ten.xlsx", people[:10])
    before = db_checksum(store)
    with pytest.raises(ConfirmationNeeded) as info:
        import_roster(small, store, role_map=mapping)
    assert "mark 90 of the 100 active employees (90%) inactive" in str(info.value)
    assert info.value.result.dry_run and len(info.value.result.unchanged) == 10
    assert db_checksum(store) == before
    # The preview the user agreed to is enough; so is --yes.
    result = import_roster(small, store, role_map=mapping, confirmed=info.value.result)
    assert len(result.deactivated) == 90 and not result.dry_run and result.needs_confirmation
    assert len(roster(store)) == 10 and len(roster(store, include_inactive=True)) == 100


def test_a_share_at_the_setting_goes_through_unasked(tmp_path, store, monkeypatch):
    people = company(20)
    mapping = role_map(tmp_path)
    import_roster(hr_workbook(tmp_path / "all.xlsx", people), store, role_map=mapping)
    monkeypatch.setenv("ISO20K_ROSTER_CONFIRM_INACTIVE_SHARE", "0.25")
    from iso20k.settings import reload_settings
    reload_settings()
    result = import_roster(hr_workbook(tmp_path / "fifteen.xlsx", people[:15]), store, role_map=mapping)
    assert len(result.deactivated) == 5 and not result.needs_confirmation


# -- dry run ---------------------------------------------------------------------------------------

def test_dry_run_writes_nothing_and_says_what_the_import_then_does(tmp_path, store):
    people = company(12)
    mapping = role_map(tmp_path)
    import_roster(hr_workbook(tmp_path / "v1.xlsx", people), store, role_map=mapping)
    v2 = people[1:] + [dataclasses.replace(people[0], employee_id="E0200", name="新同事")]
    v2[0] = dataclasses.replace(v2[0], name="改名")
    path = hr_workbook(tmp_path / "v2.xlsx", v2)
    db = store.url.removeprefix("sqlite:///")
    files_before = {p: open(p, "rb").read() for p in (db, db + "-wal") if os.path.exists(p)}
    before = db_checksum(store)

    preview = import_roster(path, store, role_map=mapping, dry_run=True)
    assert db_checksum(store) == before
    assert {p: open(p, "rb").read() for p in files_before} == files_before
    assert [p.employee_id for p in preview.added] == ["E0200"]
    assert [(p.employee_id, p.line, [(c.field, c.old, c.new) for c in p.changes]) for p in preview.updated] == \
        [("E0002", 5, [("name", "员工0002", "改名")])]
    assert [p.employee_id for p in preview.deactivated] == ["E0001"] and len(preview.unchanged) == 10
    text = preview.text()
    assert "Becoming inactive (1):" in text and "line 5: E0002 改名: name '员工0002' -> '改名'" in text
    assert text.endswith("Dry run, nothing was written: 1 added, 1 updated, 1 becoming inactive, 10 unchanged.")
    assert "will ask first" not in text  # 1 of 12 (8 %) is under the 10 % setting

    done = import_roster(path, store, role_map=mapping)
    assert dataclasses.replace(done, dry_run=True) == preview
    assert done.text().endswith("Roster imported: 1 added, 1 updated, 1 marked inactive, 10 unchanged.")
    json.dumps(done.to_dict(), ensure_ascii=False)  # plain data, ready for an audit trail
    assert done.to_dict()["updated"][0]["changes"][0] == {"field": "name", "old": "员工0002", "new": "改名"}


# -- employee ids and row width (issue 10) ------------------------------------------------------------

@pytest.mark.parametrize("value, problem", [
    ("E001", None), ("zhang.san_01-x", None), ("A" * 32, None),
    ("", "the employee id is empty"),
    ("E" * 301, "is 301 characters long; at most 32 are allowed"),
    ("E" * 33, "is 33 characters long"),
    ("E 1/../x", "contains a space, '/'; only letters, digits, '.', '_' and '-' are allowed"),
    ("..", "starts with '.'; it must start with a letter or digit"),
    ("-rf", "starts with '-'"),
    ("张三", "contains '三', '张'"),
    ("E1\t2", "contains '\\t'"),
])
def test_check_employee_id(value, problem):
    found = check_employee_id(value)
    if problem is None:
        assert found is None and EMPLOYEE_ID_PATTERN.fullmatch(value)
    else:
        assert problem in found and not EMPLOYEE_ID_PATTERN.fullmatch(value)


def test_unsafe_ids_each_get_their_own_error_and_line(tmp_path, store):
    text = ("employee_id,name,department,role\n"
            f"{'E' * 301},Long,Ops,staff\n"
            "E 1/../x,Path,Ops,staff\n"
            "E5,Five,Ops,staff\n"
            "e5,Five Again,Ops,staff\n")
    path = tmp_path / "ids.csv"
    path.write_text(text, encoding="utf-8")
    error = refused(store, lambda: import_roster(path, store),
                    "line 2, column 'employee_id': employee id 'EEEEEEEEEEEEEEEEEEEE…' is 301 characters long",
                    "line 3, column 'employee_id': employee id 'E 1/../x' contains a space, '/'",
                    "line 5, column 'employee_id': employee id 'e5' is also on line 4 as 'E5'")
    assert [p.line for p in error.problems] == [2, 3, 5]


def test_an_id_differing_only_in_case_from_one_in_the_store_is_refused(tmp_path, store):
    first = tmp_path / "a.csv"
    first.write_text("employee_id,name,department,role\nE5,Five,Ops,staff\n", encoding="utf-8")
    import_roster(first, store)
    second = tmp_path / "b.csv"
    second.write_text("employee_id,name,department,role\ne5,Five,Ops,staff\n", encoding="utf-8")
    refused(store, lambda: import_roster(second, store, partial=True),
            "line 2: employee id 'e5' differs only in case from 'E5' already on the roster")


def test_csv_row_with_more_fields_than_the_headings_is_refused_with_its_line(tmp_path, store):
    path = tmp_path / "wide.csv"
    path.write_text("员工花名册,,,\nemployee_id,name,department,role\nE1,Wong, Alice,Ops,staff\n"
                    "E2,Bob,Ops,staff\nE3,Li,Ops,staff,,\n", encoding="utf-8")
    error = refused(store, lambda: import_roster(path, store),
                    "line 3: this row has 5 values but the heading row (line 2) has 4 columns",
                    "line 5: this row has 6 values", "double quotes")
    assert [p.line for p in error.problems] == [3, 5]


# -- the command -------------------------------------------------------------------------------------

def run_cli(args, env, **kw):
    return subprocess.run([sys.executable, "-m", "iso20k.cli", "import-roster", *map(str, args)],
                          capture_output=True, text=True, env=env, **kw)


@pytest.mark.slow
def test_command_dry_run_scope_and_refusal_without_a_terminal(tmp_path):
    env = {**os.environ, "ISO20K_DATA_DIR": str(tmp_path / "data")}
    mapping = role_map(tmp_path)
    people = company(30)
    full = hr_workbook(tmp_path / "all.xlsx", people)
    fresh = run_cli([full, "--role-map", mapping, "--dry-run"], env)
    assert fresh.returncode == 0, fresh.stderr
    assert "Dry run, nothing was written: 30 added, 0 updated" in fresh.stdout
    assert not (tmp_path / "data").exists(), "a dry run created the progress store"
    first = run_cli([full, "--role-map", mapping], env)
    assert first.returncode == 0, first.stderr
    assert "Roster imported: 30 added, 0 updated, 0 marked inactive, 0 unchanged." in first.stdout
    assert "Added (30):" in first.stdout and "... and 10 more (--show-all lists everyone)" in first.stdout

    desk = hr_workbook(tmp_path / "desk.xlsx", [p for p in people if p.department == "服务台"][:-1])
    db = tmp_path / "data" / "progress.sqlite"
    before = db_checksum(db)
    preview = run_cli([desk, "--role-map", mapping, "--dry-run"], env)
    assert preview.returncode == 0, preview.stderr
    assert db_checksum(db) == before
    assert "Becoming inactive (21):" in preview.stdout and "will ask first (or needs --yes)" in preview.stdout

    refusal = run_cli([desk, "--role-map", mapping], env, stdin=subprocess.DEVNULL)
    assert refusal.returncode == 1 and "nothing was imported" in refusal.stderr
    assert "mark 21 of the 30 active employees (70%) inactive" in refusal.stderr
    assert db_checksum(db) == before

    scoped = run_cli([desk, "--role-map", mapping, "--department", "服务台", "--show-all"], env)
    assert scoped.returncode == 0, scoped.stderr
    assert "Scope: departments 服务台" in scoped.stdout and "1 marked inactive, 9 unchanged" in scoped.stdout

    listing = subprocess.run([sys.executable, "-m", "iso20k.cli", "roster"], capture_output=True, text=True, env=env)
    assert len(listing.stdout.splitlines()) == 29


@pytest.mark.slow
def test_command_asks_at_a_terminal(tmp_path):
    env = {**os.environ, "ISO20K_DATA_DIR": str(tmp_path / "data")}
    mapping = role_map(tmp_path)
    people = company(10)
    assert run_cli([hr_workbook(tmp_path / "all.xlsx", people), "--role-map", mapping], env).returncode == 0
    two = hr_workbook(tmp_path / "two.xlsx", people[:2])

    def at_terminal(answer: str) -> tuple[int, str]:
        controller, terminal = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "iso20k.cli", "import-roster", str(two), "--role-map",
                                 str(mapping)], stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=env, text=True)
        os.close(terminal)
        os.write(controller, answer.encode() + b"\n")
        out, _ = proc.communicate(timeout=60)
        os.close(controller)
        return proc.returncode, out

    code, out = at_terminal("n")
    assert code == 1 and "Mark these 8 people inactive and import the roster?" in out
    assert "Nothing was imported." in out
    code, out = at_terminal("y")
    assert code == 0 and "Roster imported: 0 added, 0 updated, 8 marked inactive, 2 unchanged." in out


def test_docs_list_every_heading_and_option():
    from iso20k.cli import main
    from iso20k.roster import COLUMN_ALIASES
    from iso20k.settings import REPO_ROOT

    doc = (REPO_ROOT / "docs" / "roster.md").read_text(encoding="utf-8")
    assert [h for names in COLUMN_ALIASES.values() for h in names if h not in doc] == []
    options = [o for p in main.commands["import-roster"].params for o in p.opts if o.startswith("--")]
    assert [o for o in options if o not in doc] == []
