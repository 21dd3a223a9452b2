"""The learner's and the manager's texts: one gettext catalogue (English message ids, zh_CN
translations) that matches the code, translated in full, compiled for the package, and shown the
same way by every face; the dashboard's HTML from autoescaped Jinja2 templates."""

from __future__ import annotations

import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest

from iso20k import texts
from iso20k.texts import catalogue, pt, t

FACES = ("dashboard", "widgets", "learner")
CJK = re.compile(r"[\u4e00-\u9fff]")
FULL_WIDTH = re.compile(r"[\u3000-\u303f\uff00-\uffef]")


def keys(messages) -> set[tuple[str | None, str]]:
    return {(m.context, m.id) for m in messages if m.id}


def fields(text: str) -> list[str]:
    """The ``{name}`` / ``{name:spec}`` fields of a text, in order."""
    return sorted(f"{name}:{spec}" for _, name, spec, _ in string.Formatter().parse(text) if name is not None)


@pytest.fixture(scope="module")
def template():
    return catalogue.read(catalogue.TEMPLATE)


@pytest.fixture(scope="module")
def chinese():
    return catalogue.read(catalogue.po_file("zh_CN"))


def test_the_catalogue_matches_the_code(template, chinese):
    """Extracting the texts from the code finds exactly the template's messages (no new text
    left out, none left over), and the Chinese catalogue holds exactly those."""
    found = keys(catalogue.extract())
    listed = keys(template)
    assert found - listed == set(), "texts in the code missing from the catalogue: run " \
                                    "`python -m iso20k.texts.catalogue update` and translate them"
    assert listed - found == set(), "texts in the catalogue no longer in the code: run the update"
    assert keys(chinese) == listed
    assert len(listed) > 100  # the dashboard's, the widgets' and My training's texts


def test_every_message_has_a_chinese_translation(chinese):
    untranslated = [m.id for m in chinese if m.id and not (m.string or "").strip()]
    fuzzy = [m.id for m in chinese if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []
    for m in chinese:
        if m.id:
            # the same {fields} in both languages, and Chinese text (or, around figures only,
            # Chinese full-width punctuation) in the Chinese catalogue
            assert fields(m.string) == fields(m.id), m.id
            assert CJK.search(m.string) or FULL_WIDTH.search(m.string), m.id


def test_the_package_reads_the_catalogue():
    assert t("Check answer", "zh") == "提交答案" and t("Check answer", "en") == "Check answer"
    assert t("{done} of {total} questions answered correctly", "zh", done=3, total=5) == "已答对 3 / 5 题"
    assert t("Check answer", "fr") == "Check answer"  # any other language: the English source
    # one English text, two translations: the context decides
    assert (t("Track", "zh"), pt("certificates table", "Track", "zh")) == ("培训课程", "课程")


def test_every_code_shown_as_text_has_its_text():
    from iso20k.results.status import STATUSES
    from iso20k.roster.roles import ROLE_TRACKS
    from iso20k.tracks import TRACK_TITLES, TRACKS, track_title

    assert set(texts.STATUS_TEXTS) == set(STATUSES)
    assert set(texts.ROLE_TEXTS) == set(ROLE_TRACKS)
    for track in TRACKS:
        assert TRACK_TITLES[track] == {"en": track_title(track, "en"), "zh": track_title(track, "zh")}
        assert CJK.search(track_title(track, "zh", short=True))
    assert texts.role_label("contractor", "zh") == "contractor"  # a role the course does not know


def test_the_faces_hold_no_translations_of_their_own():
    """Every Chinese text of the dashboard, the widgets and My training comes from the catalogue."""
    package = Path(texts.__file__).resolve().parent.parent
    for face in FACES:
        for path in (package / face).rglob("*.py"):
            code = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                             if not line.lstrip().startswith(("#", '"""', "raise")) and '"""' not in line)
            assert not CJK.search(code), f"{path}: a Chinese text outside the catalogue"
        for path in (package / face).rglob("*.html"):
            assert not CJK.search(path.read_text(encoding="utf-8")), path


def test_templates_escape_what_they_are_given():
    from iso20k.dashboard.app import page
    from iso20k.dashboard.tables import download_link, html_table

    hostile = "<script>alert('x')</script> & Co"
    shown = page().people("zh", 7, hostile, False, 1, html_table(["姓名"], [[hostile]], "people", 7),
                          download_link(["姓名"], [[hostile]], f"{hostile}.csv", "下载", "people"))
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "&amp; Co" in shown
    assert shown.startswith('<h3 class="iso20k-people" data-version="7" data-count="1">')
    assert "员工名单" in shown  # "Employees of {department}" in Chinese
    # The empty dashboard's text carries the catalogue's own markup, shown as markup.
    assert "<code>iso20k demo</code>" in page().empty("zh", 1)


def test_the_verification_page_shows_both_languages_and_escapes():
    from iso20k.certificates.verify import Verification
    from iso20k.certificates.web import page

    shown = page(Verification("<b>X</b>", False, "no such certificate"))
    assert 'Not genuine · <span lang="zh-Hans">证书无法验证</span>' in shown and "&lt;b&gt;X&lt;/b&gt;" in shown and "<b>X" not in shown
    assert shown.startswith("<!doctype html><html lang=\"en\">") and "证书验证</title>" in shown


@pytest.mark.slow
def test_an_editable_install_compiles_the_catalogue_into_the_checkout(tmp_path):
    """``pip install -e .`` runs the build hook: the .mo appears next to the .po and is what the
    .po compiles to (a wheel carries it too: test_wheel_install)."""
    from wheel_build import LEFT_OUT, REPO, clean_environment

    checkout, venv = tmp_path / "checkout", tmp_path / "venv"
    shutil.copytree(REPO, checkout,
                    ignore=lambda d, names: {*LEFT_OUT(d, names), *(n for n in names if n.endswith(".mo"))})
    mo = catalogue.mo_file("zh_CN", checkout / "iso20k" / "texts")
    assert not mo.exists()
    env = clean_environment()
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, env=env)
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "-e",
                           str(checkout)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert mo.is_file() and mo.read_bytes() == catalogue.compiled(catalogue.po_file("zh_CN"))
    shown = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import iso20k.texts as x; print(x.__file__); print(x.t('Check answer', 'zh'))"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert shown.stdout.split() == [str(checkout / "iso20k" / "texts" / "__init__.py"), "提交答案"], shown.stderr
