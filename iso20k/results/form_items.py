"""Which exam items a learner's graded form held, read from the notebook the grader wrote.

With per-learner forms (``ISO20K_EXAM_FORMS``) the gradebook's cells are slots (``s01-test``):
which pool item stood in a slot differs from learner to learner.  The grader (nbgrader's autograde
with the course's configuration, or ``iso20k autograde``) draws the learner's form again from the
keyed pool and records it in the autograded notebook's metadata (``iso20k_form``: slot -> item);
it never takes the learner's claim.  The clause table reads that record here."""

from __future__ import annotations

import json
from pathlib import Path

FORM_METADATA = "iso20k_form"

_CACHE: dict[str, tuple[int, dict[str, str] | None]] = {}


def form_slots(course_root: Path, student: str, assignment: str) -> dict[str, str] | None:
    """Slot -> pool item id of ``student``'s graded form of ``assignment``, or None when the
    submission has no form (the exam file's items, cells named by item id).  Read once per
    version of the autograded notebook."""
    folder = Path(course_root) / "autograded" / student / assignment
    slots: dict[str, str] | None = None
    for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else ():
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            continue
        cached = _CACHE.get(str(path))
        if cached is None or cached[0] != stamp:
            cached = (stamp, _read_slots(path))
            _CACHE[str(path)] = cached
        if cached[1] is not None:
            slots = {**(slots or {}), **cached[1]}
    return slots


def _read_slots(path: Path) -> dict[str, str] | None:
    try:
        form = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get(FORM_METADATA)
    except (OSError, ValueError):
        return None
    if not isinstance(form, dict) or not isinstance(form.get("slots"), list):
        return None
    return {str(s["slot"]): str(s["item"]) for s in form["slots"] if isinstance(s, dict) and "slot" in s and "item" in s}
