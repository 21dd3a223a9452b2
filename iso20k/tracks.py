"""The three training tracks of the certification roadmap's training step."""

from __future__ import annotations

TRACKS = ("all-staff", "key-personnel", "document-writing")

TRACK_TITLES = {
    "all-staff": {"en": "All-staff track", "zh": "全员培训"},
    "key-personnel": {"en": "Key-personnel track", "zh": "骨干培训"},
    "document-writing": {"en": "Document-writing track", "zh": "文件编写技能培训"},
}

TRACK_AUDIENCE = {
    "all-staff": {"en": "everyone in the company", "zh": "公司全体员工"},
    "key-personnel": {"en": "general managers, department managers and supervisors, the management representative",
                      "zh": "总经理、副总经理、各部门经理和主管、管理者代表"},
    "document-writing": {"en": "the people who write the manual, procedures, work instructions and records",
                         "zh": "负责编写手册、程序文件、作业指导书和记录的人员"},
}

#: The graded nbgrader assignment of each track.
ASSESSMENTS = {
    "all-staff": "all-staff-exam",
    "key-personnel": "key-personnel-assessment",
    "document-writing": "document-writing-assessment",
}
TRACK_OF_ASSESSMENT = {assignment: track for track, assignment in ASSESSMENTS.items()}
