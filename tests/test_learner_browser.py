"""The learner's experience in real JupyterLab, in real headless Chromium, in English and Chinese:
lessons without code, quizzes answered with the keyboard alone (checked in the store), axe-core
accessibility checks, wrong-answer links to the lesson, shuffled but stable option orders, the
start page's "My training" against the store, and the learner JupyterLab settings.

The learner is an employee of a made-up demo company (real progress store and real nbgrader
gradebook, built by ``iso20k demo``'s code), so "My training" has tracks, due dates, modules and
results to show."""

from __future__ import annotations

import json
import shutil
import sqlite3
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from browser import TOKEN, chromium_page, jupyter_lab
from dashboard_world import dashboard, make_world
from iso20k.lab_settings import write_learner_lab_config
from iso20k.settings import REPO_ROOT

pytestmark = pytest.mark.slow

LESSON = "all-staff/03-roadmap"  # every question type is in it (and in every other module)
TYPES = ("single", "multiple", "true_false", "ordering", "matching", "scenario")
PRODUCT = ".jp-OutputArea-output, .jp-MarkdownOutput"  # where this product's own markup lives


# -- servers ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("learner-world")
    settings, env, _summary = make_world(base, employees=40, departments=3, autograde_count=0)
    course = base / "lab" / "course"  # a copy: JupyterLab may save notebooks it opened
    shutil.copytree(REPO_ROOT / "course", course)
    learner = _learner_with_results(settings)
    env = {**env, "ISO20K_COURSE_DIR": str(course), "ISO20K_BANKS_DIR": str(REPO_ROOT / "assessments")}
    return settings, env, course.parent, learner, base


def _learner_with_results(settings) -> str:
    """An active employee with at least two tracks, a completed module and a graded submission."""
    progress = sqlite3.connect(Path(settings.data_dir) / "progress.sqlite")
    grades = sqlite3.connect(Path(settings.course_root) / "gradebook.db")
    graded = {r[0] for r in grades.execute("SELECT student_id FROM submitted_assignment")}
    rows = progress.execute("""
        SELECT e.employee_id FROM employees e JOIN enrolments n ON n.employee_id = e.employee_id
        WHERE e.active GROUP BY e.employee_id HAVING COUNT(*) >= 2
        AND e.employee_id IN (SELECT learner_id FROM module_completions) ORDER BY e.employee_id""").fetchall()
    candidates = [r[0] for r in rows if r[0] in graded] or [r[0] for r in rows]
    assert candidates, "the demo company has nobody with two tracks and a completed module"
    return candidates[0]


@pytest.fixture(scope="module")
def lab(world):
    """JupyterLab with the learner configuration ``iso20k lab`` uses, as the demo learner."""
    settings, env, root, learner, base = world
    launch = write_learner_lab_config(base / "learner-lab-config")
    server_env = launch.environ({**env, "ISO20K_LEARNER_ID": learner})
    (base / "lab-run").mkdir()
    with jupyter_lab(root, base / "lab-run", server_env, (*launch.args, "--LabApp.expose_app_in_browser=True")) as url:
        yield url, settings, learner, base


def _open(page, base: str, path: str) -> None:
    page.goto(f"{base}/lab/tree/{path}?reset&token={TOKEN}")  # reset: only this notebook open
    page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=60_000)
    _wait_idle(page)


def _wait_idle(page) -> None:
    page.wait_for_function("""() => {
        const panel = window.jupyterapp.shell.currentWidget;
        const kernel = panel && panel.sessionContext && panel.sessionContext.session
            && panel.sessionContext.session.kernel;
        return kernel && kernel.status === "idle" && kernel.connectionStatus === "connected";
    }""", timeout=60_000)


def _questions_shown(page, count_selector: str = ".iso20k-question", minimum: int = 1) -> None:
    """Nothing to press: the questions appear by themselves (the course's JupyterLab extension,
    iso20k-lessons, runs a lesson's cells once its kernel is ready)."""
    page.wait_for_function(f"document.querySelectorAll('{count_selector} fieldset').length >= {minimum}",
                           timeout=90_000)
    page.wait_for_timeout(1000)


