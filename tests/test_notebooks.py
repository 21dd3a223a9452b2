"""Notebooks in the repository: no outputs, minimal metadata; the start page runs on a fresh
kernel; a quiz answered inside a real kernel lands in the store under the right learner."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess

import nbformat
import pytest
from nbclient import NotebookClient

from iso20k.settings import REPO_ROOT

ALLOWED_METADATA = {"kernelspec", "language_info", "nbgrader"}


def repo_notebooks() -> list:
    listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=REPO_ROOT, capture_output=True, text=True).stdout.split()
    on_disk = [p.relative_to(REPO_ROOT).as_posix() for d in ("course", "source", "release", "dashboard")
               for p in (REPO_ROOT / d).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted(set(listed) | set(on_disk))


def test_there_are_notebooks_to_check():
    assert "course/START_HERE.ipynb" in repo_notebooks()


@pytest.mark.parametrize("path", repo_notebooks())
def test_notebook_has_no_outputs_and_minimal_metadata(path):
    nb = json.loads((REPO_ROOT / path).read_text(encoding="utf-8"))
    metadata = dict(nb.get("metadata", {}))
    # a lesson carries the mark for the course's JupyterLab extension, and only that mark;
    # an exam (source/, release/) is no lesson and carries none
    if path.startswith("course/"):
        assert metadata.pop("iso20k", None) == {"lesson": True}, f"{path}: the lesson mark is missing or changed"
    else:
        assert "iso20k" not in metadata, f"{path}: an exam notebook carries the lesson mark"
    assert set(metadata) <= ALLOWED_METADATA, f"{path}: extra notebook metadata {sorted(metadata)}"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path}: a code cell has outputs"
            assert cell.get("execution_count") is None, f"{path}: a code cell has an execution count"
        assert set(cell.get("metadata", {})) <= {"nbgrader", "deletable", "editable", "tags", "jupyter"}, \
            f"{path}: extra cell metadata {sorted(cell.get('metadata', {}))}"
        # "jupyter" only for JupyterLab's hidden-input state (learners see no Python).
        assert cell.get("metadata", {}).get("jupyter", {"source_hidden": True}) == {"source_hidden": True}, \
            f"{path}: unexpected cell metadata {cell['metadata']['jupyter']}"


def run_notebook(nb, env_updates: dict, cwd) -> nbformat.NotebookNode:
    old = dict(os.environ)
    os.environ.update(env_updates)
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


@pytest.mark.slow
def test_start_page_runs_top_to_bottom_on_a_fresh_kernel(tmp_path):
    nb = nbformat.read(REPO_ROOT / "course" / "START_HERE.ipynb", as_version=4)
    run_notebook(nb, {"ISO20K_DATA_DIR": str(tmp_path), "ISO20K_LEARNER_ID": "E123"}, REPO_ROOT / "course")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) >= 4  # language picker, who-am-I line, two questions


@pytest.mark.slow
@pytest.mark.parametrize("language, expected", [("en", "Who in the company"), ("zh", "公司里哪些人")])
def test_quiz_in_a_real_kernel_records_under_the_learner(tmp_path, language, expected):
    code = (
        "from iso20k import quiz, set_language\n"
        f"set_language({language!r})\n"
        "w = quiz('start/welcome/q01')\n"
        "w.input.value = 'c'\n"
        "w.check_button.click()\n"
        "print(w.input.legend)\n"
        "print(w.feedback.value)\n"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    run_notebook(nb, {"ISO20K_DATA_DIR": str(tmp_path), "ISO20K_LEARNER_ID": "E001", "JUPYTERHUB_USER": "E555"},
                 tmp_path)
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert expected in text
    with sqlite3.connect(tmp_path / "progress.sqlite") as db:
        rows = db.execute("SELECT learner_id, question_id, correct, language FROM answers").fetchall()
    assert rows == [("E555", "start/welcome/q01", 1, language)]  # JupyterHub's user wins
