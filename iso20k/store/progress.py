"""Recording answers and reading a learner's progress."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Engine, and_, func, insert, select, update

from ..settings import Settings, check_language, get_settings
from . import tables
from .engine import make_engine
from .answer_context import answer_context
from .evidence import AnswerAnchors, GENESIS, answer_hash, completion_hash, utc
from .locks import lock_everyone, lock_learner
from .migrations import migrate


@dataclass(frozen=True)
class AnswerRecord:
    """What the store kept for one checked answer."""

    learner_id: str
    question_id: str
    correct: bool
    attempt: int
    module_completed: bool  # this answer completed the module just now


class NotEnrolledIn(PermissionError):
    """The roster does not enrol the learner in the answer's track (nothing was stored)."""

    def __init__(self, tracks: set[str]):
        super().__init__(", ".join(sorted(tracks)) or "none")
        self.tracks = set(tracks)


_INSERT_ANSWER = insert(tables.answers)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ProgressStore:
    """The progress store.  Safe to use from many processes at once."""

    def __init__(self, url: str | None = None, *, settings: Settings | None = None,
                 read_only: bool = False, anchor_dir=None, trail_anchor=None, pool_size: int | None = None):
        """``anchor_dir``: where the writer keeps each learner's newest answer link outside the
        database (store/evidence.py); None keeps none (tests, tools that do not record answers).
        ``trail_anchor``: the file the audit trail's newest head is copied to after every append
        (store/trail.py); None keeps none.  :func:`trail_writer` opens the store with both.
        ``pool_size``: database connections kept open (the threads that use the store at once;
        None: SQLAlchemy's default of 5)."""
        settings = settings or get_settings()
        self.url = url or settings.effective_db_url
        self.read_only = read_only
        self.anchors = AnswerAnchors(anchor_dir) if anchor_dir else None
        self.trail_anchor = trail_anchor
        self.engine: Engine = make_engine(self.url, settings.busy_timeout_ms, read_only=read_only, pool_size=pool_size)
        if not read_only:
            migrate(self.engine)

    def reading(self):
        """A connection for reading several things in one go (``with store.reading() as conn``);
        the store's modules take it (e.g. :func:`iso20k.store.trail.entries`)."""
        return self.engine.connect()

    # -- answers -------------------------------------------------------------------------
    def record_answer(self, learner_id: str, track: str, module: str, question_id: str,
                      response: Any, correct: bool, language: str,
                      module_question_ids: Iterable[str] = (), *, enrolled_in: str | None = None,
                      before_write=None) -> AnswerRecord:
        """Store one checked answer; mark the module complete when every question in
        ``module_question_ids`` has now been answered correctly at least once.

        ``enrolled_in``: a track the roster must enrol the learner in (as :meth:`enrolled_tracks`
        says), else :class:`NotEnrolledIn` and nothing is stored; ``before_write`` is called once
        that is known, just before the write (it may raise to store nothing).

        Round trips (PostgreSQL): the learner's locks (one statement), everything the answer needs
        to know (one statement: the learner's newest link, the question's last attempt, the
        module's correct answers and completion, the enrolment), the insert, and the completion
        when this answer completes the module.  The locks cannot share the read's statement: a
        statement reads the snapshot taken when it starts, before its lock would be granted, so
        the read would miss the write it waited for and number an attempt twice."""
        check_language(language)
        wanted = set(module_question_ids)
        want_module = bool(correct and wanted)
        with self.engine.begin() as conn:
            lock_learner(conn, learner_id)  # the next attempt number is read after the last one committed
            known = answer_context(conn, learner_id, question_id, track, module, want_module,
                                   enrolled_in is not None)
            if enrolled_in is not None and enrolled_in not in known.tracks:
                raise NotEnrolledIn(known.tracks)
            if before_write is not None:
                before_write()
            attempt = known.last_attempt + 1
            lseq, prev = known.head
            lseq, at = lseq + 1, _now()
            text = json.dumps(response, ensure_ascii=False, sort_keys=True)
            digest = answer_hash(learner_id, lseq, track, module, question_id, text, bool(correct), attempt,
                                 language, at, prev)
            conn.execute(_INSERT_ANSWER, dict(
                learner_id=learner_id, track=track, module=module, question_id=question_id,
                response=text, correct=bool(correct), attempt=attempt, language=language, answered_at=at,
                lseq=lseq, prev_hash=prev, hash=digest))
            completed_now = False
            behind = known.completion_behind(question_id, digest, wanted) if want_module else None
            if behind is not None:
                conn.execute(insert(tables.module_completions).values(
                    learner_id=learner_id, track=track, module=module, completed_at=at,
                    answers=json.dumps(behind), hash=completion_hash(learner_id, track, module, at, behind)))
                completed_now = True
        if self.anchors is not None:
            self.anchors.write(learner_id, lseq, digest)
        return AnswerRecord(learner_id, question_id, bool(correct), attempt, completed_now)

    def async_answers(self, connections: int):
        """An event-loop writer of answers with the same rules (:mod:`.answers_async`), on
        PostgreSQL; None on SQLite (its writes are local and quick: a thread does them)."""
        if self.read_only or self.engine.dialect.name != "postgresql":
            return None
        from .answers_async import AsyncAnswers

        return AsyncAnswers(self.url, connections, self.anchors)

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

    def last_answer(self, learner_id: str, question_id: str) -> dict | None:
        """The learner's newest answer to ``question_id`` (``response`` decoded, ``correct``,
        ``attempt``, ``language``), or ``None`` when there is none yet."""
        a = tables.answers
        with self.engine.connect() as conn:
            row = conn.execute(select(a.c.response, a.c.correct, a.c.attempt, a.c.language).where(and_(
                a.c.learner_id == learner_id, a.c.question_id == question_id)).order_by(a.c.attempt.desc())
                .limit(1)).first()
        if row is None:
            return None
        return {"response": json.loads(row.response), "correct": bool(row.correct), "attempt": int(row.attempt),
                "language": row.language}

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

    def enrolled_tracks(self, learner_id: str) -> set[str]:
        """The training tracks the roster enrols this learner in.  A learner who is not an active
        employee in the roster gets the all-staff track, as "My training" shows them."""
        e, en = tables.employees, tables.enrolments
        with self.engine.connect() as conn:
            active = conn.execute(select(e.c.active).where(e.c.employee_id == learner_id)).scalar()
            if not active:
                return {"all-staff"}
            return {r[0] for r in conn.execute(select(en.c.track).where(en.c.employee_id == learner_id))}

    # -- preferences ---------------------------------------------------------------------
    def language(self, learner_id: str) -> str | None:
        p = tables.preferences
        with self.engine.connect() as conn:
            return conn.execute(select(p.c.language).where(p.c.learner_id == learner_id)).scalar()

    def set_language(self, learner_id: str, language: str) -> None:
        check_language(language)
        p = tables.preferences
        with self.engine.begin() as conn:
            lock_learner(conn, learner_id)
            changed = conn.execute(update(p).where(p.c.learner_id == learner_id)
                                   .values(language=language, updated_at=_now())).rowcount
            if not changed:
                conn.execute(insert(p).values(learner_id=learner_id, language=language, updated_at=_now()))

    # -- history -------------------------------------------------------------------------
    def record_history(self, events: Iterable[dict], module_questions: dict[str, set[str]]) -> int:
        """Store many past answers at once, in one transaction (a demo company, a migration from
        another system).  Each event is a dict with ``learner_id, track, module, question_id,
        response, correct, language, answered_at``; events are applied in time order with the
        same attempt numbering and module-completion rule as :meth:`record_answer`
        (``module_questions`` maps ``track/module`` to its question ids).  Returns the count."""
        a, mc = tables.answers, tables.module_completions
        rows, completions = [], []
        events = sorted(events, key=lambda e: e["answered_at"])
        with self.engine.begin() as conn:
            lock_everyone(conn)  # no learner's answer slips in between reading and writing numbers
            learners = {e["learner_id"] for e in events}
            attempts: dict[tuple[str, str], int] = {}
            correct: dict[tuple[str, str, str], set[str]] = {}
            done: set[tuple[str, str, str]] = set()
            heads: dict[str, tuple[int, str]] = {}
            first_correct: dict[tuple[str, str, str], dict[str, str]] = {}
            for chunk in _chunks(sorted(learners), 500):
                for lid, lseq, digest in conn.execute(
                        select(a.c.learner_id, a.c.lseq, a.c.hash).where(a.c.learner_id.in_(chunk))
                        .order_by(a.c.learner_id, a.c.lseq)):
                    heads[lid] = (lseq, digest)
                for lid, track, module, qid, digest in conn.execute(
                        select(a.c.learner_id, a.c.track, a.c.module, a.c.question_id, a.c.hash)
                        .where(a.c.learner_id.in_(chunk), a.c.correct).order_by(a.c.learner_id, a.c.lseq)):
                    first_correct.setdefault((lid, track, module), {}).setdefault(qid, digest)
                for lid, qid, n in conn.execute(select(a.c.learner_id, a.c.question_id, func.max(a.c.attempt))
                                                .where(a.c.learner_id.in_(chunk)).group_by(a.c.learner_id, a.c.question_id)):
                    attempts[(lid, qid)] = n
                for lid, track, module, qid in conn.execute(
                        select(a.c.learner_id, a.c.track, a.c.module, a.c.question_id).distinct()
                        .where(a.c.learner_id.in_(chunk), a.c.correct)):
                    correct.setdefault((lid, track, module), set()).add(qid)
                done |= {tuple(r) for r in conn.execute(select(mc.c.learner_id, mc.c.track, mc.c.module)
                                                        .where(mc.c.learner_id.in_(chunk)))}
            for e in events:
                check_language(e["language"])
                key = (e["learner_id"], e["question_id"])
                attempts[key] = attempts.get(key, 0) + 1
                lseq, prev = heads.get(e["learner_id"], (0, GENESIS))
                at = utc(e["answered_at"])
                text = json.dumps(e["response"], ensure_ascii=False, sort_keys=True)
                digest = answer_hash(e["learner_id"], lseq + 1, e["track"], e["module"], e["question_id"], text,
                                     bool(e["correct"]), attempts[key], e["language"], at, prev)
                heads[e["learner_id"]] = (lseq + 1, digest)
                rows.append(dict(learner_id=e["learner_id"], track=e["track"], module=e["module"],
                                 question_id=e["question_id"], correct=bool(e["correct"]), response=text,
                                 attempt=attempts[key], language=e["language"], answered_at=at,
                                 lseq=lseq + 1, prev_hash=prev, hash=digest))
                mkey = (e["learner_id"], e["track"], e["module"])
                if e["correct"]:
                    correct.setdefault(mkey, set()).add(e["question_id"])
                    first_correct.setdefault(mkey, {}).setdefault(e["question_id"], digest)
                    wanted = module_questions.get(f"{e['track']}/{e['module']}")
                    if wanted and mkey not in done and wanted <= correct[mkey]:
                        done.add(mkey)
                        behind = [first_correct[mkey][q] for q in sorted(first_correct[mkey])]
                        completions.append(dict(learner_id=mkey[0], track=mkey[1], module=mkey[2], completed_at=at,
                                                answers=json.dumps(behind),
                                                hash=completion_hash(*mkey, at, behind)))
            for chunk in _chunks(rows, 5000):
                conn.execute(insert(a), chunk)
            if completions:
                conn.execute(insert(mc), completions)
        if self.anchors is not None:
            for lid in learners:
                self.anchors.write(lid, *heads[lid])
        return len(rows)

    def forget(self, learner_ids: Iterable[str]) -> None:
        """Delete every answer, module completion and preference of these learners (the demo
        company rebuilds its learners this way; real learners are never forgotten by the product)."""
        from sqlalchemy import delete

        ids = sorted(set(learner_ids))
        with self.engine.begin() as conn:
            lock_everyone(conn)
            for chunk in _chunks(ids, 500):
                for table in (tables.answers, tables.module_completions, tables.preferences):
                    conn.execute(delete(table).where(table.c.learner_id.in_(chunk)))
        if self.anchors is not None:
            for lid in ids:
                self.anchors.forget(lid)

    def close(self) -> None:
        self.engine.dispose()


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def trail_writer(settings: Settings | None = None, url: str | None = None, pool_size: int | None = None) -> ProgressStore:
    """The store as the trail writer opens it (the records service, the CLI commands, the demo,
    a formgrader on one machine): each learner's newest answer link and the trail's newest head
    are kept beside each other in the settings' data folder."""
    from .evidence import answer_anchor_dir
    from .trail import anchor_path

    settings = settings or get_settings()
    return ProgressStore(url or settings.effective_db_url, settings=settings,
                         anchor_dir=answer_anchor_dir(settings), trail_anchor=anchor_path(settings),
                         pool_size=pool_size)


_default: dict[str, ProgressStore] = {}


def default_store() -> ProgressStore:
    """The store named by the settings, opened once per process; it keeps the learners' answer
    anchors in the settings' data folder."""
    from .evidence import answer_anchor_dir

    settings = get_settings()
    url = settings.effective_db_url
    if url not in _default:
        _default[url] = ProgressStore(url, anchor_dir=answer_anchor_dir(settings))
    return _default[url]
