"""Build temporary nbgrader courses for tests: real nbgrader CLI, real SQLite gradebook."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from iso20k.grading.build import build_sources
from iso20k.grading.environment import nbgrader_env
from iso20k.settings import REPO_ROOT, Settings

NBGRADER = str(Path(sys.executable).with_name("nbgrader"))


def nbgrader(root: Path, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([NBGRADER, *args], cwd=root, env=nbgrader_env(env), capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def new_course(root: Path, exams_dir: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    build_sources(exams_dir, root / "source", Settings())
    for assignment in sorted(p.name for p in (root / "source").iterdir()):
        nbgrader(root, "generate_assignment", assignment, "--force")
    return root


def fill(release_nb: dict, answers: dict[str, str], written: str | None = None) -> dict:
    """A learner's submission: ``answers`` maps the answer's name (a form's slot ``s01``, or an item
    id where the assessment has no forms) to the text typed between the quotes (or, for a key
    starting with '!', replaces the whole answer cell with that code).  For a form assessment the
    notebook should be the learner's own (``form_answers.sit``) and the answers chosen by what they
    should be (``form_answers.answer_form``)."""
    nb = json.loads(json.dumps(release_nb))
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        match = re.match(r'answer_(\w+) = ""', source)
        if match:
            item = match.group(1)
            if "!" + item in answers:
                cell["source"] = answers["!" + item]
            elif item in answers:
                cell["source"] = f'answer_{item} = "{answers[item]}"  # my answer'
        if cell["cell_type"] == "markdown" and "Double-click here" in source and written is not None:
            cell["source"] = written
    return nb


def submit(root: Path, assignment: str, student: str, content, timestamp: str = "2026-11-20 10:00:00.000000 UTC"):
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{assignment}.ipynb"
    if isinstance(content, (bytes, str)):
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    else:
        target.write_text(json.dumps(content), encoding="utf-8")
    (folder / "timestamp.txt").write_text(timestamp)


def grades(root: Path, assignment: str) -> dict[str, dict[str, tuple]]:
    """student -> grade id -> (auto score, needs manual grade), read from the real gradebook."""
    from nbgrader.api import Gradebook

    out: dict[str, dict[str, tuple]] = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for sub in gb.find_assignment(assignment).submissions:
            for nb in sub.notebooks:
                for g in nb.grades:
                    out.setdefault(sub.student.id, {})[g.name] = (g.auto_score, g.needs_manual_grade)
    return out


PRACTICAL = "practical-task"


def add_practical(root: Path, assignment: str = PRACTICAL) -> Path:
    """A practical task: the fixture all-staff exam whose first answer is written as *code* in an
    nbgrader solution cell (what a future assessment needing learners' code looks like).  It is
    graded through the sandbox path, not by reading answers."""
    nb = json.loads((root / "source" / "all-staff-exam" / "all-staff-exam.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "".join(cell["source"]).startswith('answer_q01 = ""'):
            cell["source"] = '### BEGIN SOLUTION\nanswer_q01 = "B"\n### END SOLUTION'
            cell["metadata"] = {"nbgrader": {"grade": False, "grade_id": "q01-answer", "locked": False,
                                             "schema_version": 3, "solution": True, "task": False}}
    target = root / "source" / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    nbgrader(root, "generate_assignment", assignment, "--force")
    return root


def fill_practical(release_nb: dict, code: str, answers: dict[str, str]) -> dict:
    """A submission of the practical task: ``code`` in its solution cell, ``answers`` as in fill()."""
    nb = fill(release_nb, answers)
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "q01-answer":
            cell["source"] = code
    return nb
