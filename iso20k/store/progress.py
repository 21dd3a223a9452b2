"""Recording answers and reading a learner's progress."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Engine, and_, func, insert, select, update

from ..settings import LANGUAGES, Settings, get_settings
from . import tables
from .engine import make_engine
from .migrations import migrate


@dataclass(frozen=True)
class AnswerRecord:
    """What the store kept for one checked answer."""

    learner_id: str
    question_id: str
    correct: bool
    attempt: int
    module_completed: bool  # this answer completed the module just now


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ProgressStore:
    """The progress store.  Safe to use from many processes at once."""

    def __init__(self, url: str | None = None, *, settings: Settings | None = None,
                 read_only: bool = False):
        settings = settings or get_settings()
        self.url = url or settings.effective_db_url
        self.read_only = read_only
        self.engine: Engine = make_engine(self.url, settings.busy_timeout_ms, read_only=read_only)
        if not read_only:
            migrate(self.engine)

    # -- answers -------------------------------------------------------------------------
    def record_answer(self, learner_id: str, track: str, module: str, question_id: str,
                      response: Any, correct: bool, language: str,
                      module_question_ids: Iterable[str] = ()) -> AnswerRecord:
        """Store one checked answer; mark the module complete when every question in
        ``module_question_ids`` has now been answered correctly at least once."""
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
        a = tables.answers
        with self.engine.begin() as conn:
            attempt = (conn.execute(select(func.max(a.c.attempt)).where(
                and_(a.c.learner_id == learner_id, a.c.question_id == question_id))).scalar() or 0) + 1
            conn.execute(insert(a).values(
                learner_id=learner_id, track=track, module=module, question_id=question_id,
                response=json.dumps(response, ensure_ascii=False, sort_keys=True),
                correct=bool(correct), attempt=attempt, language=language, answered_at=_now()))
            completed_now = False
            wanted = set(module_question_ids)
            if correct and wanted:
                done = self._correct_ids(conn, learner_id, track, module)
                mc = tables.module_completions
                already = conn.execute(select(mc.c.learner_id).where(and_(
                    mc.c.learner_id == learner_id, mc.c.track == track, mc.c.module == module))).first()
                if wanted <= done and not already:
                    conn.execute(insert(mc).values(learner_id=learner_id, track=track, module=module,
                                                   completed_at=_now()))
                    completed_now = True
        return AnswerRecord(learner_id, question_id, bool(correct), attempt, completed_now)

    @staticmethod
    def _correct_ids(conn, learner_id: str, track: str, module: str) -> set[str]:
        a = tables.answers
        rows = conn.execute(select(a.c.question_id).distinct().where(and_(
            a.c.learner_id == learner_id, a.c.track == track, a.c.module == module, a.c.correct)))
        return {r[0] for r in rows}

    def correct_question_ids(self, learner_id: str, track: str, module: str) -> set[str]:
        """Full ids of the questions of a module this learner has answered correctly."""
        with self.engine.connect() as conn:
            return self._correct_ids(conn, learner_id, track, module)

    def attempts(self, learner_id: str, question_id: str) -> int:
        a = tables.answers
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).where(and_(
                a.c.learner_id == learner_id, a.c.question_id == question_id))).scalar() or 0

    def answers(self, learner_id: str | None = None) -> list[dict]:
        """Every stored answer (optionally of one learner), oldest first, response decoded."""
        a = tables.answers
        query = select(a).order_by(a.c.id)
        if learner_id is not None:
            query = query.where(a.c.learner_id == learner_id)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            row["response"] = json.loads(row["response"])
        return rows

    def completed_modules(self, learner_id: str) -> set[str]:
        """``track/module`` keys this learner has completed."""
        mc = tables.module_completions
        with self.engine.connect() as conn:
            rows = conn.execute(select(mc.c.track, mc.c.module).where(mc.c.learner_id == learner_id))
            return {f"{t}/{m}" for t, m in rows}

    # -- preferences ---------------------------------------------------------------------
    def language(self, learner_id: str) -> str | None:
        p = tables.preferences
        with self.engine.connect() as conn:
            return conn.execute(select(p.c.language).where(p.c.learner_id == learner_id)).scalar()

    def set_language(self, learner_id: str, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
        p = tables.preferences
        with self.engine.begin() as conn:
            changed = conn.execute(update(p).where(p.c.learner_id == learner_id)
                                   .values(language=language, updated_at=_now())).rowcount
            if not changed:
                conn.execute(insert(p).values(learner_id=learner_id, language=language, updated_at=_now()))

    def close(self) -> None:
        self.engine.dispose()


_default: dict[str, ProgressStore] = {}


def default_store() -> ProgressStore:
    """The store named by the settings, opened once per process."""
    url = get_settings().effective_db_url
    if url not in _default:
        _default[url] = ProgressStore(url)
    return _default[url]
