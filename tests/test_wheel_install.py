"""The product installs from a built wheel into a fresh virtual environment outside the repository
and works there: its command line, the question banks, a quiz answered through the widget API, and
a lesson notebook run in a real kernel, all from the files installed with the package."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from iso20k.banks import load_catalog
from wheel_build import clean_environment, install_product, installed_wheel
from iso20k.settings import REPO_ROOT


QUIZ = r"""
import json, sys
from pathlib import Path
import iso20k
from iso20k.banks import load_catalog
from iso20k.settings import get_settings
from iso20k.store import ProgressStore
from iso20k.widgets import QuizSession, quiz, use_session

settings = get_settings()
learners = load_catalog()  # the package's learners' copies: no keys
assert not learners.keyed and all(q.answer is None and q.explanation is None for q in learners.questions.values())
catalog = load_catalog(settings.keyed_banks_dir)  # the course folder's banks with the keys
question = next(q for q in catalog.questions.values() if q.type == "single")
wrong = next(o.id for o in question.options if o.id != question.answer)
session = use_session(QuizSession(ProgressStore(), "E777", language="zh"))
widget = quiz(question.full_id)
first = widget.select(wrong).check()
second = widget.select(question.answer).check()
from iso20k.dashboard import dashboard_server
from iso20k.launch import lab_command
server = dashboard_server(settings)  # refuses when the dashboard notebook is missing
template = Path(server.env["JUPYTER_PATH"].split(":")[0]) / "voila" / "templates" / "iso20k" / "index.html.j2"
lab = lab_command(settings, open_browser=False)
from iso20k.dashboard.app import page
from iso20k.texts import catalogue, pt, t
print(json.dumps({
    "texts": [t("Check answer", "zh"), pt("certificates table", "Track", "zh"), page().refused("zh")],
    "catalogue": [catalogue.mo_file("zh_CN").is_file(), catalogue.po_file("zh_CN").exists()],
    "dashboard": server.argv[-1], "template": template.is_file(),
    "lab": [a for a in lab if a.startswith(("--ServerApp.root_dir", "--LabApp.default_url"))],
    "package": iso20k.__file__, "banks_dir": str(settings.banks_dir), "course_dir": str(settings.course_dir),
    "dashboard_dir": str(settings.dashboard_dir), "exams_dir": str(settings.exams_dir),
    "course_root": str(settings.course_root), "questions": len(learners.questions),
    "keyed_banks_dir": str(settings.keyed_banks_dir), "explanation": question.explanation.zh,
    "question": question.full_id, "results": [first, second], "feedback": widget.feedback.value,
    "stored": [(r["question_id"], r["correct"], r["attempt"], r["language"])
               for r in ProgressStore().answers("E777")],
}))
"""

LESSON = r"""
import sys
import nbformat
from nbclient import NotebookClient
from iso20k.settings import get_settings

path = get_settings().course_dir / "all-staff" / "01-intro.en.ipynb"
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": sys.argv[1]}}).execute()
errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
widgets = sum("application/vnd.jupyter.widget-view+json" in o.get("data", {})
              for c in nb.cells for o in c.get("outputs", []))
