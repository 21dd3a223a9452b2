"""Recording answers on PostgreSQL from an event loop: the same statements and rules as
:meth:`iso20k.store.progress.ProgressStore.record_answer`, on asynchronous psycopg connections.

The records service judges on its event loop and would otherwise hand every answer to a
database thread: the thread hop and the threads' fight for the interpreter lock cost more than
the database's own work.  Here the event loop sends the statements itself and serves other
requests while PostgreSQL answers.  The rules are the store's: the learner's two advisory locks
(one statement), then everything the answer needs in one read (:mod:`.answer_context`), the
insert and, when this answer completes the module, the completion, in one transaction; the
learner's chain link is hashed here as there, and the anchor moved after the commit."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timezone

from sqlalchemy.engine import make_url

from ..settings import check_language
from .answer_context import AnswerContext, answer_context_sql, parse_context
from .evidence import AnswerAnchors, answer_hash, completion_hash
from .locks import EVERYONE_KEY, LEARNER_KEY, learner_key, lock_learner_sql
from .progress import AnswerRecord, NotEnrolledIn

_BIND = re.compile(r"(?<!:):([a-z_]+)")
_INSERT = ("INSERT INTO answers (learner_id, track, module, question_id, response, correct, attempt, language, "
           "answered_at, lseq, prev_hash, hash) VALUES (%(learner_id)s, %(track)s, %(module)s, %(question_id)s, "
           "%(response)s, %(correct)s, %(attempt)s, %(language)s, %(answered_at)s, %(lseq)s, %(prev_hash)s, %(hash)s)")
_COMPLETE = ("INSERT INTO module_completions (learner_id, track, module, completed_at, answers, hash) "
             "VALUES (%(learner_id)s, %(track)s, %(module)s, %(completed_at)s, %(answers)s, %(hash)s)")


def _psycopg(sql: str) -> str:
    return _BIND.sub(r"%(\1)s", sql)


_LOCK = _psycopg(lock_learner_sql())
_READS = {(m, e): _psycopg(answer_context_sql(m, e)) for m in (False, True) for e in (False, True)}


class AsyncAnswers:
    """At most ``size`` connections, opened when first needed; a connection that failed is
    dropped (the next answer opens a new one)."""

    def __init__(self, url: str, size: int, anchors: AnswerAnchors | None):
        parsed = make_url(url)
        self._conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self.size, self.anchors = size, anchors
        self._idle: asyncio.Queue | None = None

    async def _connection(self):
        import psycopg

        if self._idle is None:
            self._idle = asyncio.Queue()
            for _ in range(self.size):
                self._idle.put_nowait(None)
        conn = await self._idle.get()
        if conn is None or conn.closed:
            try:
                conn = await psycopg.AsyncConnection.connect(self._conninfo, prepare_threshold=1)
            except BaseException:
                self._idle.put_nowait(None)
                raise
        return conn

    def _release(self, conn, broken: bool) -> None:
        if broken and conn is not None:
            asyncio.ensure_future(conn.close())
            conn = None
        self._idle.put_nowait(conn)

    async def record_answer(self, learner_id: str, track: str, module: str, question_id: str, response, correct: bool,
                            language: str, module_question_ids=(), *, enrolled_in: str | None = None,
                            before_write=None) -> AnswerRecord:
        """As :meth:`ProgressStore.record_answer` (the same statements, locks and results)."""
        check_language(language)
        wanted = set(module_question_ids)
        want_module = bool(correct and wanted)
        conn = await self._connection()
        broken = True
        try:
            async with conn.transaction():
                await conn.execute(_LOCK, {"everyone": EVERYONE_KEY, "ns": LEARNER_KEY, "key": learner_key(learner_id)})
                cur = await conn.execute(_READS[(want_module, enrolled_in is not None)],
                                         {"l": learner_id, "q": question_id, "t": track, "m": module})
                known: AnswerContext = parse_context(await cur.fetchall(), enrolled_in is not None)
                if enrolled_in is not None and enrolled_in not in known.tracks:
                    broken = False
                    raise NotEnrolledIn(known.tracks)
                if before_write is not None:
                    try:
                        before_write()
                    except BaseException:
                        broken = False
                        raise
                attempt = known.last_attempt + 1
                lseq, prev = known.head
                lseq, at = lseq + 1, datetime.now(timezone.utc)
                text = json.dumps(response, ensure_ascii=False, sort_keys=True)
                digest = answer_hash(learner_id, lseq, track, module, question_id, text, bool(correct), attempt,
                                     language, at, prev)
                await conn.execute(_INSERT, dict(
                    learner_id=learner_id, track=track, module=module, question_id=question_id, response=text,
                    correct=bool(correct), attempt=attempt, language=language, answered_at=at, lseq=lseq,
                    prev_hash=prev, hash=digest))
                completed_now = False
                behind = known.completion_behind(question_id, digest, wanted) if want_module else None
                if behind is not None:
                    await conn.execute(_COMPLETE, dict(
                        learner_id=learner_id, track=track, module=module, completed_at=at,
                        answers=json.dumps(behind), hash=completion_hash(learner_id, track, module, at, behind)))
                    completed_now = True
            broken = False
        finally:
            self._release(conn, broken)
        if self.anchors is not None:
            self.anchors.write(learner_id, lseq, digest)
        return AnswerRecord(learner_id, question_id, bool(correct), attempt, completed_now)

    async def close(self) -> None:
        if self._idle is None:
            return
        while not self._idle.empty():
            conn = self._idle.get_nowait()
            if conn is not None:
                await conn.close()