def _at_the_start(page) -> dict:
    """Where the lesson is scrolled to, and whether its title is in view."""
    return page.evaluate("""() => {
        const outer = window.jupyterapp.shell.currentWidget.content.node.closest('.jp-WindowedPanel-outer')
            || document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
        const title = outer.querySelector('.jp-MarkdownOutput h1');
        const view = outer.getBoundingClientRect(), box = title.getBoundingClientRect();
        return {scrollTop: outer.scrollTop, titleInView: box.top >= view.top && box.bottom <= view.bottom};
    }""")


def _questions(page) -> list[dict]:
    """Each question on the page: its id (from the hidden cell's source), type and option order."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.jp-CodeCell')).map(cell => {
        const widget = window.jupyterapp.shell.currentWidget.content.widgets.find(w => w.node === cell);
        if (!widget) return null;
        const source = widget.model.sharedModel.getSource();
        const m = source.match(/quiz\\("([^"]+)"/);
        const area = cell.querySelector('.iso20k-answer');
        if (!m || !area) return null;
        return {id: m[1], index: Array.from(document.querySelectorAll('.iso20k-question')).indexOf(cell.querySelector('.iso20k-question')),
                order: Array.from(area.querySelectorAll('[data-option-id]:is(input, li, select)')).map(e => e.dataset.optionId)};
    }).filter(x => x)""")


def _choose_language(page, language: str) -> None:
    """Press the start page's language button (the choice is remembered for the learner)."""
    page.locator(f".widget-toggle-button:has-text('{'简体中文' if language == 'zh' else 'English'}')").click()
    page.wait_for_selector(f".iso20k-training[lang='{'zh-Hans' if language == 'zh' else 'en'}']")


def _store_rows(settings, learner: str, question_id: str) -> list[tuple]:
    with sqlite3.connect(Path(settings.data_dir) / "progress.sqlite") as db:
        return db.execute("SELECT response, correct, language FROM answers WHERE learner_id = ? AND question_id = ? "
                          "ORDER BY id", (learner, question_id)).fetchall()


# -- 1. lessons read like lessons; 6. learner settings -------------------------------------------

