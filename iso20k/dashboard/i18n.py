"""Every piece of dashboard text management sees, in English and Simplified Chinese."""

from __future__ import annotations

from ..roster.roles import ROLE_TRACKS
from ..tracks import TRACK_TITLES

STRINGS: dict[str, dict[str, str]] = {
    "title": {"en": "ISO/IEC 20000 training: completion by department",
              "zh": "ISO/IEC 20000 培训：各部门完成情况"},
    "as_of_note": {"en": "Figures as of {as_of} · data read {loaded}",
                   "zh": "统计截至 {as_of} · 数据读取于 {loaded}"},
    "language": {"en": "Language", "zh": "语言"},
    "track": {"en": "Track", "zh": "培训课程"},
    "department": {"en": "Department", "zh": "部门"},
    "role": {"en": "Role", "zh": "角色"},
    "as_of": {"en": "As of", "zh": "截至日期"},
    "all_tracks": {"en": "All tracks", "zh": "全部课程"},
    "all_departments": {"en": "All departments", "zh": "全部部门"},
    "all_roles": {"en": "All roles", "zh": "全部角色"},
    "refresh": {"en": "Reload data", "zh": "重新读取数据"},
    "employees": {"en": "Employees", "zh": "员工人数"},
    "fully_trained": {"en": "{track}: fully trained", "zh": "{track}：已完成培训"},
    "overdue_people": {"en": "Employees overdue", "zh": "逾期员工"},
    "of": {"en": "{passed} of {enrolled}", "zh": "{enrolled} 人中 {passed} 人"},
    "table_title": {"en": "Completion by department", "zh": "各部门培训完成情况"},
    "enrolled": {"en": "{track} · required", "zh": "{track} · 应参加"},
    "passed": {"en": "{track} · trained", "zh": "{track} · 已完成"},
    "percent": {"en": "{track} · % trained", "zh": "{track} · 完成率"},
    "overdue": {"en": "{track} · overdue", "zh": "{track} · 逾期"},
    "total": {"en": "All shown", "zh": "合计"},
    "download": {"en": "Download this table (CSV)", "zh": "下载此表（CSV）"},
    "download_people": {"en": "Download this list (CSV)", "zh": "下载此名单（CSV）"},
    "chart_title": {"en": "Status of every required track, by department",
                    "zh": "各部门应参加培训的状态分布"},
    "people_title": {"en": "Employees of {department}", "zh": "{department} 员工名单"},
    "people_hint": {"en": "Choose one department above to see its employees and their status on each track.",
                    "zh": "在上方选择一个部门，即可查看该部门每位员工在各课程中的状态。"},
    "employee_id": {"en": "Employee id", "zh": "员工编号"},
    "name": {"en": "Name", "zh": "姓名"},
    "with_due": {"en": "{status} (due {date})", "zh": "{status}（截止 {date}）"},
    "not_required": {"en": "not required", "zh": "无需参加"},
    "scores_title": {"en": "Assessment scores", "zh": "考核成绩分布"},
    "scores_axis": {"en": "score (% of points)", "zh": "得分（占总分百分比）"},
    "scores_count": {"en": "employees", "zh": "人数"},
    "pass_mark": {"en": "pass mark {mark}%", "zh": "及格线 {mark}%"},
    "scores_summary": {"en": "{n} graded · median {median}%", "zh": "已评分 {n} 人 · 中位数 {median}%"},
    "no_scores": {"en": "No graded assessments for this selection yet.",
                  "zh": "所选范围内还没有已评分的考核。"},
    "no_match": {"en": "No employees match these filters. Choose “All” in one of the lists above.",
                 "zh": "没有符合筛选条件的员工。请在上方任一列表中选择“全部”。"},
    "empty_title": {"en": "No roster yet", "zh": "尚未导入员工名单"},
    "empty_body": {
        "en": "The dashboard shows training completion once the training office has imported the "
              "employee roster. Ask them to run <code>iso20k import-roster employees.xlsx</code> "
              "(a CSV or Excel file with employee id, name, department and role). To look around "
              "first with a made-up company, run <code>iso20k demo</code>. Then press “Reload data”.",
        "zh": "培训管理员导入员工名单后，这里会显示培训完成情况。请培训管理员运行 "
              "<code>iso20k import-roster employees.xlsx</code>（CSV 或 Excel 文件，包含员工编号、姓名、部门和角色）。"
              "如想先用虚拟公司数据浏览，请运行 <code>iso20k demo</code>。完成后点击“重新读取数据”。",
    },
    "notes": {"en": "Some data could not be read: {notes}", "zh": "部分数据无法读取：{notes}"},
    "refused": {"en": "You are not allowed to see the training dashboard. Department managers, executives, "
                       "the management representative and trainers are; ask the training office if you should be.",
                "zh": "您无权查看培训看板。部门经理、高管、管理者代表和培训讲师可以查看；如需权限，请联系培训管理员。"},
    "ready_title": {"en": "Ready for the certification audit?", "zh": "能否按时为认证审核做好准备？"},
    "audit_on": {"en": "audit on {audit}", "zh": "审核日期 {audit}"},
    "audit_hint": {"en": "Set ISO20K_AUDIT_DATE to the day of the audit to see which departments will be ready.",
                   "zh": "设置 ISO20K_AUDIT_DATE 为审核日期，即可查看各部门能否按时完成。"},
    "ready_required": {"en": "required", "zh": "应完成"},
    "ready_passed": {"en": "trained", "zh": "已完成"},
    "ready_pace": {"en": "passed per week (last 4 weeks)", "zh": "每周通过数（近 4 周）"},
    "ready_finish": {"en": "all trained by, at this pace", "zh": "按此进度全部完成日期"},
    "ready_never": {"en": "not at this pace", "zh": "按此进度无法完成"},
    "ready_verdict": {"en": "ready by {audit}?", "zh": "{audit} 前能否完成"},
    "ready_yes": {"en": "on track", "zh": "可以按时完成"},
    "ready_no": {"en": "NOT on track", "zh": "无法按时完成"},
    "history_title": {"en": "Required training passed over time", "zh": "应完成培训的累计通过情况"},
    "history_axis": {"en": "passed, % of required", "zh": "已通过（占应完成的百分比）"},
    "clauses_title": {"en": "Clauses answered worst (quizzes and exams)", "zh": "答错率最高的条款（测验与考核）"},
    "clause": {"en": "Clause", "zh": "条款"},
    "clause_answers": {"en": "answers", "zh": "作答次数"},
    "clause_wrong": {"en": "wrong", "zh": "答错"},
    "clause_share": {"en": "% wrong", "zh": "答错率"},
    "clause_sources": {"en": "from", "zh": "来源"},
    "no_clauses": {"en": "Not enough answers yet.", "zh": "作答数量尚不足。"},
    "bad_date": {"en": "That date could not be used; showing today instead.",
                 "zh": "无法使用该日期，已改为显示今天的数据。"},
}

