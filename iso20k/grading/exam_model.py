"""Graded assessments defined in YAML (``exams/<assignment>.yaml``) and checked on load."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..banks.model import Text
from .blueprint import Blueprint, Difficulty


class ExamError(ValueError):
    """An exam definition is not right; the message names the file, item and field."""


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    kind: Literal["choice", "order", "written"]
    points: float = Field(gt=0)
    clauses: list[str] = Field(min_length=1)
    prompt: Text
    scenario: Text | None = None
    options: list[Text] = Field(default_factory=list)
    steps: list[Text] = Field(default_factory=list)
    answer: str | None = None
    rubric: Text | None = None
    explanation: Text | None = None
    area: str | None = None
    difficulty: Difficulty | None = None

    @property
    def variable(self) -> str:
        """The answer variable of the item on a fixed form (``answer_<id>``, ``-`` as ``_``)."""
        return "answer_" + self.id.replace("-", "_")

    @property
    def letters(self) -> str:
        n = len(self.options) if self.kind == "choice" else len(self.steps)
        return string.ascii_uppercase[:n]

    @model_validator(mode="after")
    def _shape(self) -> "Item":
        if self.kind == "choice":
            if len(self.options) != 4:
                raise ValueError("a choice item needs exactly 4 options (A-D)")
            if self.answer not in tuple("ABCD"):
                raise ValueError(f"answer {self.answer!r} must be one of A, B, C, D")
        elif self.kind == "order":
            if not 3 <= len(self.steps) <= 8:
                raise ValueError("an order item needs 3 to 8 steps")
            if not self.answer or sorted(self.answer) != sorted(self.letters):
                raise ValueError(f"answer {self.answer!r} must use each of {self.letters} exactly once")
            if self.answer == self.letters:
                raise ValueError("the steps are already in order; list them shuffled")
        elif self.kind == "written":
            if self.rubric is None:
                raise ValueError("a written task needs a rubric for the grader")
            if self.answer or self.options or self.steps:
                raise ValueError("a written task has no options, steps or answer key")
        return self


class Exam(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    assignment: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: Text
    minutes: int = Field(gt=0, le=240)
    items: list[Item] = Field(min_length=1)
    blueprint: Blueprint | None = None

    @property
    def fixed_items(self) -> list[Item]:
        """The items on every form: all of them without a blueprint, else the order and written ones."""
        return [i for i in self.items if self.blueprint is None or i.kind != "choice"]

    @property
    def auto_points(self) -> float:
        drawn = self.blueprint.draw * self.blueprint.item_points if self.blueprint else 0
        return drawn + sum(i.points for i in self.fixed_items if i.kind != "written")

    @property
    def total_points(self) -> float:
        drawn = self.blueprint.draw * self.blueprint.item_points if self.blueprint else 0
        return drawn + sum(i.points for i in self.fixed_items)

    @property
    def question_count(self) -> int:
        """Questions on every learner's form."""
        return (self.blueprint.draw if self.blueprint else 0) + len(self.fixed_items)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Exam":
        seen = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"item id {item.id!r} is used twice")
            seen.add(item.id)
        if self.blueprint is not None:
            for item in self.items:
                if item.kind == "choice":
                    problem = area_problem(self.blueprint, item)
                    if problem:
                        raise ValueError(f"item {item.id!r}: {problem}")
        return self


def area_problem(blueprint: Blueprint, item: Item) -> str | None:
    """Why ``item`` cannot be drawn under ``blueprint`` (no area, unknown area, no difficulty, no
    clause of its area), or None."""
    areas = ", ".join(a.id for a in blueprint.areas)
    if item.area is None:
        return f"no 'area' (one of {areas})"
    area = blueprint.area(item.area)
    if area is None:
        return f"area {item.area!r} is not in the blueprint ({areas})"
    if item.difficulty is None:
        return "no 'difficulty' (easy, medium or hard)"
    if not any(area.covers(c) for c in item.clauses):
        return (f"none of its clauses ({', '.join(item.clauses)}) is covered by area {area.id!r} "
                f"({', '.join(area.clauses)})")
    return None


def load_exam(path: Path) -> Exam:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ExamError(f"{path}: malformed YAML: {exc}") from None
    try:
        exam = Exam.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = list(err["loc"])
            where = ""
            if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
                items = (raw or {}).get("items") or []
                item_id = items[loc[1]].get("id") if loc[1] < len(items) and isinstance(items[loc[1]], dict) else None
                where = f"item {item_id or '#' + str(loc[1] + 1)}"
                loc = loc[2:]
            field = ".".join(str(p) for p in loc)
            lines.append(f"{path}: {where}{', ' if where and field else ''}{'field ' + repr(field) if field else ''}: "
                         f"{err['msg'].removeprefix('Value error, ')}")
        raise ExamError("\n".join(lines)) from None
    if exam.assignment != path.stem:
        raise ExamError(f"{path}: the file says assignment {exam.assignment!r}; name the file {exam.assignment}.yaml")
    return exam


def load_exams(folder: Path) -> list[Exam]:
    return [load_exam(p) for p in sorted(Path(folder).glob("*.yaml"))]

