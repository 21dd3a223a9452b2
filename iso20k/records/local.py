"""Records kept in the progress store by the learner's own process (the single-user default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..banks import cached_catalog
from ..store import ProgressStore
from .interface import LastAnswer, Records, Verdict
from .judge import judge_and_record, last_answer, start_order


def own_training_summary(store: ProgressStore, learner_id: str, banks_dir: Path | None = None):
    """One learner's training summary from the store and the course's gradebook (the settings')."""
    from ..results.training import training_summary
    from ..results import locate_course
    from ..settings import get_settings

    settings = get_settings()
    course = locate_course(settings)
    return training_summary(store, learner_id, cached_catalog(banks_dir), course_dir=settings.course_dir,
                            gradebook_url=course.db_url, course_root=course.root)


class LocalRecords(Records):
    """Judges in this process, so it reads the banks with the keys: ``keyed_banks_dir``, else
    ``banks_dir`` when given (a test's or a trainer's own banks), else ISO20K_KEYED_BANKS_DIR.
    Answers to tracks the learner is not enrolled in are accepted unless ``open_enrolment`` (or
    ISO20K_OPEN_ENROLMENT) is false: the learner's own process keeps these records."""

    def __init__(self, store: ProgressStore, learner_id: str, banks_dir: Path | None = None,
                 keyed_banks_dir: Path | None = None, open_enrolment: bool | None = None):
        from ..settings import get_settings

        self.store = store
        self.learner_id = learner_id
        self.banks_dir = banks_dir
        self.keyed_banks_dir = keyed_banks_dir
        if open_enrolment is None:
            open_enrolment = get_settings().open_enrolment
        self.open_enrolment = True if open_enrolment is None else open_enrolment

    def _keyed_catalog(self):
        from ..settings import get_settings

        return cached_catalog(self.keyed_banks_dir or self.banks_dir or get_settings().keyed_banks_dir)

    def answer(self, question_id: str, response: Any, language: str) -> Verdict:
        return judge_and_record(self.store, self._keyed_catalog(), self.learner_id,
                                question_id, response, language, open_enrolment=self.open_enrolment)

    def start_order(self, question_id: str) -> list[str]:
        return start_order(self._keyed_catalog(), self.learner_id, question_id)

    def attempts(self, question_id: str) -> int:
        return self.store.attempts(self.learner_id, question_id)

    def last_answer(self, question_id: str) -> LastAnswer | None:
        return last_answer(self.store, self._keyed_catalog(), self.learner_id, question_id)

    def correct_question_ids(self, track: str, module: str) -> set[str]:
        return self.store.correct_question_ids(self.learner_id, track, module)

    def completed_modules(self) -> set[str]:
        return self.store.completed_modules(self.learner_id)

    def training_summary(self):
        return own_training_summary(self.store, self.learner_id, self.banks_dir)

    def language(self) -> str | None:
        return self.store.language(self.learner_id)

    def set_language(self, language: str) -> None:
        self.store.set_language(self.learner_id, language)
