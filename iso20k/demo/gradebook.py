"""Put the demo company's assessment results into nbgrader's gradebook, through nbgrader's own
APIs: the assignments come from ``generate_assignment``; most results are recorded with the
``Gradebook`` API; a handful of learners hand in real notebooks that go through the whole
autograding pipeline, so a trainer opening formgrader sees real work to look at."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

from ..grading.config import course_config
from ..grading.environment import course_gradebook, ensure_bin_on_path
from ..grading.exam_model import Exam
from ..tracks import ASSESSMENTS
from .history import Result

_ANSWER = re.compile(r'answer_(\w+) = ""')


def ensure_assignments(course_root: Path) -> None:
    """Make sure the gradebook knows each assessment's notebooks and cells (nbgrader records
    them when it generates the learners' version)."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    ensure_bin_on_path()
    with course_gradebook(course_root) as gb:
        known = {a.name for a in gb.assignments if a.notebooks}
    missing = [a for a in ASSESSMENTS.values() if a not in known]
    if not missing:
        return
    config = course_config(course_root)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    for assignment in missing:
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result.get("success"):
            raise RuntimeError(f"nbgrader could not generate {assignment}: {result.get('error') or result.get('log')}")


def remove_demo_work(course_root: Path, student_ids: list[str]) -> None:
    """Forget the demo learners' submissions: gradebook rows and nbgrader's folders."""
    from nbgrader.api import SubmittedAssignment

    with course_gradebook(course_root) as gb:
        for start in range(0, len(student_ids), 500):
            chosen = SubmittedAssignment.student_id.in_(student_ids[start:start + 500])
            for sub in gb.db.query(SubmittedAssignment).filter(chosen).all():
                gb.remove_submission(sub.assignment.name, sub.student_id)
    for folder in ("submitted", "autograded", "feedback"):
        for sid in student_ids:
            shutil.rmtree(Path(course_root) / folder / sid, ignore_errors=True)


def record_results(course_root: Path, results: list[Result], seed: int = 20000) -> None:
    """Record graded (and ungraded) submissions with nbgrader's Gradebook API."""
    import warnings

    rng = random.Random(seed + 2)
    with warnings.catch_warnings(), course_gradebook(course_root) as gb:
        # nbgrader's own gradebook code triggers SQLAlchemy autoflush warnings; they are noise here.
        warnings.simplefilter("ignore")
        for r in results:
            sub = gb.update_or_create_submission(ASSESSMENTS[r.track], r.employee_id,
                                                 timestamp=r.submitted_at.replace(tzinfo=None))
            grades = [g for nb in sub.notebooks for g in nb.grades]
            auto = [g for g in grades if g.cell.type == "GradeCell"]
            tasks = [g for g in grades if g.cell.type == "TaskCell"]
            total = sum(g.cell.max_score for g in grades)
            target = None if r.share is None else r.share * total
            # The written task is marked by hand; the share decides how well it went.
            for g in tasks:
                if target is None:
                    g.manual_score, g.needs_manual_grade = None, True
                else:
                    g.manual_score = round(g.cell.max_score * min(1.0, r.share + rng.uniform(-0.1, 0.1)))
                    g.needs_manual_grade = False
            got = sum(g.manual_score or 0 for g in tasks)
            wanted = r.share * total if target is not None else rng.uniform(0.55, 0.95) * total
            rng.shuffle(auto)
            for g in auto:
                right = got + g.cell.max_score <= wanted + 1e-9
                g.auto_score = g.cell.max_score if right else 0.0
                g.needs_manual_grade = False
                got += g.auto_score
        gb.db.commit()


def fill_release(release_nb: dict, answers: dict[str, str], written: str | None = None) -> dict:
    """A learner's filled-in copy of a released notebook: ``answers`` maps the answer's name (a
    form's slot, ``s01``, or an item id) to the text typed between the quotes; ``written``
    replaces the written answer's placeholder."""
    nb = json.loads(json.dumps(release_nb))
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        match = _ANSWER.match(source)
        if match and match.group(1) in answers:
            cell["source"] = f'answer_{match.group(1)} = "{answers[match.group(1)]}"'
        if cell["cell_type"] == "markdown" and "Double-click here" in source and written is not None:
            cell["source"] = written
    return nb


def answers_for(exam: Exam, share: float, rng: random.Random, form=None, pool=None) -> dict[str, str]:
    """Answers of which ``share`` (rounded to whole answers, chosen at random) are right: to the
    learner's ``form`` (drawn from the keyed ``pool``: its slots, then the exam's fixed items), or
    without a form to the exam file's items.  A demo person meant to pass (share 0.72 or more)
    passes the all-staff exam, one meant to fail (0.62 or less) fails it."""
    keys: list[tuple[str, str, str]] = []  # answer name, key, the letters a wrong answer is taken from
    if form is not None:
        from ..grading.forms import LETTERS

        keys += [(slot.name, slot.key(pool), LETTERS) for slot in form.slots]
    items = exam.fixed_items if form is not None else exam.items
    keys += [(item.id, item.answer, item.letters if item.kind == "choice" else "")
             for item in items if item.kind != "written" and item.answer]
    right = set(rng.sample(range(len(keys)), round(share * len(keys))))
    out = {}
    for n, (name, key, letters) in enumerate(keys):
        if n in right:
            out[name] = key
        else:
            wrong = [c for c in letters if c != key]
            out[name] = rng.choice(wrong) if wrong else key[::-1]
    return out


def learners_form(course_root: Path, exam: Exam, learner: str, attempt: int = 1):
    """(form, keyed pool) of ``learner``'s ``attempt`` when the course's assessment gives every
    learner their own form (``ISO20K_EXAM_FORMS``, built into ``forms/``), else (None, None)."""
    from ..grading.form_notebook import read_keyed_pool
    from ..grading.forms import draw_form

    pool = read_keyed_pool(Path(course_root), exam.assignment)
    if pool is None:
        return None, None
    return draw_form(pool, learner, attempt), pool


def hand_in(course_root: Path, exam: Exam, result: Result, rng: random.Random, written: str) -> None:
    """Write a real submission into ``submitted/`` as ``nbgrader collect`` would."""
    assignment = exam.assignment
    release = json.loads((Path(course_root) / "release" / assignment / f"{assignment}.ipynb").read_text("utf-8"))
    share = result.share if result.share is not None else 0.85
    folder = Path(course_root) / "submitted" / result.employee_id / assignment
    folder.mkdir(parents=True, exist_ok=True)
    form, pool = learners_form(course_root, exam, result.employee_id)
    if form is not None:  # the learner's own questions, as their fetch would have given them
        from ..grading.form_notebook import apply_form

        release = apply_form(release, form, pool, {})
    nb = fill_release(release, answers_for(exam, share, rng, form, pool), written)
    (folder / f"{assignment}.ipynb").write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "timestamp.txt").write_text(result.submitted_at.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
