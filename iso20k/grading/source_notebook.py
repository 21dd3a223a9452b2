"""Write an exam as an nbgrader *source* notebook.

Answer keys appear only inside ``### BEGIN HIDDEN TESTS`` regions, which ``nbgrader
generate_assignment`` removes from the release; rubrics appear only inside ``BEGIN MARK SCHEME``
regions of task cells, which it removes too.  Learners type letters between quotes.

A written task is three cells: the task (locked), the learner's answer (plain Markdown), then the
task cell nbgrader scores, holding the rubric.  Formgrader draws a task cell's score box at the top
of that cell, so the box comes right after the answer it scores, with the rubric beside it.  The
mark-scheme markers are HTML comments (nbgrader finds them in any line) and the rubric is a
``<div class="iso20k-rubric">``: no Markdown heading, drawn as a box by the course's formgrader
template (``grading/templates/formgrade``)."""

from __future__ import annotations

import json

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ..authoring.notebook import NOTEBOOK_METADATA
from ..texts.markup import zh_block, zh_inline
from .exam_model import Exam, Item

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SCHEME_BEGIN, SCHEME_END = "<!-- BEGIN MARK SCHEME -->", "<!-- END MARK SCHEME -->"
#: The class of the rubric's box (styled in grading/templates/formgrade/index.html.j2).
RUBRIC_CLASS = "iso20k-rubric"


