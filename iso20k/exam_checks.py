"""Checks that run inside an assessment notebook.  Learners type letters; these helpers accept
what people really type (lower case, full-width letters from a Chinese keyboard, spaces or commas
between letters) and explain format mistakes in both languages without revealing any answer."""

from __future__ import annotations

import unicodedata


def normalise(value: object) -> str:
    """Upper-case letters only: ' b ' -> 'B', 'Ｃ，Ａ，Ｂ' -> 'CAB'."""
    text = unicodedata.normalize("NFKC", str(value if value is not None else ""))
    return "".join(ch for ch in text.upper() if "A" <= ch <= "Z")


def check_letter(value: object, number: int, letters: str = "ABCD") -> None:
    """Fail with a friendly message unless ``value`` is exactly one of ``letters``."""
    answer = normalise(value)
    if len(answer) != 1 or answer not in letters:
        choices = ", ".join(letters)
        raise AssertionError(
            f"Question {number}: type one letter ({choices}) between the quotes, e.g. \"{letters[0]}\".\n"
            f"第 {number} 题：请在引号中输入一个字母（{'、'.join(letters)}），例如 \"{letters[0]}\"。")


def check_order(value: object, number: int, letters: str) -> None:
    """Fail with a friendly message unless ``value`` uses every one of ``letters`` exactly once."""
    answer = normalise(value)
    if sorted(answer) != sorted(letters):
        raise AssertionError(
            f"Question {number}: type all the letters {', '.join(letters)}, each once, in your order, e.g. \"{letters}\".\n"
            f"第 {number} 题：请按您认为的顺序输入全部字母 {'、'.join(letters)}（每个一次），例如 \"{letters}\"。")


def assert_key(value: object, key: str) -> None:
    """The hidden test: right or not, with no detail either way."""
    if normalise(value) != key:
        raise AssertionError("Not correct. · 答案不正确。")


#: Written beside the learner's exam notebook when they fetch it (what the banner shows; the
#: grader never reads it: the start it counts from is the one recorded at the fetch).
TIME_LIMIT_FILE = "time-limit.json"


def show_time_left(folder: str = ".") -> None:
    """Show the time left to hand in, in both languages, counting down in the page; nothing when
    this assessment has no time limit file (a notebook not fetched, or the grader)."""
    import datetime
    import json
    import os

    try:
        with open(os.path.join(folder, TIME_LIMIT_FILE), encoding="utf-8") as fh:
            limit = json.load(fh)
        deadline = datetime.datetime.fromisoformat(limit["deadline"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    now = datetime.datetime.now(datetime.timezone.utc)
    minutes = max(0, int((deadline - now).total_seconds() // 60))
    local = deadline.astimezone().strftime("%H:%M")
    try:
        from IPython.display import HTML, display
    except ImportError:
        print(f"Time left: {minutes} min (hand in by {local}). · 剩余时间：{minutes} 分钟（请在 {local} 前提交）。")
        return
    stamp = int(deadline.timestamp() * 1000)
    # each language in its own lang (the page around is lang="en"); the page counts the minutes down
    left = f'<span class="iso20k-minutes-left">{minutes}</span>'
    display(HTML(
        f'<div class="iso20k-time-left" role="timer" aria-live="off" data-deadline="{stamp}" '
        f'style="font-weight:bold;padding:6px;border:2px solid #b45309">'
        f'<span lang="en">Time left: {left} min (hand in by {local}).</span> · '
        f'<span lang="zh-Hans">剩余时间：{left} 分钟（请在 {local} 前提交）。</span></div>'
        "<script>(function(){var el=document.currentScript.previousElementSibling;"
        "function tick(){var left=Math.max(0,Math.floor((+el.dataset.deadline-Date.now())/60000));"
        "el.querySelectorAll('.iso20k-minutes-left').forEach(function(m){m.textContent=left;});"
        "if(left>0)setTimeout(tick,15000);}tick();})();</script>"))
