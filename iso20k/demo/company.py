"""A made-up IT service company: departments, employees, roles and due dates, the same every
time for the same seed.  Every demo employee has an ``@demo.example.com`` address, which is how
the demo recognises its own people and never touches a real roster."""

from __future__ import annotations

import random
from datetime import date, timedelta

from ..roster import ROLE_TRACKS
from ..roster.validate import Employee

DEMO_DOMAIN = "demo.example.com"

DEPARTMENTS = [
    "总经理办公室 Executive Office", "服务台 Service Desk", "运维部 IT Operations",
    "网络与基础设施部 Network & Infrastructure", "应用支持部 Application Support",
    "软件开发部 Software Development", "质量管理部 Quality & Compliance", "客户关系部 Account Management",
]
_EXTRA = ["数据中心 Data Centre", "安全部 Information Security", "采购部 Procurement", "人力资源部 HR",
          "财务部 Finance", "项目管理部 PMO", "测试部 Testing", "云服务部 Cloud Services",
          "桌面支持部 Desktop Support", "数据库部 Database Services"]

FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文博宇浩然子涵欣怡梓轩思远雨晨嘉佳"


def departments(count: int) -> list[str]:
    names = DEPARTMENTS + _EXTRA
    out = names[:count]
    n = 1
    while len(out) < count:
        out.append(f"{names[len(out) % len(names)].split(' ', 1)[0]}{n} Unit {n}")
        n += 1
    return out


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(FAMILY) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        if name not in used:
            used.add(name)
            return name


def _roles(size: int, first_dept: bool, rng: random.Random) -> list[str]:
    """Roles in one department: a manager or two, a writer or three, one in the working group."""
    if first_dept:  # the executive office
        roles = ["executive"] * min(3, size) + ["management-representative"]
    else:
        roles = ["manager"] * (1 + (size > 25)) + ["working-group"] + ["document-writer"] * max(1, size // 12)
    roles += ["staff"] * max(0, size - len(roles))
    rng.shuffle(roles)
    return roles[:size]


def make_company(employees: int = 300, department_count: int = 8, today: date | None = None,
                 seed: int = 20000) -> list[Employee]:
    """The demo roster.  Departments in the first half had their all-staff training due ten days
    ago (some people are overdue); the rest are due in three weeks."""
    rng = random.Random(seed)
    today = today or date.today()
    depts = departments(department_count)
    weights = [rng.uniform(0.6, 1.6) for _ in depts]
    weights[0] = 0.25  # a small executive office
    sizes = [max(4, round(employees * wt / sum(weights))) for wt in weights]
    sizes[sizes.index(max(sizes))] += employees - sum(sizes)
    used: set[str] = set()
    people = []
    number = 10001
    for i, (dept, size) in enumerate(zip(depts, sizes)):
        wave_one = i < len(depts) // 2
        for role in _roles(size, i == 0, rng):
            tracks = ROLE_TRACKS[role]
            due = {"all-staff": today + timedelta(days=-10 if wave_one else 21),
                   "key-personnel": today + timedelta(days=14 if wave_one else 35),
                   "document-writing": today + timedelta(days=30 if wave_one else 45)}
            eid = f"E{number}"
            people.append(Employee(eid, _name(rng, used), dept, role, f"{eid.lower()}@{DEMO_DOMAIN}",
                                   tracks, {t: due[t] for t in tracks}))
            number += 1
    return people
