"""The headings a roster may use: the product's own, Chinese ones, and what HR systems export.

Headings are compared after trimming, ignoring case, spaces and line breaks inside the heading,
and a trailing required-field mark (``*``, ``＊``).  When a file has two headings for the same
column (say 职位 and 岗位), the one listed first here is used and the other is reported as not
used.  docs/roster.md lists these names for the training office.
"""

from __future__ import annotations

import re

from ..settings import TRACKS

#: Column -> headings accepted for it, in order of preference.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "employee_id": ("employee_id", "employee id", "employee no", "employee number", "staff id", "id",
                    "员工编号", "工号", "员工工号", "职工号", "人员编号", "员工号"),
    "name": ("name", "full name", "姓名", "员工姓名"),
    "department": ("department", "dept", "部门", "部门名称", "所属部门", "所在部门"),
    "role": ("role", "角色", "岗位角色", "培训角色"),
    "job_title": ("job_title", "job title", "title", "position", "职位", "岗位", "职务", "职位名称", "岗位名称"),
    "grade": ("grade", "level", "职级", "级别", "职等"),
    "tracks": ("tracks", "培训课程", "培训"),
    "email": ("email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱", "企业邮箱", "工作邮箱"),
    "due_all_staff": ("due_all_staff", "全员培训截止日期"),
    "due_key_personnel": ("due_key_personnel", "骨干培训截止日期"),
    "due_document_writing": ("due_document_writing", "文件编写培训截止日期"),
    # Recognised so that they help find the heading row, but not kept: the course needs no phone
    # numbers or hiring dates, so it does not store them.
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话", "联系电话"),
    "hire_date": ("hire_date", "hire date", "入职日期", "入职时间"),
}

#: Columns whose values the import uses.
USED = ("employee_id", "name", "department", "role", "job_title", "grade", "tracks", "email") + tuple(
    f"due_{t.replace('-', '_')}" for t in TRACKS)

#: Columns every roster needs (the role may instead come from job titles or --default-role).
REQUIRED = ("employee_id", "name", "department")

_NOISE = re.compile(r"\s+")


def normalise_heading(value: object) -> str:
    text = _NOISE.sub("", str(value or "")).lower()
    return text.strip("*＊")


_LOOKUP: dict[str, tuple[str, int]] = {}
for _column, _names in COLUMN_ALIASES.items():
    for _rank, _name in enumerate(_names):
        _LOOKUP.setdefault(normalise_heading(_name), (_column, _rank))


def recognise(heading: object) -> tuple[str, int] | None:
    """``(column, preference)`` for a heading, or None if it is not one the import knows."""
    return _LOOKUP.get(normalise_heading(heading)) if heading is not None else None


def headings_for(column: str, count: int = 3) -> str:
    """A few accepted headings of a column, for hints: "'employee_id', '员工编号', '工号'"."""
    names = COLUMN_ALIASES[column]
    english = names[0]
    chinese = [n for n in names if not n.isascii()][: count - 1]
    return ", ".join(f"'{n}'" for n in [english, *chinese])