WORDS = {"en": {"appear": "The questions appear in the lesson by themselves", "wrong": "Not quite",
                "attempts": "Attempts"},
         "zh": {"appear": "练习题会自动显示在课文中", "wrong": "还不对", "attempts": "作答次数"}}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_lesson_shows_no_code_its_questions_at_the_start_and_the_last_answer_after_a_reload(lab, language):
    """Open a lesson and press nothing: the questions appear while the page stays at the lesson's
    start; no Python, no "•••" bar, no Validate button, a click in a question's margin folds
    nothing.  An answer is there again, with its feedback, after a reload; closing the tab shuts
    its kernel down.  The learner settings hold (no news question, no nbgrader authoring)."""
    base, _settings, _learner, _tmp = lab
    words = WORDS[language]
    with chromium_page() as page:
        _open(page, base, f"course/{LESSON}.{language}.ipynb")
        _questions_shown(page, minimum=10)
        assert _at_the_start(page) == {"scrollTop": 0, "titleInView": True}
        code = page.evaluate("""() => Array.from(document.querySelectorAll('.jp-CodeCell')).map(cell => ({
            input: !!Array.from(cell.querySelectorAll('.jp-Cell-inputWrapper, .jp-InputPlaceholder, .jp-InputArea-editor'))
                .find(e => e.offsetParent),
            collapsers: Array.from(cell.querySelectorAll('.jp-Collapser'))
                .filter(e => getComputedStyle(e).visibility !== 'hidden').length}))""")
        assert len(code) >= 12
        assert [c for c in code if c["input"] or c["collapsers"]] == []
        visible = page.inner_text(".jp-Notebook")
        for python in ("from iso20k", "import progress", "quiz(", "set_language(", "progress(\""):
            assert python not in visible
        assert words["appear"] in visible and "Run All" not in visible and "运行所有单元格" not in visible
        assert page.locator(".validate-button").count() == 0  # lessons have no nbgrader Validate
        assert "Validate" not in page.inner_text(".jp-NotebookPanel-toolbar")

        # A click in a question's left margin (where the output collapser is) folds nothing away.
        from iso20k.banks import load_catalog

        catalog = load_catalog(REPO_ROOT / "assessments")
        entry = next(e for e in _questions(page) if e["index"] >= 2 and catalog.question(e["id"]).type == "single")
        question = catalog.question(entry["id"])
        card = page.locator(f".iso20k-question >> nth={entry['index']}")
        card.scroll_into_view_if_needed()
        box = card.bounding_box()
        margin = page.evaluate("""(i) => document.querySelectorAll('.iso20k-question')[i].closest('.jp-Cell')
            .querySelector('.jp-Cell-outputCollapser').getBoundingClientRect().toJSON()""", entry["index"])
        page.mouse.click(margin["x"] + margin["width"] / 2, box["y"] + 20)
        page.wait_for_timeout(300)
        assert card.is_visible() and page.locator(".jp-OutputPlaceholder:visible").count() == 0
        # A double click on the text opens no Markdown editor.
        page.locator(".jp-MarkdownCell").nth(1).dblclick()
        assert page.locator(".jp-MarkdownCell .jp-InputArea-editor:visible").count() == 0

        # Answer wrongly, reload: the same answer is selected and its feedback shown.
        wrong = next(o for o in entry["order"] if o != question.answer)
        card.locator(f"input[value='{wrong}']").check()
        page.wait_for_timeout(400)
        counter = card.locator(".widget-html:has-text('" + words["attempts"] + "')")
        before = counter.last.text_content() if counter.count() else None
        card.locator("button.mod-primary").click()
        card.locator(f"[role=status]:has-text('{words['wrong']}')").wait_for(timeout=30_000)
        # the feedback and the count are two widget updates: wait for the count of this answer
        for _ in range(120):
            attempts = counter.last.text_content() if counter.count() else None
            if attempts is not None and attempts != before:
                break
            page.wait_for_timeout(250)
        assert attempts is not None and attempts != before, (before, attempts)
        page.reload()
        page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=60_000)
        _wait_idle(page)
        _questions_shown(page, minimum=10)
        assert _at_the_start(page) == {"scrollTop": 0, "titleInView": True}
        again = page.locator(f".iso20k-question >> nth={entry['index']}")
        assert again.locator(f"input[value='{wrong}']").is_checked()
        assert again.locator("input:checked").count() == 1
        # text_content: a cell out of view is not laid out (content-visibility), so it has no innerText
        assert words["wrong"] in again.locator("[role=status]").text_content()
        assert again.locator("a[data-iso20k-section]").count() == 1  # the link back, as before
        assert again.locator(".widget-html:has-text('" + words["attempts"] + "')").last.text_content() == attempts

        # Closing the tab shuts its kernel down (and asks nothing: the lesson is unmodified).
        kernel = page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id")
        assert kernel in _kernel_ids(base)
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon").click()
        for _ in range(60):
            if kernel not in _kernel_ids(base):
                break
            page.wait_for_timeout(250)
        assert kernel not in _kernel_ids(base)
        assert page.locator(".jp-Dialog").count() == 0

        # Learner settings: no news question, nbgrader's authoring and grading interface absent.
        assert "official Jupyter news" not in page.inner_text("body")
        commands = page.evaluate("""() => ['nbgrader:open-formgrader', 'nbgrader:open-create-assignment',
            'nbgrader:open-course-list', 'nbgrader:open-assignment-list']
            .map(c => window.jupyterapp.commands.hasCommand(c))""")
        assert commands == [False, False, False, True]  # learners keep the assignment list
        page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
        items = page.eval_on_selector_all(".lm-Menu-itemLabel", "els => els.filter(e => e.offsetParent).map(e => e.innerText)")
        assert "Assignment List" in items and not [i for i in items if "Formgrader" in i or "Course" in i]
    with pytest.raises(urllib.error.HTTPError) as served:
        urllib.request.urlopen(f"{base}/formgrader?token={TOKEN}", timeout=10)
    assert served.value.code == 404


def _kernel_ids(base: str) -> set[str]:
    with urllib.request.urlopen(f"{base}/api/kernels?token={TOKEN}", timeout=10) as reply:
        return {k["id"] for k in json.load(reply)}


