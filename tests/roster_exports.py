"""Generated roster files shaped like what HR systems export (DingTalk, WeCom, Feishu, an HR
Excel): a merged title row, an export-date row, a blank row, HR headings with job titles, phone
numbers and hiring dates, trailing formatted but empty columns, several sheets."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import PatternFill

HR_HEADINGS = ["工号", "姓名", "部门", "职位", "邮箱", "入职日期", "手机"]
TITLES = {"服务台": ["服务台主管", "服务台工程师", "服务台工程师"],
          "运维部": ["运维经理", "运维工程师", "运维工程师"],
          "质量部": ["质量经理", "体系专员", "文控专员"]}
ROLE_MAP_YAML = """\
# HR job title -> course role
服务台主管: manager
服务台工程师: staff
运维经理: 经理
运维工程师: staff
质量经理: manager
体系专员: working-group
文控专员: document-writer
"""


@dataclass(frozen=True)
class Person:
    employee_id: str
    name: str
    department: str
    title: str

    def row(self) -> list:
        n = int(self.employee_id[1:])
        return [self.employee_id, self.name, self.department, self.title,
                f"{self.employee_id.lower()}@example.com", date(2020, 1, 1 + n % 28), f"138{n:08d}"]


def company(size: int, departments: tuple[str, ...] = tuple(TITLES)) -> list[Person]:
    """``size`` people spread over the departments in turn, with HR job titles."""
    people = []
    for n in range(1, size + 1):
        dep = departments[(n - 1) % len(departments)]
        titles = TITLES[dep]
        people.append(Person(f"E{n:04d}", f"员工{n:04d}", dep, titles[(n // len(departments)) % len(titles)]))
    return people


def hr_sheet(ws, people: list[Person], title: str = "员工花名册（2026年11月）") -> int:
    """Fill ``ws`` like an HR export; returns the line of the heading row."""
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HR_HEADINGS))
    ws.append(["导出时间：2026-11-29 09:30", None, None, None, None, "导出人：HR"])
    ws.append([])
    ws.append(HR_HEADINGS)
    for p in people:
        ws.append(p.row())
    grey = PatternFill("solid", fgColor="DDDDDD")
    for row in range(4, 4 + len(people) + 1):  # formatted, empty columns to the right of the data
        for col in range(len(HR_HEADINGS) + 1, len(HR_HEADINGS) + 4):
            ws.cell(row=row, column=col).fill = grey
    return 4


def hr_workbook(path: Path, people: list[Person], *, sheets: dict[str, list[Person]] | None = None,
                notes_sheet: bool = True) -> Path:
    """An XLSX export: the roster sheet '花名册' (or ``sheets``), and a '说明' sheet of notes."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, members in (sheets or {"花名册": people}).items():
        hr_sheet(wb.create_sheet(name), members)
    if notes_sheet:
        notes = wb.create_sheet("说明")
        notes.append(["本表由人力资源系统导出，请勿修改表头。"])
        notes.append(["手机号码仅供内部联系使用。"])
    wb.save(path)
    return path


def hr_csv(path: Path, people: list[Person], encoding: str = "utf-8-sig") -> Path:
    """A CSV export as Excel writes it: the title row padded with commas, every row as wide."""
    width = len(HR_HEADINGS) + 2
    lines = ["员工花名册（2026年11月）" + "," * (width - 1), "," * (width - 1), ",".join(HR_HEADINGS) + ",,"]
    for p in people:
        lines.append(",".join(str(v) for v in p.row()) + ",,")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def role_map(tmp_path: Path, text: str = ROLE_MAP_YAML, name: str = "roles.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def db_checksum(store) -> str:
    """A checksum of everything in a SQLite progress store (a store or its file): every table's rows."""
    path = store if isinstance(store, Path) else store.url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        return hashlib.sha256("\n".join(db.iterdump()).encode("utf-8")).hexdigest()


def employees_table(store) -> list[tuple]:
    """Every column of every employee row, including updated_at."""
    with closing(sqlite3.connect(store.url.removeprefix("sqlite:///"))) as db:
        return db.execute("SELECT * FROM employees ORDER BY employee_id").fetchall()
