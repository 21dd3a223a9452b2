"""Every piece of widget text the learner sees, in English and Simplified Chinese."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "check": {"en": "Check answer", "zh": "检查答案"},
    "correct": {"en": "Correct!", "zh": "回答正确！"},
    "incorrect": {"en": "Not quite. Read the explanation, change your answer and try again.",
                  "zh": "还不对。请阅读解析，修改答案后再试一次。"},
    "why": {"en": "Why", "zh": "解析"},
    "clauses": {"en": "ISO/IEC 20000-1:2018 reference", "zh": "ISO/IEC 20000-1:2018 条款"},
    "attempts": {"en": "Attempts", "zh": "作答次数"},
    "choose_first": {"en": "Choose an answer first, then press “Check answer”.",
                     "zh": "请先选择答案，再点击“检查答案”。"},
    "match_first": {"en": "Choose a category for every item first.", "zh": "请先为每一项选择类别。"},
    "single_hint": {"en": "Choose one answer (arrow keys move between answers).",
                    "zh": "请选择一个答案（可用方向键在选项间移动）。"},
    "multiple_hint": {"en": "Select all that apply (Space ticks a box).", "zh": "请选择所有正确的答案（多选，空格键勾选）。"},
    "true_false_hint": {"en": "True or false? (arrow keys move between the two)", "zh": "判断对错（可用方向键切换）。"},
    "ordering_hint": {"en": "Put the steps in order: use ▲ and ▼ (Tab to reach them, Enter to press).",
                      "zh": "请排列步骤顺序：使用 ▲ 和 ▼ 按钮（可用 Tab 键选中，回车键按下）。"},
    "moved": {"en": "“{item}” is now step {position} of {total}.", "zh": "“{item}”现在是第 {position} 步（共 {total} 步）。"},
    "matching_hint": {"en": "Choose the right category for each item.", "zh": "请为每一项选择正确的类别。"},
    "scenario_hint": {"en": "Read the case, then choose the best answer.", "zh": "请阅读案例，然后选择最合适的答案。"},
    "read_again": {"en": "Read this part of the lesson again:", "zh": "请重读课文的这一部分："},
    "case": {"en": "Case", "zh": "案例"},
    "true": {"en": "True", "zh": "正确"},
    "false": {"en": "False", "zh": "错误"},
    "move_up": {"en": "Move up", "zh": "上移"},
    "move_down": {"en": "Move down", "zh": "下移"},
    "choose": {"en": "— choose —", "zh": "— 请选择 —"},
    "progress": {"en": "{done} of {total} questions answered correctly",
                 "zh": "已答对 {done} / {total} 题"},
    "module_done": {"en": "Module complete — well done!", "zh": "本模块已完成，做得好！"},
    "save_failed": {"en": "Your answer could not be checked or saved ({error}). Please try again in a "
                          "moment; if it keeps happening, tell the training office.",
                    "zh": "未能检查或保存您的答案（{error}）。请稍后重试；如仍不行，请告知培训负责人。"},
    "question": {"en": "Question", "zh": "题目"},
    "language": {"en": "Language", "zh": "语言"},
    "signed_in": {"en": "Your progress is saved as: {learner}", "zh": "您的学习进度保存在账号：{learner}"},
}

LANGUAGE_NAMES = {"en": "English", "zh": "简体中文"}


def t(key: str, language: str, **values: object) -> str:
    """The text ``key`` in ``language`` with ``values`` filled in."""
    text = STRINGS[key]["zh" if language == "zh" else "en"]
    return text.format(**values) if values else text
