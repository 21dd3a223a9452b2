"""The dashboard's list of employees: one department's, or everyone overdue in the viewer's
scope; sorted by name, department, status or due date.

Names sort as a Chinese reader expects, by pinyin, not by code point (Zhang before Li in code
points, after it in pinyin): each Chinese character is ordered by its place in GB2312, whose
3,755 common characters are laid out in pinyin order (the order of Chinese dictionaries and
rosters); Latin letters come first, case-insensitively; rarer characters after the common ones.
No collation library or system locale is needed."""

from __future__ import annotations

import unicodedata
from datetime import date

from ..results import Person
from ..results.views import View
from ..texts import N_

#: What the list can be sorted by: code -> the choice's label.
SORTS = {"name": N_("Name"), "department": N_("Department"), "status": N_("Status"),
         "due": N_("Due date")}
#: Sorting by status puts those needing action first.
STATUS_ORDER = ("overdue", "failed", "not-started", "in-progress", "modules-done", "submitted", "passed")
_LAST = date.max


def _char_key(ch: str) -> tuple:
    if ch.isascii():
        return (0, ch.casefold())
    try:
        code = ch.encode("gb2312")
    except UnicodeEncodeError:
        return (2, ch)
    return (1, code.hex()) if code[0] >= 0xB0 else (0, ch)  # 0xB0..: the hanzi; below: symbols


def name_key(text: str) -> tuple:
    """Collation key of a name or department: pinyin order for Chinese, case-insensitive Latin."""
    return tuple(_char_key(c) for c in unicodedata.normalize("NFKC", text))


def entries(view: View, status: dict[tuple[str, str], str], overdue_only: bool = False
            ) -> list[tuple[Person, dict[str, str]]]:
    """(person, track -> status) for everyone in the view (only those overdue on a shown track
    when ``overdue_only``)."""
    out = []
    for p in view.people:
        mine = {t: status[(p.employee_id, t)] for t in view.tracks if t in p.due}
        if not overdue_only or "overdue" in mine.values():
            out.append((p, mine))
    return out


def sort_entries(rows: list[tuple[Person, dict[str, str]]], by: str) -> list[tuple[Person, dict[str, str]]]:
    """``rows`` sorted by ``by`` (a key of :data:`SORTS`), then by name and employee id."""
    def name(item):
        return name_key(item[0].name), item[0].employee_id

    def worst(item):
        return min((STATUS_ORDER.index(s) for s in item[1].values()), default=len(STATUS_ORDER))

    def due(item):  # the earliest due date of a track not passed yet
        days = [item[0].due.get(t) or _LAST for t, s in item[1].items() if s != "passed"]
        return min(days, default=_LAST)

    keys = {"name": lambda i: name(i), "department": lambda i: (name_key(i[0].department), *name(i)),
            "status": lambda i: (worst(i), *name(i)), "due": lambda i: (due(i), *name(i))}
    return sorted(rows, key=keys.get(by, keys["name"]))
