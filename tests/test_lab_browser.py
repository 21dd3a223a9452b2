"""In real JupyterLab, in real headless Chromium: a ``quiz(...)`` cell renders in either
language, and clicking an answer stores it under the learner's id."""

from __future__ import annotations

import sqlite3

import nbformat
import pytest

from browser import TOKEN, chromium_page, jupyter_lab
from iso20k.settings import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture
def lab(tmp_path):
    root = tmp_path / "lab"
    root.mkdir()
    for language in ("en", "zh"):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            f"from iso20k import quiz, set_language\nset_language({language!r})\nquiz('start/welcome/q01')")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / f"quiz_{language}.ipynb")
    env = {"ISO20K_DATA_DIR": str(tmp_path / "data"), "ISO20K_LEARNER_ID": "E321",
           "ISO20K_BANKS_DIR": str(REPO_ROOT / "assessments")}
    with jupyter_lab(root, tmp_path, env, ("--LabApp.expose_app_in_browser=True",)) as base:
        yield base, tmp_path / "data" / "progress.sqlite"


@pytest.mark.parametrize("language, prompt, check, verdict", [
    ("en", "Who in the company needs to know", "Check answer", "Correct!"),
    ("zh", "公司里哪些人需要了解", "提交答案", "回答正确"),
])
def test_quiz_renders_and_records_in_jupyterlab(lab, language, prompt, check, verdict):
    base, db = lab
    with chromium_page() as page:
        page.goto(f"{base}/lab/tree/quiz_{language}.ipynb?token={TOKEN}")
        page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=60_000)
        page.wait_for_function("""() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const kernel = panel && panel.sessionContext && panel.sessionContext.session
                && panel.sessionContext.session.kernel;
            return kernel && kernel.status === "idle" && kernel.connectionStatus === "connected";
        }""", timeout=60_000)
        # Fire and forget: awaiting the command's promise in evaluate() has no time limit.
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        try:
            question = page.wait_for_selector(".iso20k-question", timeout=60_000)
        except Exception:
            outputs = page.eval_on_selector_all(".jp-OutputArea", "els => els.map(e => e.innerText)")
            page.screenshot(path=str(db.parent.parent / "failure.png"))
            raise AssertionError(f"no question rendered; cell outputs: {outputs}")
        assert prompt in question.inner_text()
        question.query_selector("input[type=radio][value=c]").click()  # options are shuffled: pick by id
        page.get_by_role("button", name=check).click()
        page.wait_for_selector(f".iso20k-question [role=status]:has-text('{verdict}')", timeout=30_000)
        page.wait_for_timeout(500)  # let the kernel finish writing before the server stops
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT learner_id, question_id, correct, language FROM answers").fetchall()
    assert rows == [("E321", "start/welcome/q01", 1, language)]
