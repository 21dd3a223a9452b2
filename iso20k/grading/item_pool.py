"""An assessment's item pool: the choice items of its exam file and of its pool files
(``exams/pool/<assignment>/<area>.yaml``, each ``{area: <area id>, items: [...]}`` in the exam
item schema plus ``difficulty``), loaded all or nothing, and checked against the blueprint.

Every problem names the file, the item and what to do; :class:`PoolError` carries them all.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from .blueprint import DIFFICULTIES
from .exam_model import Exam, ExamError, Item, area_problem, load_exam

POOL_FOLDER = "pool"


class PoolError(ExamError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Pool:
    """The exam and every item its forms may draw, by id (exam items first, then pool files)."""

    exam: Exam
    items: dict[str, Item] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)  # item id -> file it came from

    def candidates(self, area: str, difficulty: str) -> list[str]:
        """Ids of the items of ``area`` at ``difficulty``, sorted (the order forms draw from)."""
        return sorted(i.id for i in self.items.values() if i.area == area and i.difficulty == difficulty)

    def digest(self) -> str:
        """A short fingerprint of what forms are drawn from (ids, areas, difficulties, option texts):
        a form records it, so the grader can tell a pool that changed since the learner fetched.
        Worked out once per set of items."""
        ids = tuple(self.items)
        if getattr(self, "_digest", (None,))[0] != ids:
            self._digest = (ids, self._fingerprint())
        return self._digest[1]

    def _fingerprint(self) -> str:
        text = json.dumps([(i.id, i.area, i.difficulty, [o.en for o in i.options])
                           for i in sorted(self.items.values(), key=lambda i: i.id)], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def pool_files(exams_dir: Path, assignment: str) -> list[Path]:
    return sorted((Path(exams_dir) / POOL_FOLDER / assignment).glob("*.yaml"))


def _item_problems(path: Path, raw: dict, index: int, exc: ValidationError) -> list[str]:
    item_id = raw.get("id") if isinstance(raw, dict) else None
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        out.append(f"{path}: item {item_id or '#' + str(index + 1)}{', field ' + repr(where) if where else ''}: "
                   f"{err['msg'].removeprefix('Value error, ')}")
    return out


def load_pool(exam_path: Path) -> Pool:
    """The exam at ``exam_path`` and its pool; raises :class:`PoolError` naming every problem."""
    exam_path = Path(exam_path)
    exam = load_exam(exam_path)
    pool = Pool(exam)
    problems: list[str] = []
    for item in exam.items:
        if item.kind == "choice":
            pool.items[item.id] = item
            pool.source[item.id] = str(exam_path)
    files = pool_files(exam_path.parent, exam.assignment)
    if files and exam.blueprint is None:
        raise PoolError([f"{exam_path}: pool files exist in {files[0].parent} but the exam has no 'blueprint'; "
                         "add one (see iso20k/grading/blueprint.py)"])
    for path in files:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{path}: cannot be read as YAML: {exc}")
            continue
        if not isinstance(raw, dict) or set(raw) != {"area", "items"} or not isinstance(raw.get("items"), list):
            problems.append(f"{path}: must be a mapping with exactly 'area' (the area id) and 'items' (a list)")
            continue
        area = raw["area"]
        if exam.blueprint.area(str(area)) is None:
            problems.append(f"{path}: area {area!r} is not in the blueprint of {exam_path.name} "
                            f"({', '.join(a.id for a in exam.blueprint.areas)})")
            continue
        if path.stem != area:
            problems.append(f"{path}: the file says area {area!r}; name the file {area}.yaml")
        for index, entry in enumerate(raw["items"]):
            if isinstance(entry, dict) and "area" not in entry:
                entry = {**entry, "area": area}
            try:
                item = Item.model_validate(entry)
            except ValidationError as exc:
                problems += _item_problems(path, entry, index, exc)
                continue
            where = f"{path}: item {item.id}"
            if item.kind != "choice":
                problems.append(f"{where}: pool items are choice items (kind: choice), not {item.kind}")
                continue
            if item.area != area:
                problems.append(f"{where}: says area {item.area!r} in the file of area {area!r}; move it")
                continue
            problem = area_problem(exam.blueprint, item)
            if problem:
                problems.append(f"{where}: {problem}")
                continue
            if item.id in pool.items:
                problems.append(f"{where}: id {item.id!r} is already used in {pool.source[item.id]}; ids are "
                                "unique per assignment")
                continue
            pool.items[item.id] = item
            pool.source[item.id] = str(path)
    if problems:
        raise PoolError(problems)
    return pool


def shortfalls(pool: Pool) -> list[str]:
    """Where the pool cannot fill the blueprint ``pool_factor`` times over, one line per area and
    difficulty naming what is there, what is needed and what to add."""
    blueprint = pool.exam.blueprint
    if blueprint is None:
        return []
    out = []
    for area in blueprint.areas:
        for difficulty, count in blueprint.counts(area).items():
            if not count:
                continue
            have = len(pool.candidates(area.id, difficulty))
            need = count * blueprint.pool_factor
            if have < need:
                out.append(f"{pool.exam.assignment}: area {area.id!r}, {difficulty}: {have} item(s) in the pool, "
                           f"a form draws {count}, so at least {need} are needed ({blueprint.pool_factor} times "
                           f"over); add {need - have} {difficulty} item(s) to exams/{POOL_FOLDER}/"
                           f"{pool.exam.assignment}/{area.id}.yaml")
    return out


def distinct_forms_log10(pool: Pool) -> float:
    """log10 of the number of different item selections the blueprint allows (option orders aside)."""
    blueprint = pool.exam.blueprint
    total = 0.0
    for area in blueprint.areas:
        for difficulty, count in blueprint.counts(area).items():
            have = len(pool.candidates(area.id, difficulty))
            if count and have >= count:
                total += math.log10(math.comb(have, count))
    return total


def load_pools(exams_dir: Path) -> list[Pool]:
    """Every exam of ``exams_dir`` with its pool; all problems of all exams in one PoolError."""
    pools, problems = [], []
    for path in sorted(Path(exams_dir).glob("*.yaml")):
        try:
            pools.append(load_pool(path))
        except PoolError as exc:
            problems += exc.problems
        except ExamError as exc:
            problems += str(exc).splitlines()
    if problems:
        raise PoolError(problems)
    return pools


__all__ = ["DIFFICULTIES", "Pool", "PoolError", "distinct_forms_log10", "load_pool", "load_pools", "shortfalls"]