print(f"errors={len(errors)} widgets={widgets}")
"""


def run(argv, cwd, env, timeout=600) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{argv} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
def test_a_built_wheel_works_in_a_fresh_venv_outside_the_repository(tmp_path):
    """The wheel and its install are the ones the hub tests run (built once per test run)."""
    venv, work = install_product().parent.parent, tmp_path / "work"
    clean = clean_environment()
    wheel = installed_wheel()
    names = zipfile.ZipFile(wheel).namelist()
    assert "iso20k/courseware/course/START_HERE.ipynb" in names
    assert "iso20k/courseware/dashboard/training-dashboard.ipynb" in names
    assert "iso20k/courseware/dashboard/jupyter/voila/templates/iso20k/index.html.j2" in names
    assert sum(n.startswith("iso20k/courseware/assessments/") and n.endswith(".yaml") for n in names) == \
        len(list((REPO_ROOT / "assessments").rglob("*.yaml")))
    # The answer keys of the graded assessments stay with the trainers' course folder.
    assert not [n for n in names if n.startswith(("iso20k/courseware/exams", "iso20k/courseware/source"))]
    # The texts: the compiled catalogue (not the translators' .po files) and the Jinja2 templates.
    assert "iso20k/texts/locale/zh_CN/LC_MESSAGES/iso20k.mo" in names
    assert not [n for n in names if n.endswith((".po", ".pot"))]
    assert {"iso20k/dashboard/templates/dashboard.html", "iso20k/dashboard/templates/tables.html",
            "iso20k/dashboard/templates/certificates.html", "iso20k/widgets/templates/training.html",
            "iso20k/certificates/templates/verify.html"} <= set(names)
    # The question banks are learners' copies: no answer, no explanation (the keys are installed apart).
    import yaml

    with zipfile.ZipFile(wheel) as archive:
        copies = [yaml.safe_load(archive.read(n)) for n in names
                  if n.startswith("iso20k/courseware/assessments/") and n.endswith(".yaml")]
    assert copies and all(b["keys"] == "withheld" for b in copies)
    assert not [q for b in copies for q in b["questions"] if "answer" in q or "explanation" in q]

    assert REPO_ROOT not in venv.parents and not str(venv).startswith(str(REPO_ROOT))
    work.mkdir()
    # one machine: the banks with the keys are in the course folder (here the folder commands run in)
    import shutil

    shutil.copytree(REPO_ROOT / "assessments", work / "assessments")
    env = {**clean, "ISO20K_DATA_DIR": str(work / "data"), "HOME": str(work)}
    iso20k = str(venv / "bin" / "iso20k")
    helped = run([iso20k, "--help"], work, env).stdout
    assert "check-banks" in helped and "dashboard" in helped
    checked = run([iso20k, "check-banks"], work, env).stdout
    expected = load_catalog(REPO_ROOT / "assessments")
    assert f"All {len(expected.banks)} banks are valid: {len(expected.questions)} questions" in checked

    out = json.loads(run([str(venv / "bin" / "python"), "-c", QUIZ], work, env).stdout)
    site = str(venv)
    assert out["package"].startswith(site)
    for folder in ("banks_dir", "course_dir", "dashboard_dir"):
        assert out[folder].startswith(site) and str(REPO_ROOT) not in out[folder]
    # The trainers' folders are the course folder's: by default the folder the command runs in.
    assert (out["course_root"], out["exams_dir"]) == (str(work), str(work / "exams"))
    assert out["keyed_banks_dir"] == str(work / "assessments")
    assert out["questions"] == len(expected.questions)
    assert out["dashboard"].startswith(site) and out["dashboard"].endswith("training-dashboard.ipynb")
    assert out["template"] is True
    root = out["lab"][0].split("=", 1)[1]
    assert root.startswith(site) and Path(root, "course", "START_HERE.ipynb").is_file()
    assert out["lab"][1] == "--LabApp.default_url=/lab/tree/course/START_HERE.ipynb"
    assert out["results"] == [False, True] and "正确" in out["feedback"]
    assert out["catalogue"] == [True, False]  # the wheel's .mo is what the texts came from
    assert out["texts"][:2] == ["提交答案", "课程"] and "您无权查看培训看板" in out["texts"][2]
    import html

    assert html.escape(out["explanation"]) in out["feedback"]  # the explanation came with the verdict
    assert out["stored"] == [[out["question"], False, 1, "zh"], [out["question"], True, 2, "zh"]]
    assert (work / "data" / "progress.sqlite").is_file()

    lesson = run([str(venv / "bin" / "python"), "-c", LESSON, str(work)], work, env).stdout
    assert "errors=0" in lesson and "widgets=0" not in lesson

    shown = run([iso20k, "settings"], work, env).stdout
    assert str(REPO_ROOT) not in shown  # nothing points back into the repository
