"""What a quiz widget may ask of the records: the answer's verdict, attempts, progress, language."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any


class RecordsError(RuntimeError):
    """The records could not be reached or refused the request (the message says why)."""


@dataclass(frozen=True)
class Verdict:
    """The records' judgement of one answer, after it was stored."""

    learner_id: str
    question_id: str
    correct: bool
    attempt: int
    module_completed: bool  # this answer completed the module just now
    #: Why the answer is right, ``{"en": ..., "zh": ...}``: shown only after answering, and known
    #: only to the records (learners' banks carry no explanations).
    explanation: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Verdict":
        explanation = data.get("explanation")
        if not (isinstance(explanation, dict) and all(isinstance(explanation.get(k), str) for k in ("en", "zh"))):
            explanation = None
        return cls(learner_id=str(data["learner_id"]), question_id=str(data["question_id"]),
                   correct=bool(data["correct"]), attempt=int(data["attempt"]),
                   module_completed=bool(data["module_completed"]),
                   explanation=None if explanation is None else {"en": explanation["en"], "zh": explanation["zh"]})


@dataclass(frozen=True)
class LastAnswer:
    """The learner's newest stored answer to one question, as a question shows it again after a
    reload or a new kernel: the response, its verdict, the attempts so far and the explanation."""

    question_id: str
    response: Any
    correct: bool
    attempt: int  # the answer's attempt number: how many answers to the question are stored
    explanation: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LastAnswer":
        explanation = data.get("explanation")
        if not (isinstance(explanation, dict) and all(isinstance(explanation.get(k), str) for k in ("en", "zh"))):
            explanation = None
        return cls(question_id=str(data["question_id"]), response=data.get("response"),
                   correct=bool(data["correct"]), attempt=int(data["attempt"]),
                   explanation=None if explanation is None else {"en": explanation["en"], "zh": explanation["zh"]})


class Records(ABC):
    """One learner's records, as seen from their kernel.  Who the learner is was settled when
    the records were opened (the operating-system or configured id locally; the hub's word
    behind the records service) and cannot be changed through this interface."""

    learner_id: str

    @abstractmethod
    def answer(self, question_id: str, response: Any, language: str) -> Verdict:
        """Judge ``response`` to ``question_id``, store it, and say whether it was right."""

    @abstractmethod
    def start_order(self, question_id: str) -> list[str]:
        """The order an ordering question starts in for the learner: their own shuffle, never
        already solved (only the records know the solution)."""

    @abstractmethod
    def attempts(self, question_id: str) -> int:
        """How many answers to this question are stored for the learner."""

    @abstractmethod
    def last_answer(self, question_id: str) -> LastAnswer | None:
        """The learner's newest stored answer to this question with its verdict and explanation
        (``None`` before the first), so a question shows it again after a reload."""

    @abstractmethod
    def correct_question_ids(self, track: str, module: str) -> set[str]:
        """Full ids of the module's questions the learner has answered correctly."""

    @abstractmethod
    def completed_modules(self) -> set[str]:
        """``track/module`` keys the learner has completed."""

    @abstractmethod
    def training_summary(self):
        """The learner's "My training": tracks, due dates, modules, results, next step
        (:class:`iso20k.results.training.TrainingSummary`)."""

    @abstractmethod
    def language(self) -> str | None:
        """The learner's remembered language, if any."""

    @abstractmethod
    def set_language(self, language: str) -> None:
        """Remember the learner's language."""
