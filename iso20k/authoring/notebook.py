"""Turn a parsed module source into a learner notebook (no outputs, minimal metadata)."""

from __future__ import annotations

import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ..texts import N_, html_lang, t
from ..tracks import track_title
from ..sections import heading_text
from .diagrams import img_tag
from .source import Code, Diagram, Markdown, ModuleSource, Quiz, Toc

#: Code cells show their output (questions, progress) but not their Python source: learners
#: are not programmers.  ``jupyter.source_hidden`` is JupyterLab's own "collapse input" state,
#: saved in the notebook; nothing needs installing for it.
HIDDEN_SOURCE = {"jupyter": {"source_hidden": True}, "editable": False, "deletable": False}

#: Text cells are read-only: a double click shows no Markdown editor (with the learner
#: JupyterLab's ``showEditorForReadOnlyMarkdown`` off, :mod:`iso20k.lab_settings`).
READ_ONLY_TEXT = {"editable": False, "deletable": False}

#: ``iso20k.lesson`` marks the notebook for the course's JupyterLab extension (``iso20k-lessons``,
#: see :mod:`iso20k.lab_settings`): code cells fully hidden, no Validate button, the questions
#: shown as soon as the kernel is ready, without *Run All* and without leaving the lesson's start.
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
METADATA = {**NOTEBOOK_METADATA, "iso20k": {"lesson": True}}

#: The name of each language's version of a lesson, written in that language (the link to it).
VERSION_NAMES = {"en": N_("English version"), "zh": N_("Chinese version")}


def _cell_id(source: ModuleSource, index: int) -> str:
    return f"{source.module}-{source.language}-{index:02d}"[:64]


def build_notebook(source: ModuleSource, next_module: tuple[str, str] | None = None,
                   toc: str = "") -> nbformat.NotebookNode:
    """The notebook for ``source``.  ``next_module`` is (title, file name) of the following module."""
    lang = source.language
    cells = []
    if source.meta.get("bilingual"):  # the start page: both languages on one page
        cells.extend(_body_cells(source, toc))
    else:
        other = "zh" if lang == "en" else "en"
        module = t("Module", lang)
        minutes = t("about {n} minutes", lang, n=source.meta.get("minutes", 15))
        start = t("[Start page](../START_HERE.ipynb)", lang)
        how = t("The questions appear in the lesson by themselves a few seconds after it opens. Answer each one and "
                "press **Check answer**; your answers are saved automatically, and a question shows your last answer "
                "when you come back. A wrong answer links back to the part of the lesson that explains it.", lang)
        header = (f"# {source.meta['title']}\n\n*{track_title(source.track, lang)} · {module} {source.order} · "
                  f"{minutes}* · [<span lang=\"{html_lang(other)}\">{t(VERSION_NAMES[other], other)}</span>]"
                  f"({source.stem}.{other}.ipynb) · {start}\n\n{how}")
        cells.append(new_markdown_cell(header))
        setup = t("# Loads the quizzes and shows your progress.", lang)
        cells.append(_code(f"{setup}\nfrom iso20k import progress, quiz, set_language\n\n"
                           f"set_language(\"{lang}\")\nprogress(\"{source.module_key}\")"))
        cells.extend(_body_cells(source, toc, sections=True))
        cells.append(new_markdown_cell(t("## Your progress in this module", lang)))
        cells.append(_code(f"progress(\"{source.module_key}\")"))
        if next_module:
            cells.append(new_markdown_cell(t("**Next:** [{title}]({file})", lang, title=next_module[0],
                                             file=next_module[1])))
        else:
            cells.append(new_markdown_cell(t("**You have reached the end of this track.** Go back to the "
                                             "[start page](../START_HERE.ipynb).", lang)))
    if not source.meta.get("bilingual"):
        for cell in cells:
            if cell.cell_type == "markdown":
                cell.source = in_language(cell.source, lang)
    nb = new_notebook(cells=cells, metadata=json.loads(json.dumps(METADATA)))
    for index, cell in enumerate(nb.cells):
        cell["id"] = _cell_id(source, index)
        if cell.cell_type == "markdown":
            cell.metadata.update(READ_ONLY_TEXT)
    return nb


def in_language(markdown: str, language: str) -> str:
    """``markdown`` inside ``<div lang="...">``: the browser then draws Chinese with Simplified
    Chinese glyphs whatever JupyterLab's own language (its sanitizer keeps ``lang``).  The blank
    lines around it keep the Markdown inside a Markdown block (CommonMark's HTML block ends there)."""
    return f'<div lang="{html_lang(language)}">\n\n{markdown}\n\n</div>'


def _code(source: str):
    # JupyterLab shows a hidden cell's first line next to its "..." button: keep it empty.
    cell = new_code_cell("\n" + source)
    cell.metadata.update(json.loads(json.dumps(HIDDEN_SOURCE)))
    return cell


def _body_cells(source: ModuleSource, toc: str, sections: bool = False) -> list:
    """The cells of the source's blocks.  With ``sections``, each question is told the heading
    of the section it stands in (the lesson part that teaches it), for its feedback link."""
    cells = []
    heading = None
    for block in source.blocks:
        if isinstance(block, Markdown):
            cells.append(new_markdown_cell(block.text))
            for line in block.text.splitlines():
                if line.startswith(("## ", "### ")):
                    heading = heading_text(line)
        elif isinstance(block, Quiz):
            if sections and heading:
                cells.append(_code(f"quiz({json.dumps(block.question_id)}, section={json.dumps(heading, ensure_ascii=False)})"))
            else:
                cells.append(_code(f"quiz({json.dumps(block.question_id)})"))
        elif isinstance(block, Diagram):
            cells.append(new_markdown_cell(img_tag(block.spec, source.language)))
        elif isinstance(block, Code):
            cells.append(_code(block.source))
        elif isinstance(block, Toc):
            cells.append(new_markdown_cell(toc))
    return cells


def dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=4) + "\n"
