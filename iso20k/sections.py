"""Links from a question to the lesson section that teaches it."""

from __future__ import annotations

import re

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKS = re.compile(r"[*_`]+")


def heading_text(markdown_heading: str) -> str:
    """What a reader sees of a Markdown heading line (``## **Why** it matters`` -> ``Why it matters``)."""
    text = re.sub(r"^#+\s*", "", markdown_heading.strip())
    text = _LINK.sub(r"\1", text)
    return _MARKS.sub("", text).strip()


def heading_anchor(heading: str) -> str:
    """The anchor JupyterLab gives a rendered heading: its text with spaces as hyphens."""
    return heading_text(heading).replace(" ", "-")
