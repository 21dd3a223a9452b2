"""The evidence pack's tables, each as a header and rows of text: the same rows go into the CSV
files, the workbook and the PDF summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..certificates.model import Certificate
from ..competence.matrix import STATUS_ZH, Requirement
from ..results.views import Filters, build_view, department_cells
from ..results import Snapshot
from ..results import statuses
from ..tracks import TRACK_TITLES


@dataclass
class Table:
    name: str  # file stem and sheet name
    title_en: str
    title_zh: str
    header: list[str]
    rows: list[list[str]]


def _d(value) -> str:
    return value.isoformat() if value else ""


def completion_table(snap: Snapshot, as_of: date, department: str | None) -> Table:
    """Exactly the dashboard's department × track table (same code, same filters)."""
    view = build_view(snap, statuses(snap, as_of), Filters(as_of=as_of, department=department or ""))
    header_en, rows = department_cells(view, "en")
    header_zh, _ = department_cells(view, "zh")
    header = [f"{en} / {zh}" for en, zh in zip(header_en, header_zh)]
    return Table("completion", "Completion by department and track", "各部门各课程完成情况", header, rows)


def matrix_table(rows: list[Requirement]) -> Table:
    header = ["employee_id / 员工编号", "name / 姓名", "department / 部门", "role / 角色", "track / 课程",
              "assessment / 考核", "status / 状态", "due / 截止日期", "certificate / 证书", "passed_on / 通过日期",
              "valid_until / 有效期至", "detail / 说明"]
    body = [[r.employee_id, r.name, r.department, r.role, r.track, r.assessment, f"{r.status} / {STATUS_ZH[r.status]}",
             _d(r.due), r.certificate, _d(r.passed_on), _d(r.valid_until), r.detail] for r in rows]
    return Table("competence-matrix", "Competence matrix", "能力矩阵", header, body)


def results_table(snap: Snapshot, as_of: date, department: str | None) -> Table:
    status = statuses(snap, as_of)
    header = ["employee_id / 员工编号", "name / 姓名", "department / 部门", "track / 课程",
              "lessons_done / 已完成课程模块", "lessons / 课程模块", "submitted_on / 提交日期", "score / 得分",
              "max_score / 满分", "percent / 百分比", "status / 状态"]
    rows = []
    for p in snap.people:
        if department and p.department != department:
            continue
        for track in p.due:
            sub = snap.submission(p.employee_id, track, as_of)
            graded = sub is not None and sub.score is not None and not sub.needs_manual
            rows.append([p.employee_id, p.name, p.department, track, str(snap.modules_done(p.employee_id, track, as_of)),
                         str(snap.modules.get(track, 0)), _d(sub.submitted_on) if sub else "",
                         f"{sub.score:g}" if graded else "", f"{sub.max_score:g}" if graded else "",
                         f"{sub.percent():.0f}%" if graded and sub.percent() is not None else "",
                         status[(p.employee_id, track)]])
    return Table("results", "Lessons and assessment results", "课程与考核成绩", header, rows)


def certificates_table(certs: list[Certificate], as_of: date, warning_days: int, zone=None) -> Table:
    header = ["code / 验证码", "employee_id / 员工编号", "name / 姓名", "department / 部门", "track / 课程",
              "score / 得分", "passed_on / 通过日期", "valid_until / 有效期至", "state / 状态", "issued_at / 发证时间",
              "sha256"]
    rows = [[c.code, c.employee_id, c.employee_name, c.department,
             f"{TRACK_TITLES[c.track]['en']} / {TRACK_TITLES[c.track]['zh']}", f"{c.score:g}/{c.max_score:g}",
             _d(c.passed_on), _d(c.valid_until), c.state(as_of, warning_days, zone), c.issued_at.isoformat(timespec="seconds"),
             c.sha256] for c in certs]
    return Table("certificates", "Certificates issued", "已发证书", header, rows)


def exceptions_table(rows: list[Requirement]) -> Table:
    table = matrix_table([r for r in rows if r.status in ("overdue", "expired")])
    table.name, table.title_en, table.title_zh = "overdue-expired", "Overdue and expired", "逾期与过期"
    return table


#: The audit trail's actions of the reminders (iso20k/reminders/run.py): how non-completion was followed up.
FOLLOW_UP_ACTIONS = ("reminder-sent", "escalation-sent", "digest-sent")


def follow_up_table(entries, as_of: date, department: str | None, zone=None) -> Table:
    """Every reminder, escalation and digest sent up to ``as_of``, from the audit trail (its entry
    number, so the auditor finds each in the verified chain): when, which rule, to whom, about whom."""
    from ..results import day_in

    rows = []
    for e in entries:
        if e.action not in FOLLOW_UP_ACTIONS or day_in(e.recorded_at, zone) > as_of:
            continue
        about = e.details.get("about") or []
        if department and e.details.get("department") != department \
                and not any(a.get("department") == department for a in about):
            continue
        rows.append([str(e.seq), e.recorded_at, e.details.get("rule", ""), e.subject, e.details.get("to", ""),
                     e.details.get("department", ""), e.details.get("step", ""),
                     " ".join(sorted({a.get("employee_id", "") for a in about})) if e.action != "digest-sent" else "",
                     e.actor])
    header = ["trail entry / 审计追踪条目", "sent at (UTC) / 发送时间", "rule / 规则", "to / 收件人", "address / 邮箱",
              "department / 部门", "due step / 到期节点", "about / 涉及人员", "sent by / 发送者"]
    return Table("follow-up", "Reminders and escalations sent", "已发送的提醒与升级通知", header, rows)
