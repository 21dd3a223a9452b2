"""Find and cut delimited regions (hidden tests, mark schemes) in cell sources."""

from __future__ import annotations

HIDDEN = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MARK_SCHEME = ("BEGIN MARK SCHEME", "END MARK SCHEME")


def split_region(source: str, delimiters: tuple[str, str]) -> tuple[str, list[str]]:
    """``source`` without the delimited regions, and the lines that were inside them."""
    begin, end = delimiters
    kept, removed, inside = [], [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            removed.append(line)
        else:
            kept.append(line)
    return "\n".join(kept).rstrip(), removed
