"""Recording answers on PostgreSQL from an event loop: the same statements and rules as
:meth:`iso20k.store.progress.ProgressStore.record_answer`, on asynchronous psycopg connections.

The records service judges on its event loop and would otherwise hand every answer to a
database thread: the thread hop and the threads' fight for the interpreter lock cost more than
the database's own work.  Here the event loop sends the statements itself and serves other
requests while PostgreSQL answers.  The rules are the store's: the learner's two advisory locks,
then everything the answer needs in one read (:mod:`.answer_context`), the insert and, when this
answer completes the module, the completion, in one transaction; the learner's chain link is
hashed here as there, and the anchor moved after the commit.

One answer is two round trips to the server, not five: the transaction's start, the locks and
the read go as one query, the insert (with the completion) and the commit as the second.  A query
of several statements is PostgreSQL's simple protocol, whose values travel inside the text, so
the values are quoted by psycopg's client-side binding (``AsyncClientCursor``: its own escaping,
with the connection's encoding and ``standard_conforming_strings``), never pasted by this code.
Each statement still reads with a snapshot of its own (READ COMMITTED), so the read after the
locks sees every answer committed before them.  If the answer goes no further after the read (not
enrolled, over the rate), the transaction is rolled back; after any other failure the connection
is closed, which rolls it back on the server."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timezone

from psycopg.pq import TransactionStatus
from sqlalchemy.engine import make_url

from ..settings import check_language
from .answer_context import AnswerContext, answer_context_sql, parse_context
from .evidence import AnswerAnchors, answer_hash, completion_hash
from .locks import EVERYONE_KEY, LEARNER_KEY, learner_key, lock_learner_sql
from .progress import AnswerRecord, NotEnrolledIn

_BIND = re.compile(r"(?<!:):([a-z_]+)")
_INSERT = ("INSERT INTO answers (learner_id, track, module, question_id, response, correct, attempt, language, "
           "answered_at, lseq, prev_hash, hash) VALUES (:learner_id, :track, :module, :question_id, :response, "
           ":correct, :attempt, :language, :answered_at, :lseq, :prev_hash, :hash)")
_COMPLETE = ("INSERT INTO module_completions (learner_id, track, module, completed_at, answers, hash) "
             "VALUES (:learner_id, :track, :module, :completed_at, :answers, :completion_hash)")


def _prepared(name: str, sql: str) -> tuple[str, str]:
    """``sql`` (with ``:name`` parameters) as a statement the server keeps: the ``PREPARE`` sent
    once per connection, and the ``EXECUTE`` with psycopg's ``%(name)s`` placeholders."""
    order: list[str] = []

    def number(match) -> str:
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    body = _BIND.sub(number, sql)
    return f"PREPARE {name} AS {body}", f"EXECUTE {name}(" + ", ".join(f"%({n})s" for n in order) + ")"


_STATEMENTS = {"iso20k_lock": lock_learner_sql(), "iso20k_insert": _INSERT, "iso20k_complete": _COMPLETE}
_STATEMENTS.update({f"iso20k_read_{int(m)}{int(e)}": answer_context_sql(m, e) for m in (False, True) for e in (False, True)})
_PREPARE, _EXECUTE = {}, {}
for _name, _sql in _STATEMENTS.items():
    _PREPARE[_name], _EXECUTE[_name] = _prepared(_name, _sql)
#: Sent once on each new connection: the server parses and plans the statements once.
PREPARE_ALL = "; ".join(_PREPARE.values())
#: The first round trip: the transaction opens, the learner's locks, the read (its rows come last).
_OPEN_AND_READ = {(m, e): f"BEGIN; {_EXECUTE['iso20k_lock']}; {_EXECUTE[f'iso20k_read_{int(m)}{int(e)}']}"
                  for m in (False, True) for e in (False, True)}
#: The second: the answer, with the module's completion when it completes one, and the commit.
_WRITE = {False: f"{_EXECUTE['iso20k_insert']}; COMMIT",
          True: f"{_EXECUTE['iso20k_insert']}; {_EXECUTE['iso20k_complete']}; COMMIT"}


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
                # autocommit: the queries carry their own BEGIN and COMMIT (no round trip of their own)
                conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True,
                                                             cursor_factory=psycopg.AsyncClientCursor)
                await conn.execute(PREPARE_ALL)
            except BaseException:
                self._idle.put_nowait(None)
                raise
        return conn

    @staticmethod
    async def _rollback(conn) -> bool:
        """End the open transaction (a refusal after the read); False if that failed too."""
        try:
            await conn.execute("ROLLBACK")
            return conn.info.transaction_status == TransactionStatus.IDLE
        except Exception:  # noqa: BLE001 - the connection is closed instead
            return False

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
        broken, rollback = True, False
        try:
            cur = conn.cursor()
            await cur.execute(_OPEN_AND_READ[(want_module, enrolled_in is not None)], {
                "everyone": EVERYONE_KEY, "ns": LEARNER_KEY, "key": learner_key(learner_id),
                "l": learner_id, "q": question_id, "t": track, "m": module})
            while cur.nextset():  # BEGIN, the locks: the read's rows are the last result
                pass
            known: AnswerContext = parse_context(await cur.fetchall(), enrolled_in is not None)
            rollback = True  # from here on, a refusal ends the open transaction
            if enrolled_in is not None and enrolled_in not in known.tracks:
                raise NotEnrolledIn(known.tracks)
            if before_write is not None:
                before_write()
            rollback = False
            attempt = known.last_attempt + 1
            lseq, prev = known.head
            lseq, at = lseq + 1, datetime.now(timezone.utc)
            text = json.dumps(response, ensure_ascii=False, sort_keys=True)
            digest = answer_hash(learner_id, lseq, track, module, question_id, text, bool(correct), attempt,
                                 language, at, prev)
            values = dict(learner_id=learner_id, track=track, module=module, question_id=question_id, response=text,
                          correct=bool(correct), attempt=attempt, language=language, answered_at=at, lseq=lseq,
                          prev_hash=prev, hash=digest)
            behind = known.completion_behind(question_id, digest, wanted) if want_module else None
            if behind is not None:
                values.update(completed_at=at, answers=json.dumps(behind),
                              completion_hash=completion_hash(learner_id, track, module, at, behind))
            await cur.execute(_WRITE[behind is not None], values)
            completed_now = behind is not None
            broken = conn.info.transaction_status != TransactionStatus.IDLE
        finally:
            if rollback:  # refused after the read: nothing was written
                broken = not await self._rollback(conn)
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
