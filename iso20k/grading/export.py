"""``nbgrader export`` plugin: nbgrader's CSV columns plus track, pass mark and result."""

from __future__ import annotations

import csv

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin

from ..results.rules import passed, submission_score
from ..settings import get_settings
from ..tracks import TRACK_OF_ASSESSMENT

COLUMNS = ["assignment", "track", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score", "pass_mark", "needs_manual_grade", "result"]


def result_of(score: float, max_score: float, pass_mark: float, needs_manual: bool, submitted: bool) -> str:
    if not submitted:
        return "not submitted"
    if needs_manual:
        return "awaiting grading"
    return "passed" if passed(score, max_score, pass_mark) else "failed"


class PassFailExportPlugin(ExportPlugin):
    """Write every student's result per assignment, with pass/fail from the course's pass marks."""

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or "grades.csv"
        settings = get_settings()
        wanted_assignments = {str(a) for a in self.assignment}
        wanted_students = {str(s) for s in self.student}
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            for assignment in gradebook.assignments:
                if wanted_assignments and assignment.name not in wanted_assignments:
                    continue
                track = TRACK_OF_ASSESSMENT.get(assignment.name, "")
                pass_mark = settings.pass_mark(track) if track else 0.0
                for student in gradebook.students:
                    if wanted_students and student.id not in wanted_students:
                        continue
                    row = dict(assignment=assignment.name, track=track, duedate=assignment.duedate or "",
                               student_id=student.id, last_name=student.last_name or "",
                               first_name=student.first_name or "", email=student.email or "",
                               max_score=assignment.max_score, pass_mark=pass_mark)
                    try:
                        sub = gradebook.find_submission(assignment.name, student.id)
                    except MissingEntry:
                        row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0,
                                   needs_manual_grade=False,
                                   result=result_of(0, assignment.max_score, pass_mark, False, False))
                    else:
                        score = submission_score(sub.score, sub.late_submission_penalty)
                        row.update(timestamp=sub.timestamp, raw_score=sub.score,
                                   late_submission_penalty=sub.late_submission_penalty, score=score,
                                   needs_manual_grade=sub.needs_manual_grade,
                                   result=result_of(score, assignment.max_score, pass_mark,
                                                    sub.needs_manual_grade, True))
                    writer.writerow(row)
