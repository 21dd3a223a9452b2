"""Grading reads answers as data and runs no learner code: attacks on the real nbgrader pipeline
(real CLI, real gradebook) score only what their real answers deserve, are reported, and leave
other learners' grades alone; honest submissions get exactly plain ``nbgrader autograde``'s grades.

Every attack also tries to write a file into a canary folder: if any learner code ran, it is there."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from iso20k.grading.parallel import autograde
from nbgrader_course import fill, grades, nbgrader, new_course, submit

pytestmark = pytest.mark.slow
FIXTURE_EXAMS = Path(__file__).parent / "fixtures" / "exams"
REPO = Path(__file__).resolve().parents[1]
A = "all-staff-exam"
HONEST = {
    "h-right": {"q01": "B", "q02": "D", "q03": "BADC"},
    "h-lower-fullwidth-spaces": {"q01": "b", "q02": "Ｄ", "q03": "B A D C"},
    "h-fullwidth-order": {"q01": " b ", "q02": "d", "q03": "ＢＡＤＣ"},
    "h-wrong": {"q01": "A", "q02": "A", "q03": "ABCD"},
    "h-partly": {"q01": "B", "q02": "C", "q03": "ABCD"},
    "h-blank": {},
}
REBIND = ("def assert_key(*args, **kwargs):\n    pass\n"
          "def check_letter(*args, **kwargs):\n    pass\n"
          "def check_order(*args, **kwargs):\n    pass\n")


def canary(folder: Path, name: str) -> str:
    return f"open({str(folder / name)!r}, 'w').write('learner code ran')\n"


def cell_of(release: dict, grade_id: str) -> dict:
    return next(c for c in release["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def added(source: str, nbgrader_meta: dict | None = None) -> dict:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
    if nbgrader_meta is not None:
        cell["metadata"]["nbgrader"] = nbgrader_meta
    return cell


def attacks(release: dict, can: Path) -> dict[str, tuple[dict, dict]]:
    """name -> (submission, expected auto scores).  Unless said otherwise each attack answers q01
    wrongly ("A") or not at all, q02 right and q03 wrongly, so it deserves 0, 1, 0."""
    base = {"q02": "D", "q03": "ABCD"}
    deserved = {"q01-test": 0.0, "q02-test": 1.0, "q03-test": 0.0}
    out: dict[str, tuple[dict, dict]] = {}

    def at_q01(name, code, answer='answer_q01 = "A"\n', expect=None):
        out[name] = (fill(release, {"!q01": canary(can, name) + code + answer, **base}), expect or deserved)

    def with_cells(name, cells_after_setup, answers=None, expect=None):
        nb = fill(release, {"q01": "A", **base, **(answers or {})})
        nb["cells"][2:2] = cells_after_setup
        out[name] = (nb, expect or deserved)

    # The measured attack: an added cell rebinding the checks, every answer blank.
    with_cells("rebind-added-cell", [added(canary(can, "rebind-added-cell") + REBIND)],
               answers={"q01": "", "q02": "", "q03": ""}, expect={"q01-test": 0.0, "q02-test": 0.0, "q03-test": 0.0})
    meta = {"grade": True, "grade_id": "bonus", "locked": False, "points": 40.0, "schema_version": 3,
            "solution": False, "task": False}
    with_cells("rebind-unknown-grade-id", [added(canary(can, "rebind-unknown-grade-id") + REBIND, meta)])
    solution = dict(meta, grade=False, solution=True, grade_id="my-answer")
    with_cells("rebind-solution-metadata", [added(canary(can, "rebind-solution-metadata") + REBIND, solution)])
    at_q01("rebind-in-answer-cell", REBIND)
    at_q01("valid-answer-plus-code", "import os\n", answer='answer_q01 = "b"\nos.getcwd()\n',
           expect={"q01-test": 1.0, "q02-test": 1.0, "q03-test": 0.0})
    at_q01("builtins", "import builtins\nbuiltins.AssertionError = KeyboardInterrupt\nbuiltins.str = lambda *a: 'B'\n")
    at_q01("checks-module", "import iso20k.exam_checks as checks\nchecks.normalise = lambda value: 'B'\n"
                            "checks.assert_key = lambda *args: None\n")
    at_q01("settrace", "import sys\ndef skip(frame, event, arg):\n    raise SystemExit\nsys.settrace(skip)\n"
                       "sys.setprofile(skip)\n")
    at_q01("atexit", f"import atexit\natexit.register(lambda: {canary(can, 'atexit-late').strip()})\n")
    at_q01("ipython-hooks", "ip = get_ipython()\nip.set_custom_exc((Exception,), lambda *args, **kw: None)\n"
                            "ip.events.register('pre_run_cell', lambda info: None)\n")
    at_q01("eq-trick", "class Always(str):\n    def __eq__(self, other):\n        return True\n"
                       "    __hash__ = str.__hash__\n    def upper(self):\n        return Always('B')\n",
           answer='answer_q01 = Always("A")\n')
    at_q01("not-a-string", "", answer='answer_q01 = ["B"]\n')
    out["not-strings-everywhere"] = (fill(release, {"!q01": 'answer_q01 = b"B"', "!q02": "answer_q02 = {'D'}",
                                                    "!q03": "answer_q03 = ('B', 'A', 'D', 'C')"}),
                                     {"q01-test": 0.0, "q02-test": 0.0, "q03-test": 0.0})
    deleted = fill(release, {"q01": "A", **base})
    deleted["cells"] = [c for c in deleted["cells"] if c not in (cell_of(deleted, "q01-test"), cell_of(deleted, "q02-test"))]
    out["deleted-tests"] = (deleted, deserved)
    moved = fill(release, {"q01": "A", **base})
    q02 = cell_of(moved, "q02-test")
    moved["cells"].remove(q02)
    moved["cells"].insert(2, q02)  # before every answer
    out["reordered-tests"] = (moved, deserved)
    disguised = fill(release, {"q01": "A", **base})
    fake = json.loads(json.dumps(cell_of(disguised, "q01-test")))
    fake["source"] = canary(can, "disguised") + REBIND
    disguised["cells"].insert(disguised["cells"].index(cell_of(disguised, "q01-test")), fake)
    out["disguised-test-cell"] = (disguised, deserved)
    changed = fill(release, {"q01": "A", **base})
    cell_of(changed, "q01-test")["source"] = canary(can, "changed") + "pass"
    out["changed-test-cell"] = (changed, deserved)
    at_q01("cell-deleter", f"import json, pathlib\npath = pathlib.Path('{A}.ipynb')\nnb = json.loads(path.read_text())\n"
                           "nb['cells'] = [c for c in nb['cells'] if 'grade' not in str(c['metadata'])]\n"
                           "path.write_text(json.dumps(nb))\n")
    flood = fill(release, {"!q01": canary(can, "print-flood") + 'print("x" * 30_000_000)\nanswer_q01 = "B"', **base})
    for cell in flood["cells"]:
        if "print(" in "".join(cell["source"]):  # what the learner's own run left in the notebook
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * 30_000_000}]
    out["print-flood"] = (flood, {"q01-test": 1.0, "q02-test": 1.0, "q03-test": 0.0})
    out["syntax-error"] = (fill(release, {"!q01": 'answer_q01 = "B', **base}), deserved)
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("answers")
    course = new_course(base / "course", FIXTURE_EXAMS)
    release = json.loads((course / "release" / A / f"{A}.ipynb").read_text())
    for student, answers in HONEST.items():
        submit(course, A, student, fill(release, answers, written="CHG-101 had no approval (8.5.1)."))
    serial = base / "serial"
    shutil.copytree(course, serial)
    can = base / "canary"
    can.mkdir()
    cases = attacks(release, can)
    for student, (nb, _) in cases.items():
        submit(course, A, student, nb)
    nbgrader(serial, "autograde", A, "--force")
    summary = autograde(course, A, jobs=2, progress=False)
    return course, serial, summary, cases, can


def outcomes(summary):
    return {o.student: o for o in summary.outcomes}


def gradebook_rows(course: Path, students) -> dict:
    """Everything autograde writes per student: grades, comments, submission totals."""
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute(
            "select s.student_id, c.name, g.auto_score, g.manual_score, g.needs_manual_grade, g.extra_credit "
            "from grade g join submitted_notebook n on g.notebook_id = n.id "
            "join submitted_assignment s on n.assignment_id = s.id "
            "join base_cell c on g.cell_id = c.id").fetchall()
        comments = db.execute(
            "select s.student_id, c.name, m.auto_comment from comment m join submitted_notebook n on m.notebook_id = n.id "
            "join submitted_assignment s on n.assignment_id = s.id join base_cell c on m.cell_id = c.id").fetchall()
        subs = db.execute("select student_id, timestamp, extension from submitted_assignment").fetchall()
    keep = set(students)
    return {"grades": sorted(r for r in rows if r[0] in keep), "comments": sorted(r for r in comments if r[0] in keep),
            "submissions": sorted(r for r in subs if r[0] in keep)}


def test_honest_submissions_get_exactly_plain_nbgraders_grades(graded):
    course, serial, *_ = graded
    assert gradebook_rows(course, HONEST) == gradebook_rows(serial, HONEST)
    g = grades(course, A)
    assert g["h-lower-fullwidth-spaces"]["q03-test"] == g["h-fullwidth-order"]["q03-test"] == (2.0, False)
    assert g["h-blank"]["q01-test"] == (0.0, False)


def test_no_learner_code_ran(graded):
    *_, can = graded
    assert sorted(p.name for p in can.iterdir()) == []


def test_each_attack_scores_what_its_real_answers_deserve(graded):
    course, _, summary, cases, _ = graded
    g = grades(course, A)
    for student, (_, expected) in cases.items():
        got = {k: v for k, v in g[student].items() if k != "t1-task"}
        assert got == {k: (v, False) for k, v in expected.items()}, student
    assert all(o.status == "graded" for o in summary.outcomes), summary.text()


def test_every_attack_is_reported_with_its_cell_and_first_line(graded):
    _, _, summary, cases, _ = graded
    o = outcomes(summary)
    for student in cases:
        assert o[student].tamper, f"{student} was not reported"
    for student in HONEST:
        assert not o[student].tamper, o[student].tamper
    text = " | ".join(o["rebind-added-cell"].tamper)
    assert "cell 3 (" in text and "open(" in text and "'def assert_key(*args, **kwargs):'" in text
    assert "never run" in text
    assert any("unknown grade id 'bonus'" in t for t in o["rebind-unknown-grade-id"].tamper)
    assert any("unknown grade id 'my-answer'" in t for t in o["rebind-solution-metadata"].tamper)
    assert any("claims to be protected cell 'q01-test' too" in t for t in o["disguised-test-cell"].tamper)
    assert "all-staff-exam: protected cell 'q01-test' was changed" in o["changed-test-cell"].tamper
    deleted = o["deleted-tests"].tamper
    assert {"all-staff-exam: protected cell 'q01-test' was deleted", "all-staff-exam: protected cell 'q02-test' was deleted"} <= set(deleted)
    assert any("reordered" in t for t in o["reordered-tests"].tamper)
    assert any("answer_q01 is not text between quotes" in t for t in o["not-a-string"].tamper)
    assert any("answer_q01 is not text between quotes" in t for t in o["eq-trick"].tamper)
    assert any("answer_q01 is bytes, not text" in t for t in o["not-strings-everywhere"].tamper)
    assert any("not valid Python" in t for t in o["syntax-error"].tamper)
    assert any("'print(\"x\" * 30_000_000)'" in t for t in o["print-flood"].tamper)
    assert "answers read as data" in summary.text()


def test_the_autograded_notebook_keeps_what_the_learner_wrote_and_the_real_tests(graded):
    course, *_ = graded
    nb = json.loads((course / "autograded" / "rebind-added-cell" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert any("def assert_key(*args, **kwargs)" in s for s in sources)  # graders see the attempt
    q01 = cell_of(nb, "q01-test")
    assert "assert_key(answer_q01, 'B')" in "".join(q01["source"])  # the hidden test, as in the gradebook
    assert [o["ename"] for o in q01["outputs"] if o["output_type"] == "error"] == ["AssertionError"]
    deleted = json.loads((course / "autograded" / "deleted-tests" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
    assert cell_of(deleted, "q02-test")["outputs"] == []  # put back and passed


def test_feedback_still_works_and_hides_keys(graded):
    course, *_ = graded
    nbgrader(course, "generate_feedback", A, "--force")
    page = (course / "feedback" / "h-right" / A / f"{A}.html").read_text(encoding="utf-8")
    assert "q03-test: passed" in page and "assert_key(answer_" not in page and "'BADC'" not in page


def test_the_same_submissions_graded_five_times_give_the_same_grades_and_findings(graded, tmp_path):
    course, *_ = graded
    small = tmp_path / "again"
    shutil.copytree(course, small, ignore=shutil.ignore_patterns("autograded", "feedback", "submitted", "reports"))
    for student in ("print-flood", "disguised-test-cell", "h-right"):
        shutil.copytree(course / "submitted" / student, small / "submitted" / student)
    runs = []
    for _ in range(5):
        summary = autograde(small, A, progress=False)
        runs.append((grades(small, A), [(o.student, o.status, o.tamper, o.problems) for o in summary.outcomes]))
    assert all(run == runs[0] for run in runs[1:])
    assert runs[0][0]["print-flood"]["q01-test"] == (1.0, False)


def iso20k(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    from iso20k.grading.environment import nbgrader_env

    return subprocess.run([sys.executable, "-m", "iso20k.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=nbgrader_env(env))


def _state(folder: Path) -> dict:
    names = ("gradebook.db", "submitted", "autograded", "reports")
    return {n: (folder / n).stat().st_mtime_ns if (folder / n).exists() else None for n in names}


def test_commands_use_the_course_folder_they_run_in(graded, tmp_path):
    """As nbgrader does: nbgrader_config.py in the current folder decides the course."""
    course, *_ = graded
    copy = tmp_path / "copy of the course"
    shutil.copytree(course, copy, ignore=shutil.ignore_patterns("autograded", "feedback", "submitted", "reports"))
    shutil.copytree(course / "submitted" / "h-right", copy / "submitted" / "h-right")
    repo_before = _state(REPO)
    proc = iso20k("autograde", A, cwd=copy)
    assert proc.returncode == 0, proc.stderr
    assert "1 submission(s)" in proc.stdout and "1 graded" in proc.stdout
    assert grades(copy, A)["h-right"]["q03-test"] == (2.0, False)
    assert (copy / "reports" / f"{A}-autograde.json").exists()
    analysis = iso20k("item-analysis", A, cwd=copy)
    assert analysis.returncode == 0 and "q03-test" in analysis.stdout, analysis.stderr
    roster = tmp_path / "roster.csv"
    roster.write_text("employee_id,name,department,role\nE9,Ada Lin,Service Desk,staff\n", encoding="utf-8")
    env = {"ISO20K_DATA_DIR": str(tmp_path / "data"), "ISO20K_DB_URL": ""}
    assert iso20k("import-roster", str(roster), cwd=copy, env=env).returncode == 0
    synced = iso20k("sync-roster", cwd=copy, env=env)
    assert synced.returncode == 0 and "1 added" in synced.stdout, synced.stderr
    with sqlite3.connect(copy / "gradebook.db") as db:
        assert ("E9",) in db.execute("select id from student").fetchall()
    assert _state(REPO) == repo_before  # the repository's own course was not touched
    # --course still chooses another folder explicitly, from anywhere.
    proc = iso20k("item-analysis", A, "--course", str(copy), cwd=tmp_path)
    assert proc.returncode == 0 and "q03-test" in proc.stdout, proc.stderr