STATUS_LABELS: dict[str, dict[str, str]] = {
    "passed": {"en": "Passed", "zh": "已通过"},
    "submitted": {"en": "Submitted, awaiting grading", "zh": "已提交，待评分"},
    "modules-done": {"en": "Lessons done", "zh": "课程已学完"},
    "in-progress": {"en": "In progress", "zh": "学习中"},
    "not-started": {"en": "Not started", "zh": "未开始"},
    "failed": {"en": "Failed", "zh": "未通过"},
    "overdue": {"en": "Overdue", "zh": "已逾期"},
}

ROLE_LABELS: dict[str, dict[str, str]] = {
    "staff": {"en": "Staff", "zh": "员工"},
    "manager": {"en": "Manager", "zh": "经理/主管"},
    "executive": {"en": "Executive", "zh": "高管"},
    "management-representative": {"en": "Management representative", "zh": "管理者代表"},
    "working-group": {"en": "ISO 20000 working group", "zh": "ISO 20000 工作小组"},
    "document-writer": {"en": "Document writer", "zh": "文件编写人员"},
}
assert set(ROLE_LABELS) == set(ROLE_TRACKS)

SHORT_TRACKS = {
    "all-staff": {"en": "All-staff", "zh": "全员"},
    "key-personnel": {"en": "Key personnel", "zh": "骨干"},
    "document-writing": {"en": "Document writing", "zh": "文件编写"},
}
assert set(SHORT_TRACKS) == set(TRACK_TITLES)


def t(key: str, language: str, **values) -> str:
    text = STRINGS[key][language]
    return text.format(**values) if values else text


def status_label(status: str, language: str) -> str:
    return STATUS_LABELS[status][language]


def role_label(role: str, language: str) -> str:
    return ROLE_LABELS.get(role, {}).get(language, role)


def track_label(track: str, language: str, short: bool = True) -> str:
    return (SHORT_TRACKS if short else TRACK_TITLES)[track][language]
