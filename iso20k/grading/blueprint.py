"""The blueprint of an assessment (``blueprint:`` in ``exams/<assignment>.yaml``): which areas a
learner's form draws its choice items from, how many from each, at which difficulties, and which
clauses each area covers.

.. code-block:: yaml

    blueprint:
      item_points: 1          # what each drawn item is worth on a form
      pool_factor: 3          # the pool holds at least this many times what each area/difficulty draws
      difficulty: {easy: 30, medium: 50, hard: 20}   # percent of each area's draw
      areas:
        - {id: processes, weight: 40, draw: 16, clauses: ["8"]}

An item belongs to an area by its ``area`` field and must cite at least one clause the area covers
(a clause covers itself and its sub-clauses: ``8`` covers ``8.5.1``).  Order and written items of
the exam file are on every form, after the drawn items.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DIFFICULTIES = ("easy", "medium", "hard")
Difficulty = Literal["easy", "medium", "hard"]


class Area(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    weight: float = Field(gt=0, le=100, description="percent of the drawn items")
    draw: int = Field(gt=0, description="items drawn from this area for each form")
    clauses: list[str] = Field(min_length=1)

    def covers(self, clause: str) -> bool:
        return any(clause == c or clause.startswith(c + ".") for c in self.clauses)


class Blueprint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item_points: float = Field(default=1, gt=0)
    pool_factor: int = Field(default=3, ge=1)
    difficulty: dict[Difficulty, float]
    areas: list[Area] = Field(min_length=1)

    @property
    def draw(self) -> int:
        return sum(a.draw for a in self.areas)

    def area(self, area_id: str) -> Area | None:
        return next((a for a in self.areas if a.id == area_id), None)

    def counts(self, area: Area) -> dict[str, int]:
        """How many items of each difficulty ``area`` draws (largest remainder; ties go to the
        harder difficulty), so every form has the same spread."""
        total = sum(self.difficulty.values())
        exact = {d: area.draw * self.difficulty.get(d, 0) / total for d in DIFFICULTIES}
        counts = {d: int(v) for d, v in exact.items()}
        rest = sorted(DIFFICULTIES, key=lambda d: (-(exact[d] - counts[d]), -DIFFICULTIES.index(d)))
        for d in rest[:area.draw - sum(counts.values())]:
            counts[d] += 1
        return counts

    @model_validator(mode="after")
    def _consistent(self) -> "Blueprint":
        ids = [a.id for a in self.areas]
        if len(set(ids)) != len(ids):
            raise ValueError(f"blueprint: an area id is used twice ({', '.join(ids)})")
        weights = sum(a.weight for a in self.areas)
        if abs(weights - 100) > 0.01:
            raise ValueError(f"blueprint: the areas' weights add up to {weights:g}, not 100")
        for a in self.areas:
            if abs(a.draw - self.draw * a.weight / 100) >= 1:
                raise ValueError(f"blueprint: area {a.id!r} draws {a.draw} of {self.draw} items, which is not "
                                 f"its weight of {a.weight:g} %; draw {round(self.draw * a.weight / 100)}")
        if abs(sum(self.difficulty.values()) - 100) > 0.01 or any(v < 0 for v in self.difficulty.values()):
            raise ValueError(f"blueprint: the difficulty spread must be percentages adding up to 100, "
                             f"not {dict(self.difficulty)}")
        return self
