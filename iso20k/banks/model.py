"""What a question bank contains, as typed objects.

A bank is one YAML file per module, ``assessments/<track>/<module>.yaml``::

    track: all-staff
    module: roadmap
    title: {en: The certification roadmap, zh: 认证路线图}
    questions:
      - id: q01
        type: single            # single | multiple | true_false | ordering | matching | scenario
        clauses: ["9.2"]
        prompt: {en: ..., zh: ...}
        options:
          - {id: a, en: ..., zh: ...}
        answer: a
        explanation: {en: ..., zh: ...}

See docs/question-banks.md for every type's ``answer`` shape.

Learners' copies of the banks (``keys: withheld``, made by :mod:`iso20k.banks.public`) carry
no ``answer`` and no ``explanation``: those are read only where answers are judged (the records
service on a hub; the learner's own process on one machine).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

QUESTION_TYPES = ("single", "multiple", "true_false", "ordering", "matching", "scenario")
QuestionType = Literal["single", "multiple", "true_false", "ordering", "matching", "scenario"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A piece of learner-facing text in both languages."""

    en: str
    zh: str

    @field_validator("en", "zh")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("text is empty")
        return value.strip()

    def get(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


class Option(Text):
    """A choice, an item to order or match, or a matching category."""

    id: str = Field(min_length=1)


class Question(_Strict):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    type: QuestionType
    clauses: list[str] = Field(min_length=1)
    prompt: Text
    scenario: Text | None = None
    options: list[Option] = Field(default_factory=list)
    categories: list[Option] = Field(default_factory=list)
    answer: Any = None  # None only in a bank with keys withheld
    explanation: Text | None = None
    # Filled in from the bank file, never written per question.
    track: str = ""
    module: str = ""

    @property
    def full_id(self) -> str:
        return f"{self.track}/{self.module}/{self.id}"

    @property
    def module_key(self) -> str:
        return f"{self.track}/{self.module}"

    @property
    def keyed(self) -> bool:
        """Whether this copy of the question carries its answer (and explanation)."""
        return self.answer is not None

    def option(self, option_id: str) -> Option:
        for opt in self.options:
            if opt.id == option_id:
                return opt
        raise KeyError(option_id)

    def is_correct(self, response: Any) -> bool:
        """Whether ``response`` (in the shape of ``answer``) is right."""
        if self.type == "multiple":
            return isinstance(response, (list, tuple, set)) and set(response) == set(self.answer)
        if self.type == "ordering":
            return list(response or []) == list(self.answer)
        if self.type == "matching":
            return isinstance(response, dict) and dict(response) == dict(self.answer)
        return response == self.answer


class Bank(_Strict):
    track: str
    module: str
    title: Text
    #: ``withheld`` in the learners' copy: no answers, no explanations.
    keys: Literal["withheld"] | None = None
    questions: list[Question] = Field(min_length=1)

    @property
    def module_key(self) -> str:
        return f"{self.track}/{self.module}"
