"""Which training tracks each role takes (from the certification roadmap's training step).

Everyone takes the all-staff track.  Managers and the leadership group take the key-personnel
track; the people who write the manual, procedures, work instructions and records take the
document-writing track; the management representative and the ISO 20000 working group take all
three.  A roster may also list tracks explicitly per employee.
"""

from __future__ import annotations

from ..settings import TRACKS

ROLE_TRACKS: dict[str, tuple[str, ...]] = {
    "staff": ("all-staff",),
    "manager": ("all-staff", "key-personnel"),
    "executive": ("all-staff", "key-personnel"),
    "management-representative": TRACKS,
    "working-group": TRACKS,
    "document-writer": ("all-staff", "document-writing"),
}

#: Names a roster may use instead of the canonical ones (Chinese and common variants).
ROLE_ALIASES: dict[str, str] = {
    "员工": "staff", "普通员工": "staff", "employee": "staff",
    "经理": "manager", "主管": "manager", "部门经理": "manager",
    "高管": "executive", "总经理": "executive", "副总经理": "executive", "top-management": "executive",
    "管理者代表": "management-representative", "管代": "management-representative",
    "工作小组": "working-group", "工作小组成员": "working-group", "iso20000工作小组": "working-group",
    "文件编写": "document-writer", "文件编写人员": "document-writer", "writer": "document-writer",
}

TRACK_ALIASES: dict[str, str] = {
    "全员": "all-staff", "全员培训": "all-staff", "all staff": "all-staff",
    "骨干": "key-personnel", "骨干培训": "key-personnel", "key personnel": "key-personnel",
    "文件编写": "document-writing", "文件编写技能培训": "document-writing",
    "document writing": "document-writing",
}


def canonical_role(value: str) -> str | None:
    key = value.strip().lower().replace("_", "-")
    if key in ROLE_TRACKS:
        return key
    return ROLE_ALIASES.get(key) or ROLE_ALIASES.get(value.strip())


def canonical_track(value: str) -> str | None:
    key = value.strip().lower().replace("_", "-")
    if key in TRACKS:
        return key
    return TRACK_ALIASES.get(key) or TRACK_ALIASES.get(value.strip())