def test_an_exam_keeps_validate_and_only_the_courses_own_lessons_run_by_themselves(lab):
    """Validate stays where it means something (an assessment); a notebook that claims to be a
    lesson but holds code of its own runs nothing when opened; every built notebook's code passes
    the extension's rule."""
    import nbformat

    base, _settings, _learner, tmp = lab
    root = tmp / "lab"
    (root / "exam").mkdir(exist_ok=True)
    shutil.copy(REPO_ROOT / "release" / "all-staff-exam" / "all-staff-exam.ipynb", root / "exam")
    ran = root / "ran.txt"
    fake = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"open({str(ran)!r}, 'w').write('ran')")])
    fake.metadata.update({"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                          "iso20k": {"lesson": True}})
    nbformat.write(fake, root / "claims-to-be-a-lesson.ipynb")
    sources = [c.source for p in sorted((REPO_ROOT / "course").rglob("*.ipynb"))
               for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"]
    with chromium_page() as page:
        _open(page, base, "exam/all-staff-exam.ipynb")
        page.locator(".jp-NotebookPanel-toolbar .validate-button").wait_for(timeout=30_000)
        assert page.locator(".jp-CodeCell .jp-InputArea-editor:visible").count() > 0  # an exam is not a lesson
        rule = "(sources) => sources.map(s => window._JUPYTERLAB['iso20k-lessons'].isLessonCode(s))"
        assert len(sources) > 300 and all(page.evaluate(rule, sources))
        assert page.evaluate(rule, ["import os", 'quiz("a"); import os', 'quiz(f"x")',
                                    'from iso20k import quiz; import os', 'progress("a" + "b")']) == [False] * 5
        _open(page, base, "claims-to-be-a-lesson.ipynb")
        page.wait_for_timeout(3000)
        assert page.locator(".iso20k-lesson .validate-button:visible").count() == 0
    assert not ran.exists()


def test_without_the_learner_settings_jupyterlab_asks_about_news_and_shows_formgrader(tmp_path):
    """The baseline the settings change: the same JupyterLab without them."""
    root = tmp_path / "root"
    root.mkdir()
    with jupyter_lab(root, tmp_path, {}, ("--LabApp.expose_app_in_browser=True",)) as base:
        with chromium_page() as page:
            page.goto(f"{base}/lab?token={TOKEN}")
            page.wait_for_function("window.jupyterapp && window.jupyterapp.commands.hasCommand('nbgrader:open-formgrader')",
                                   timeout=60_000)
            page.wait_for_selector("text=official Jupyter news", timeout=30_000)


# -- 2. every question type by keyboard alone, recorded in the store ------------------------------

def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _answer_by_keyboard(page, q: int, question, language: str) -> None:
    """Answer question number ``q`` on the page correctly, with the keyboard only.  The first
    control gets focus as if the learner had tabbed to it; everything after is keys."""
    scope = f".iso20k-question >> nth={q}"
    card = page.locator(scope)
    card.scroll_into_view_if_needed()
    card.locator("input, button.iso20k-move:enabled, select").first.focus()
    focus_ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring != "none", "the focused control shows no focus ring"
    # Feedback goes to a live region that is in the page before anything is announced.
    card.locator("[role=status]").evaluate("el => { el.dataset.before = 'yes'; }")
    prompt = question.prompt.get(language)
    if question.type in ("single", "scenario", "true_false"):
        group = card.get_by_role("radiogroup", name=prompt)
        assert group.count() == 1 and group.get_by_role("radio").count() == len(question.options or [1, 2])
    else:
        assert card.get_by_role("group", name=prompt).count() == 1
    answer = question.answer
    if question.type in ("single", "scenario", "true_false"):
        wanted = {True: "true", False: "false"}.get(answer, answer) if question.type == "true_false" else answer
        for _ in range(10):
            checked = card.locator("input:checked")
            if checked.count() and checked.first.get_attribute("value") == wanted:
                break
            page.keyboard.press("ArrowDown")
        else:
            raise AssertionError(f"arrow keys never reached {wanted}")
    elif question.type == "multiple":  # boxes may show the learner's last answer: tick or untick each
        for index in range(card.locator("input").count()):
            value, checked = page.evaluate("() => [document.activeElement.value, document.activeElement.checked]")
            if (value in answer) != checked:
                page.keyboard.press("Space")
            page.keyboard.press("Tab")
    elif question.type == "ordering":
        if card.locator("li").evaluate_all("els => els.map(e => e.dataset.optionId)") == list(answer):
            # shown solved (the learner's last answer): move the first step down, then solve it again
            _tab_to(page, f"button.iso20k-move[data-dir='1'][data-option-id='{answer[0]}']")
            page.keyboard.press("Enter")
            page.wait_for_timeout(150)
        for target, option_id in enumerate(answer):
            order = card.locator("li").evaluate_all("els => els.map(e => e.dataset.optionId)")
            moves = order.index(option_id) - target
            if moves <= 0:
                continue
            _tab_to(page, f"button.iso20k-move[data-dir='-1'][data-option-id='{option_id}']")
            for _ in range(moves):
                page.keyboard.press("Enter")  # focus stays on the moved step's ▲
                page.wait_for_timeout(150)
        assert card.locator("li").evaluate_all("els => els.map(e => e.dataset.optionId)") == list(answer)
        live = card.locator(".iso20k-sr-only").inner_text()
        assert live, "a move is announced to screen readers"
    elif question.type == "matching":
        for index in range(card.locator("select").count()):
            item = page.evaluate("() => document.activeElement.dataset.optionId")
            for _ in range(len(question.categories) + 1):
                if page.evaluate("() => document.activeElement.value") == answer[item]:
                    break
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Tab")
    # ipywidgets holds back a widget's newest value while its previous one is unacknowledged;
    # a person takes longer than this between the last choice and "Check answer".
    page.wait_for_timeout(400)
    attempts = card.locator(".widget-html").last  # the question may show an earlier answer's verdict
    before = attempts.text_content()
    _tab_to(page, ".iso20k-question button.mod-primary")
    page.keyboard.press("Enter")
    verdict = "回答正确" if language == "zh" else "Correct!"
    try:
        for _ in range(120):
            if attempts.text_content() != before:
                break
            page.wait_for_timeout(250)
        card.locator(f"[role=status]:has-text('{verdict}')").wait_for(timeout=30_000)
    except Exception:
        raise AssertionError(f"{question.full_id} ({question.type}) not answered right: {card.inner_text()}") from None
    assert card.locator("[role=status][aria-live=polite][data-before=yes]").count() == 1  # the same region


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_lesson_by_keyboard_alone_with_links_back_and_axe(lab, language):
    """One lesson page, as a learner uses it: every question type answered with the keyboard
    (checked in the store), a wrong answer's link back to its section, then axe-core."""
    base, settings, learner, _tmp = lab
    with chromium_page() as page:
        _open(page, base, f"course/{LESSON}.{language}.ipynb")
        _questions_shown(page, minimum=10)
        _every_type_by_keyboard(page, settings, learner, language)
        _wrong_answer_link_scrolls_to_its_section(page)
        ours, _theirs = _axe(page, f"lesson {LESSON}.{language}")
        assert ours == []


def _every_type_by_keyboard(page, settings, learner, language) -> None:
    from iso20k.banks import load_catalog

    catalog = load_catalog(REPO_ROOT / "assessments")
    shown = _questions(page)
    by_type = {}
    for entry in shown:
        by_type.setdefault(catalog.question(entry["id"]).type, entry)
    assert set(by_type) == set(TYPES)
    for qtype in TYPES:
        entry = by_type[qtype]
        question = catalog.question(entry["id"])
        before = len(_store_rows(settings, learner, question.full_id))
        _answer_by_keyboard(page, entry["index"], question, language)
        page.wait_for_timeout(300)
        rows = _store_rows(settings, learner, question.full_id)
        assert len(rows) == before + 1, qtype
        response, correct, stored_language = rows[-1]
        assert (json.loads(response), correct, stored_language) == (question.answer, 1, language), qtype


# -- 2. axe-core -------------------------------------------------------------------------------------

def _axe(page, label: str) -> tuple[list, list]:
    """axe-core's serious and critical violations, split into this product's markup (cell
    outputs and rendered lesson text) and JupyterLab's own; JupyterLab's are printed."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    ours, theirs = [], []
    for violation in results.response["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        for node in violation["nodes"]:
            inside = page.evaluate("""([target, product]) => {
                const el = document.querySelector(target);
                return !!el && !!el.closest(product) && !el.closest('.jp-InternalAnchorLink');
            }""", [node["target"][0] if isinstance(node["target"][0], str) else "", PRODUCT])
            entry = (violation["id"], violation["impact"], node["target"], node["html"][:160])
            (ours if inside else theirs).append(entry)
    print(f"\n[axe] {label}: JupyterLab's own serious/critical findings ({len(theirs)}):")
    for entry in theirs:
        print("   ", *entry)
    print(f"[axe] {label}: this product's ({len(ours)}): {ours}")
    return ours, theirs


def test_axe_finds_nothing_serious_on_the_dashboard(world):
    settings, env, _root, _learner, base = world
    with dashboard(env, base / "dashboard.log") as url:
        with chromium_page() as page:
            page.goto(url)
            page.wait_for_selector("table.iso20k-table[data-view=departments]", timeout=90_000)
            page.wait_for_timeout(1500)
            results = []
            from axe_playwright_python.sync_playwright import Axe

            for violation in Axe().run(page).response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    results.append((violation["id"], [n["target"] for n in violation["nodes"]][:5]))
            print(f"\n[axe] dashboard: {results}")
            assert results == []  # the whole page is this product's


# -- 3. from a mistake to the lesson ---------------------------------------------------------------

def _wrong_answer_link_scrolls_to_its_section(page) -> None:
    from iso20k.banks import load_catalog

    catalog = load_catalog(REPO_ROOT / "assessments")
    shown = _questions(page)
    entry = next(e for e in shown if catalog.question(e["id"]).type == "single" and e["index"] >= 4)
    question = catalog.question(entry["id"])
    card = page.locator(f".iso20k-question >> nth={entry['index']}")
    card.scroll_into_view_if_needed()
    wrong = next(o.id for o in question.options if o.id != question.answer)
    card.locator(f"input[value='{wrong}']").check()
    card.locator("button.mod-primary").click()
    link = card.locator("a[data-iso20k-section]")
    link.wait_for(timeout=30_000)
    heading_text = link.inner_text()
    # The heading the link names is the section the question's cell stands in.
    section = page.evaluate("""(index) => {
        const cell = document.querySelectorAll('.iso20k-question')[index].closest('.jp-Cell');
        let node = cell.previousElementSibling;
        while (node) {
            const hs = node.querySelectorAll('.jp-MarkdownOutput h2, .jp-MarkdownOutput h3');
            if (hs.length) return hs[hs.length - 1].innerText.replace(/¶$/, '').trim();
            node = node.previousElementSibling;
        }
        return null;
    }""", entry["index"])
    assert section == heading_text
    # Scroll the heading far away first, then follow the link.
    page.evaluate("() => document.querySelector('.jp-WindowedPanel-outer').scrollTo(0, 0)")
    link.scroll_into_view_if_needed()
    link.click()
    page.wait_for_timeout(800)
    where = page.evaluate("""() => {
        const el = document.activeElement;
        const box = el.getBoundingClientRect();
        const view = document.querySelector('.jp-WindowedPanel-outer').getBoundingClientRect();
        return {tag: el.tagName, text: el.innerText.replace(/¶$/, '').trim(), top: box.top - view.top,
                height: view.height};
    }""")
    assert where["tag"] in ("H2", "H3") and where["text"] == heading_text
    assert 0 <= where["top"] < where["height"] / 2, where  # scrolled to the top part of the view


# -- 4. shuffled options, stable per learner ---------------------------------------------------------

def _order_after_fresh_kernel(base: str, path: str, question_id: str) -> list[str]:
    """The option order a learner sees for ``question_id`` in a newly started kernel."""
    with urllib.request.urlopen(f"{base}/api/sessions?token={TOKEN}", timeout=10) as r:
        for session in json.load(r):
            req = urllib.request.Request(f"{base}/api/sessions/{session['id']}?token={TOKEN}", method="DELETE")
            urllib.request.urlopen(req, timeout=30).close()  # shuts the kernel down
    with chromium_page() as page:
        _open(page, base, path)
        _questions_shown(page, minimum=10)
        return next(e["order"] for e in _questions(page) if e["id"] == question_id)


def test_two_learners_see_different_orders_each_stable_across_restarts(world, tmp_path):
    from iso20k.widgets.shuffle import shuffled

    settings, env, root, _learner, base = world
    question_id = "all-staff/roadmap/q01"
    learners = ("E9001", "E9002")
    bank_order = ["a", "b", "c", "d"]
    expected = {lid: shuffled(bank_order, lid, question_id) for lid in learners}
    assert expected["E9001"] != expected["E9002"]
    seen = {}
    for lid in learners:
        launch = write_learner_lab_config(tmp_path / f"cfg-{lid}")
        server_env = launch.environ({**env, "ISO20K_LEARNER_ID": lid, "ISO20K_DATA_DIR": str(tmp_path / lid)})
        (tmp_path / f"run-{lid}").mkdir()
        with jupyter_lab(root, tmp_path / f"run-{lid}", server_env,
                         (*launch.args, "--LabApp.expose_app_in_browser=True")) as url:
            first = _order_after_fresh_kernel(url, f"course/{LESSON}.en.ipynb", question_id)
            again = _order_after_fresh_kernel(url, f"course/{LESSON}.zh.ipynb", question_id)
            assert first == again == expected[lid]  # after a restart, and in the other language
            seen[lid] = first
    assert seen["E9001"] != seen["E9002"]
    assert sorted(seen["E9001"]) == bank_order


# -- 5. My training ------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "zh"])
def test_start_page_my_training_shows_the_stores_figures_and_passes_axe(lab, language):
    base, settings, learner, _tmp = lab
    with chromium_page() as page:
        _open(page, base, "course/START_HERE.ipynb")
        _questions_shown(page, minimum=2)
        page.wait_for_selector(".iso20k-training table")
        _choose_language(page, language)
        ours, _theirs = _axe(page, f"start page ({language})")
        assert ours == []
        shown = page.eval_on_selector_all(".iso20k-training tbody tr", """rows => rows.map(r => ({
            track: r.dataset.track, done: +r.dataset.done, left: +r.dataset.left, total: +r.dataset.total,
            text: r.innerText}))""")
        text = page.inner_text(".iso20k-training")
    # The same figures, read with plain SQL from the store and the course folder.
    with sqlite3.connect(Path(settings.data_dir) / "progress.sqlite") as db:
        due = dict(db.execute("SELECT track, due_date FROM enrolments WHERE employee_id = ?", (learner,)).fetchall())
        done = dict(db.execute("SELECT track, COUNT(*) FROM module_completions WHERE learner_id = ? GROUP BY track",
                               (learner,)).fetchall())
    modules = {t: len(list((REPO_ROOT / "course" / t).glob("*.en.ipynb"))) for t in due}
    assert {r["track"] for r in shown} == set(due)
    for row in shown:
        track = row["track"]
        assert row["done"] == done.get(track, 0)
        assert row["total"] == modules[track]
        assert row["left"] == modules[track] - done.get(track, 0)
        if due[track]:
            assert str(due[track])[:10] in row["text"]
    assert ("我的培训" if language == "zh" else "My training") in text
    assert ("下一步" if language == "zh" else "Next step") in text
    # The assessment result, where there is one, is the gradebook's.
    with sqlite3.connect(Path(settings.course_root) / "gradebook.db") as grades:
        submitted = {r[0] for r in grades.execute(
            "SELECT a.name FROM submitted_assignment s JOIN assignment a ON a.id = s.assignment_id "
            "WHERE s.student_id = ?", (learner,))}
    from iso20k.tracks import ASSESSMENTS

    for row in shown:
        if ASSESSMENTS[row["track"]] not in submitted:
            assert ("尚未参加" if language == "zh" else "not taken yet") in row["text"]
    assert date.today()  # figures are as of today
