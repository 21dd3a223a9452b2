"""In real JupyterLab, in real headless Chromium: a ``quiz(...)`` cell renders in either
language, and clicking an answer stores it under the learner's id; Chinese (a lesson's Markdown
cells, the quiz and My training widgets) carries ``lang="zh-Hans"`` under JupyterLab's English
interface, so the browser draws Simplified Chinese glyphs."""

from __future__ import annotations

import shutil
import sqlite3

import nbformat
import pytest

from browser import TOKEN, chromium_page, jupyter_lab
from iso20k.settings import REPO_ROOT
from iso20k.texts import html_lang

pytestmark = pytest.mark.slow


LESSON = "all-staff/01-intro.zh.ipynb"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("lab-browser")
    root = tmp_path / "lab"
    root.mkdir()
    for language in ("en", "zh"):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            f"from iso20k import my_training, quiz, set_language\nset_language({language!r})\n"
            f"display(quiz('start/welcome/q01'))\nmy_training()")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / f"quiz_{language}.ipynb")
    shutil.copy(REPO_ROOT / "course" / LESSON, root / "lesson.zh.ipynb")
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
        page.goto(f"{base}/lab/tree/quiz_{language}.ipynb?reset&token={TOKEN}")
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
        # Each widget's text is in its language's lang, whatever the page's (JupyterLab's English).
        page.wait_for_selector(".iso20k-my-training section")
        langs = page.evaluate("""() => [document.documentElement.lang].concat(
            ['.iso20k-question legend', '.iso20k-question [role=status]', '.iso20k-question button',
             '.iso20k-my-training section h3', '.iso20k-my-training button']
            .map(s => document.querySelector(s).closest('[lang]').lang))""")
        assert langs == ["en"] + [html_lang(language)] * 5
        page.wait_for_timeout(500)  # let the kernel finish writing before the server stops
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT learner_id, question_id, correct, language FROM answers WHERE language = ?",
                            (language,)).fetchall()
    assert rows == [("E321", "start/welcome/q01", 1, language)]


def test_a_chinese_lesson_renders_as_chinese(lab):
    """Under JupyterLab's English interface (``<html lang="en">``) every Markdown cell of a Chinese
    lesson is rendered inside ``lang="zh-Hans"`` (the sanitizer keeps it, the Markdown inside still
    renders), with no Markdown left showing as text."""
    base, _db = lab
    with chromium_page() as page:
        page.goto(f"{base}/lab/tree/lesson.zh.ipynb?reset&token={TOKEN}")  # reset: only this notebook open
        page.wait_for_function("window.jupyterapp && document.querySelector('.jp-MarkdownOutput h1')", timeout=60_000)
        page.wait_for_timeout(500)
        blocks = page.evaluate("""() => Array.from(document.querySelectorAll('.jp-MarkdownOutput'))
            .map(m => m.querySelector('h1, h2, h3, p, li, img, table'))
            .filter(e => e).map(e => [e.tagName, e.closest('[lang]').lang])""")
        assert page.evaluate("document.documentElement.lang") == "en"
        assert len(blocks) >= 5 and {lang for _tag, lang in blocks} == {"zh-Hans"}, blocks
        assert {"H1", "H2", "P"} <= {tag for tag, _lang in blocks}  # Markdown inside the <div> rendered
        text = page.evaluate("window.jupyterapp.shell.currentWidget.node.innerText")
        assert "练习题会自动显示" in text and "**" not in text and "__" not in text
