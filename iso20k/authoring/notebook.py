"""Turn a parsed module source into a learner notebook (no outputs, minimal metadata)."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ..tracks import TRACK_TITLES
from .diagrams import img_tag
from .source import Code, Diagram, Markdown, ModuleSource, Quiz, Toc

METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

_TEXT = {
    "module": {"en": "Module", "zh": "模块"},
    "minutes": {"en": "about {n} minutes", "zh": "约 {n} 分钟"},
    "other": {"en": "[中文版]({file})", "zh": "[English version]({file})"},
    "start": {"en": "[Start page](../START_HERE.ipynb)", "zh": "[课程首页](../START_HERE.ipynb)"},
    "how": {"en": "**How to use this page:** click the first grey code cell below and press "
                  "**Shift + Enter** to run it, then keep pressing Shift + Enter to move through the page "
                  "(or choose *Run ▸ Run All Cells*). Answer each question and press **Check answer**; "
                  "your progress is saved automatically.",
            "zh": "**使用方法：**点击下面第一个灰色代码单元格，按 **Shift + Enter** 运行，然后继续按 Shift + Enter "
                  "逐个往下浏览（或选择菜单 *Run ▸ Run All Cells*）。回答每道题后点击 **检查答案**，学习进度会自动保存。"},
    "setup": {"en": "# Run this cell first (Shift + Enter): it loads the quizzes and shows your progress.",
              "zh": "# 请先运行本单元格（Shift + Enter）：它会加载测验并显示您的学习进度。"},
    "next": {"en": "**Next:** [{title}]({file})", "zh": "**下一个模块：**[{title}]({file})"},
    "last": {"en": "**You have reached the end of this track.** Go back to the [start page](../START_HERE.ipynb).",
             "zh": "**本课程已全部学完。**返回[课程首页](../START_HERE.ipynb)。"},
    "end": {"en": "## Your progress in this module", "zh": "## 本模块学习进度"},
}


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
        track_title = TRACK_TITLES[source.track][lang]
        header = (f"# {source.meta['title']}\n\n*{track_title} · {_TEXT['module'][lang]} {source.order} · "
                  f"{_TEXT['minutes'][lang].format(n=source.meta.get('minutes', 15))}* · "
                  f"{_TEXT['other'][lang].format(file=f'{source.stem}.{other}.ipynb')} · {_TEXT['start'][lang]}\n\n"
                  f"{_TEXT['how'][lang]}")
        cells.append(new_markdown_cell(header))
        cells.append(new_code_cell(f"{_TEXT['setup'][lang]}\nfrom iso20k import progress, quiz, set_language\n\n"
                                   f"set_language(\"{lang}\")\nprogress(\"{source.module_key}\")"))
        cells.extend(_body_cells(source, toc))
        cells.append(new_markdown_cell(_TEXT["end"][lang]))
        cells.append(new_code_cell(f"progress(\"{source.module_key}\")"))
        if next_module:
            cells.append(new_markdown_cell(_TEXT["next"][lang].format(title=next_module[0], file=next_module[1])))
        else:
            cells.append(new_markdown_cell(_TEXT["last"][lang]))
    nb = new_notebook(cells=cells, metadata=dict(METADATA))
    for index, cell in enumerate(nb.cells):
        cell["id"] = _cell_id(source, index)
    return nb


def _body_cells(source: ModuleSource, toc: str) -> list:
    cells = []
    for block in source.blocks:
        if isinstance(block, Markdown):
            cells.append(new_markdown_cell(block.text))
        elif isinstance(block, Quiz):
            cells.append(new_code_cell(f"quiz(\"{block.question_id}\")"))
        elif isinstance(block, Diagram):
            cells.append(new_markdown_cell(img_tag(block.spec)))
        elif isinstance(block, Code):
            cells.append(new_code_cell(block.source))
        elif isinstance(block, Toc):
            cells.append(new_markdown_cell(toc))
    return cells


def dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=4) + "\n"
