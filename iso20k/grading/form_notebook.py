"""The learner's form in their exam notebook: the fetch writes each slot's question and the form
(item ids, option orders, attempt) into the notebook; the grader writes the same questions back
from the keyed pool, so feedback and formgrader show the learner's own questions."""

from __future__ import annotations

import json
from pathlib import Path

from .exam_model import Item
from .forms import Form, shown_item
from .item_pool import Pool
from .source_notebook import _question_markdown

#: The notebook metadata key of the learner's form (informative only: the grader draws it again).
FORM_METADATA = "iso20k_form"
#: The learners' copy of the pool (no keys) the fetch draws forms from, in the release folder.
RELEASED_POOL = "form-pool.json"


def slot_texts(form: Form, pool: Pool) -> dict[str, str]:
    """grade id of each slot's question cell -> its Markdown as the learner's form shows it."""
    return {f"{slot.name}-text": _question_markdown(number, shown_item(pool, slot))
            for number, slot in enumerate(form.slots, 1)}


def apply_form(nb: dict, form: Form, pool: Pool, sitting: dict) -> dict:
    """Put ``form``'s questions into the release notebook ``nb`` (as JSON), with nbgrader's
    checksums of the changed cells, and record the form and the sitting in its metadata."""
    from nbformat import from_dict
    from nbgrader.utils import compute_checksum

    texts = slot_texts(form, pool)
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if meta.get("grade_id") in texts:
            cell["source"] = texts[meta["grade_id"]]
            if "checksum" in meta:
                meta["checksum"] = compute_checksum(from_dict(cell))
    nb.setdefault("metadata", {})[FORM_METADATA] = {**form.as_dict(), **sitting}
    return nb


def released_pool(pool: Pool) -> dict:
    """What learners may have of the pool: the blueprint and every item without key or explanation."""
    items = [item.model_dump(mode="json", exclude={"answer", "explanation"}, exclude_none=True)
             for item in pool.items.values()]
    return {"exam": pool.exam.model_dump(mode="json", include={"assignment", "title", "minutes", "blueprint"}),
            "digest": pool.digest(), "items": items}


def read_released_pool(path: Path) -> Pool:
    """The learners' copy of the pool (keys withheld) as a :class:`Pool` to draw and render forms."""
    from .blueprint import Blueprint
    from .exam_model import Exam

    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    exam_raw = raw["exam"]
    blueprint = Blueprint.model_validate(exam_raw["blueprint"])
    exam = Exam.model_construct(assignment=exam_raw["assignment"], title=exam_raw["title"],
                                minutes=exam_raw["minutes"], items=[], blueprint=blueprint)
    pool = Pool(exam)
    from ..banks.model import Text

    for entry in raw["items"]:
        fields = dict(entry)
        fields["prompt"] = Text.model_validate(fields["prompt"])
        fields["options"] = [Text.model_validate(o) for o in fields.get("options", [])]
        if fields.get("scenario"):
            fields["scenario"] = Text.model_validate(fields["scenario"])
        pool.items[entry["id"]] = Item.model_construct(**fields)
    if pool.digest() != raw["digest"]:
        raise ValueError(f"{path}: the released pool does not match its fingerprint; release it again")
    return pool


#: The graders' copy of each form assessment's pool (with keys), in the course folder, beside source/.
KEYED_FOLDER = "forms"


def keyed_pool_path(course_root: Path, assignment: str) -> Path:
    return Path(course_root) / KEYED_FOLDER / f"{assignment}.json"


def keyed_pool(pool: Pool) -> dict:
    return {"exam": pool.exam.model_dump(mode="json", exclude_none=True), "digest": pool.digest(),
            "items": [item.model_dump(mode="json", exclude_none=True) for item in pool.items.values()]}


_KEYED: dict[tuple, Pool] = {}


def read_keyed_pool(course_root: Path, assignment: str) -> Pool | None:
    """The keyed pool of ``assignment`` as built into the course (None: not a form assessment);
    read once per process and file version."""
    from .exam_model import Exam

    path = keyed_pool_path(course_root, assignment)
    if not path.exists():
        return None
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _KEYED:
        raw = json.loads(path.read_text(encoding="utf-8"))
        pool = Pool(Exam.model_validate(raw["exam"]))
        for entry in raw["items"]:
            pool.items[entry["id"]] = Item.model_validate(entry)
        _KEYED[key] = pool
    return _KEYED[key]
