"""Keep nbgrader's student list in step with the roster."""

from __future__ import annotations


from ..roster import roster
from ..store import ProgressStore
from .environment import open_gradebook


def split_name(name: str) -> tuple[str, str]:
    """(first, last) for nbgrader: 'Alice Wong' -> ('Alice', 'Wong'); Chinese '王小明' -> ('小明', '王')."""
    name = name.strip()
    if " " in name:
        first, _, last = name.rpartition(" ")
        return first, last
    if name and all("\u4e00" <= ch <= "\u9fff" for ch in name) and len(name) >= 2:
        return name[1:], name[0]  # Chinese names: family name first
    return name, ""


def sync_students(store: ProgressStore | list[dict], db_url: str) -> tuple[int, int]:
    """Add or update every active roster employee as an nbgrader student (from the store, or the
    list of people the trail writer gave).  Returns (added, updated)."""
    added = updated = 0
    people = store if isinstance(store, list) else roster(store)
    with open_gradebook(db_url) as gb:
        existing = {s.id for s in gb.students}
        for person in people:
            first, last = split_name(person["name"])
            gb.update_or_create_student(person["employee_id"], first_name=first, last_name=last,
                                        email=person["email"] or None)
            if person["employee_id"] in existing:
                updated += 1
            else:
                added += 1
    return added, updated