def _meta(grade_id: str, *, grade=False, solution=False, locked=False, task=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": task}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _pts(points: float) -> str:
    return f"{points:g}"


def header(exam: Exam, pass_mark: float) -> str:
    auto = exam.auto_points
    need = auto * pass_mark if exam.auto_points == exam.total_points else exam.total_points * pass_mark
    written = exam.total_points - auto
    parts_en = f"{exam.question_count} questions, {_pts(exam.total_points)} points"
    parts_zh = f"共 {exam.question_count} 题，{_pts(exam.total_points)} 分"
    if written:
        parts_en += f" ({_pts(written)} of them marked by your trainer)"
        parts_zh += f"（其中 {_pts(written)} 分由培训负责人人工评分）"
    return f"""# {exam.title.en}
# {zh_inline(exam.title.zh)}

**{parts_en} · about {exam.minutes} minutes · pass mark {pass_mark:.0%} ({_pts(need)} points).**
{zh_inline(f"**{parts_zh} · 约 {exam.minutes} 分钟 · 及格线 {pass_mark:.0%}（{_pts(need)} 分）。**")}

### How to answer
1. Run the first grey cell (click it, press **Shift + Enter**).
2. For each question, click the grey answer cell and type the **letter** of your answer **between the quotes**,
   for example `answer_q01 = "B"`. Upper or lower case both work. Do not delete the quotes.
   For an ordering question type all the letters in your order, e.g. `"CADB"`.
3. For a written task, double-click the box under it and write your answer in plain sentences.
4. Press **Shift + Enter** on each cell you change. The small check cell after each answer only tells
   you whether the *format* is right; it never tells you whether the answer is right.
5. Save (**Ctrl + S**). Click **Validate** in the toolbar to check that every answer is filled in.
6. Submit: open the **Assignments** tab (*Nbgrader ▸ Assignment List*) and press **Submit** next to this
   assessment. You may submit again before the deadline; the last submission counts.

<div lang="zh-Hans">

### 答题方法
1. 先运行第一个灰色单元格（点击它，按 **Shift + Enter**）。
2. 每道题点击灰色答题单元格，在**引号中间**输入答案的**字母**，例如 `answer_q01 = "B"`。大小写均可。不要删除引号。
   排序题请按您的顺序输入全部字母，例如 `"CADB"`。
3. 书面题请双击题目下方的方框，用完整的句子写出答案。
4. 修改过的单元格都要按 **Shift + Enter** 运行。每个答案后面的检查单元格只检查答案*格式*，不会告诉您答案是否正确。
5. 保存（**Ctrl + S**）。点击工具栏中的 **Validate** 检查是否所有题目都已作答。
6. 提交：打开 **Assignments** 标签页（*Nbgrader ▸ Assignment List*），点击本考核旁边的 **Submit**。截止前可以重复提交，以最后一次提交为准。

</div>
"""


#: The text of a form's question cell in the release, before the fetch puts the learner's item there.
SLOT_PLACEHOLDER = ("### {number}. (your question appears when you fetch this assessment · "
                    + zh_inline("获取本考核后显示您的题目") + ")")


def _question_markdown(number: int, item: Item) -> str:
    points = _pts(item.points)
    lines = [f"### {number}. ({points} {'point' if item.points == 1 else 'points'} · {zh_inline(points + ' 分')})"]
    if item.scenario:
        lines += ["", f"> **Case:** {item.scenario.en}", ">", f"> {zh_inline('**案例：** ' + item.scenario.zh)}"]
    lines += ["", f"**{item.prompt.en}**", "", zh_inline(f"**{item.prompt.zh}**"), ""]
    entries = item.options if item.kind == "choice" else item.steps
    for letter, text in zip(item.letters, entries):
        lines.append(f"- **{letter}.** {text.en} · {zh_inline(text.zh)}")
    if item.kind == "order":
        lines += ["", f"*Type all the letters in the right order. · {zh_inline('请按正确顺序输入全部字母。')}*"]
    return "\n".join(lines)


def written_task_cells(number: int, item: Item) -> list:
    """The task, the learner's answer, then the scored task cell with the rubric (for the grader
    only: generate_assignment removes the mark-scheme region, leaving learners the note above it).
    The box's tags share the markers' lines, so the region's own lines are the rubric's text only
    (feedback redacts any output quoting one of them)."""
    pts = _pts(item.points)
    task = (f"### {number}. Written task · {zh_inline('书面题')} ({pts} points · {zh_inline(pts + ' 分')})\n\n"
            f"{item.prompt.en.strip()}\n\n---\n\n{zh_block(item.prompt.zh)}")
    scored = (f"*Your trainer marks this written task ({pts} points). · "
              f"{zh_inline(f'本书面题由培训负责人评分（{pts} 分）。')}*\n\n"
              f"{SCHEME_BEGIN}<div class=\"{RUBRIC_CLASS}\">\n\n"
              f"**Rubric (graders only) · {zh_inline('评分标准（仅评分人可见）')}**\n\n"
              f"{item.rubric.en.strip()}\n\n{zh_block(item.rubric.zh)}\n\n</div>{SCHEME_END}")
    return [new_markdown_cell(task, metadata=_meta(f"{item.id}-text", locked=True)),
            # the learner's own cell, replaced by their answer: plain text, no markup to see when editing
            new_markdown_cell("*Double-click here and write your answer. · 双击此处，写下您的答案。*"),
            new_markdown_cell(scored, metadata=_meta(f"{item.id}-task", locked=True, task=True, points=item.points))]


def build_source_notebook(exam: Exam, pass_mark: float):
    cells = [new_markdown_cell(header(exam, pass_mark), metadata=_meta("header", locked=True)),
             new_code_cell("# Run this cell first (Shift + Enter). · 请先运行本单元格（Shift + Enter）。\n"
                           "from iso20k.exam_checks import assert_key, check_letter, check_order",
                           metadata=_meta("setup", locked=True))]
    number = 0
    if exam.blueprint is not None:
        from .forms import slot_name

        cells.append(new_code_cell("from iso20k.exam_checks import show_time_left\nshow_time_left()",
                                   metadata=_meta("time-left", locked=True)))
        for number in range(1, exam.blueprint.draw + 1):
            slot = slot_name(number)
            cells.append(new_markdown_cell(SLOT_PLACEHOLDER.format(number=number), metadata=_meta(f"{slot}-text", locked=True)))
            cells.append(new_code_cell(f'answer_{slot} = ""  # type your answer between the quotes, e.g. "A" · 在引号中输入答案'))
            cells.append(new_code_cell(
                f"# Checks the format of your answer only. · 仅检查答案格式。\ncheck_letter(answer_{slot}, {number})\n"
                f"{HIDDEN_BEGIN}\nassert_key(answer_{slot}, FORM_KEYS[{slot!r}])\n{HIDDEN_END}",
                metadata=_meta(f"{slot}-test", grade=True, locked=True, points=exam.blueprint.item_points)))
    for number, item in enumerate(exam.fixed_items, number + 1):
        if item.kind == "written":
            cells += written_task_cells(number, item)
            continue
        cells.append(new_markdown_cell(_question_markdown(number, item), metadata=_meta(f"{item.id}-text", locked=True)))
        example = item.letters[0] if item.kind == "choice" else item.letters
        # A plain cell (no nbgrader metadata): nbgrader would replace a solution cell that has
        # no solution region with "raise NotImplementedError()", which learners cannot edit.
        cells.append(new_code_cell(
            f'{item.variable} = ""  # type your answer between the quotes, e.g. "{example}" · 在引号中输入答案'))
        check = (f"check_letter({item.variable}, {number})" if item.kind == "choice"
                 else f"check_order({item.variable}, {number}, {item.letters!r})")
        cells.append(new_code_cell(
            f"# Checks the format of your answer only. · 仅检查答案格式。\n{check}\n"
            f"{HIDDEN_BEGIN}\nassert_key({item.variable}, {item.answer!r})\n{HIDDEN_END}",
            metadata=_meta(f"{item.id}-test", grade=True, locked=True, points=item.points)))
    cells.append(new_markdown_cell(
        "**End of the assessment.** Save (Ctrl + S), press **Validate**, then **Submit** in the Assignments tab.\n\n"
        + zh_inline("**考核结束**。请保存（Ctrl + S），点击 **Validate**，然后在 Assignments 标签页中点击 **Submit**。"),
        metadata=_meta("footer", locked=True)))
    # an exam is no lesson: Validate stays, nothing runs by itself (no iso20k.lesson mark)
    nb = new_notebook(cells=cells, metadata=json.loads(json.dumps(NOTEBOOK_METADATA)))
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{exam.assignment}-{index:03d}"[:64]
    return nb
