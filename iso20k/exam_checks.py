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
