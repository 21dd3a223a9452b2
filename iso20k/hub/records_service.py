"""The records service: a JupyterHub service that judges and stores learners' quiz answers.

A learner's kernel calls it with the token of the learner's own server
(``JUPYTERHUB_API_TOKEN``).  The service asks the hub whose token it is and records under that
person, whatever the request says; it judges the response against the question bank itself
(the banks with the keys, ISO20K_KEYED_BANKS_DIR, which only this service can read) and sends
back the verdict with the explanation to show; the database credentials live only here.

Every learner can reach it, so bad input is refused cheaply on the event loop, before any real
work (the limits are settings; docs/deployment.md gives the numbers and why): bodies over the
limit get 413 before they are read, JSON too deep or otherwise unsafe 400, a learner over their
rate 429 with Retry-After (after a pause), answers to a track the learner is not enrolled in
403; nothing is stored then and every refusal is JSON.  Run by the hub (see
:mod:`iso20k.hub.config`)::

    python -m iso20k.hub.records_service
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import re
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from urllib.parse import urlparse

from jupyterhub.services.auth import HubAuth, HubAuthenticated
from tornado import ioloop, netutil, web
from tornado.httpserver import HTTPServer

from ..banks import Catalog, cached_catalog
from ..records import NotEnrolled, RecordsError, ResponseError, judge_and_record, judge_and_record_async
from ..records.judge import last_answer, short_repr, start_order
from ..settings import COURSE_ID, Settings, check_language, get_settings
from ..store import ProgressStore
from .config import FORMGRADER, RECORDS, enter_service_account, service_bind_address
from .guard import BadBody, RateLimit, parse_json_object
from .learners import LearnerNames
from . import trail_handins
from .shared_buckets import SharedBuckets
from .shared_tokens import SharedTokens
from .token_owners import TokenOwners

log = logging.getLogger("iso20k.records")
_DIGITS = re.compile(r"[0-9]+")

#: Database threads one learner's requests may hold at once (of ISO20K_RECORDS_DB_THREADS): one, so a learner's
#: writes never queue another learner's write behind more than one of theirs.
PER_LEARNER_THREADS = 1
#: Seconds a learner's "My training" is given again without working it out anew (their own
#: answers through this service make it out of date at once).
TRAINING_FRESH_S = 3.0
#: ... and after such an answer, not worked out again sooner than this.
MIN_RECOMPUTE_S = 1.0
#: Refusals (429) of one learner held back at once; beyond, they are answered without a pause.
DELAYED_PER_LEARNER = 16


class Limits:
    """What the service accepts, from the settings: body size, JSON depth, per-learner rates and
    work in the database threads, enrolment."""

    def __init__(self, settings: Settings, shared: "SharedRates | None" = None):
        self.max_body = settings.records_max_body_bytes
        self.max_depth = settings.records_max_json_depth
        # with several processes the buckets are shared (a learner's rate is the same whichever
        # process their connection reaches); alone, a plain table in this process
        answers = dict(_buckets=shared.answers, _lock=shared.answers.lock) if shared else {}
        requests = dict(_buckets=shared.requests, _lock=shared.requests.lock) if shared else {}
        self.answers = RateLimit(settings.records_answer_burst, settings.records_answers_per_minute, **answers)
        self.requests = RateLimit(settings.records_request_burst, settings.records_requests_per_minute, **requests)
        self.open_enrolment = bool(settings.open_enrolment)  # empty means closed on the hub
        self.refusal_delay_s = settings.records_refusal_delay_s
        self._in_flight: dict[str, asyncio.Semaphore] = {}
        self._delayed: dict[str, int] = {}
        self.training = Recent(TRAINING_FRESH_S)
        # when each learner last answered, seen by every process ("My training" is worked out anew
        # after it, whichever process recorded the answer)
        self._answered = shared.answered if shared else {}
        self._answered_lock = shared.answered.lock if shared else threading.Lock()
        self.roster_read = asyncio.Lock()

    async def pause(self, learner_id: str) -> None:
        """Hold a refusal to ``learner_id`` for ``refusal_delay_s`` (not more than
        ``DELAYED_PER_LEARNER`` at once)."""
        if self.refusal_delay_s <= 0 or self._delayed.get(learner_id, 0) >= DELAYED_PER_LEARNER:
            return
        self._delayed[learner_id] = self._delayed.get(learner_id, 0) + 1
        try:
            await asyncio.sleep(self.refusal_delay_s)
        finally:
            self._delayed[learner_id] -= 1

    def answered(self, learner_id: str) -> None:
        with self._answered_lock:
            self._answered[learner_id] = (time.monotonic(), 0.0)

    def answered_at(self, learner_id: str) -> float:
        with self._answered_lock:
            return (self._answered.get(learner_id) or (0.0, 0.0))[0]

    def in_flight(self, learner_id: str) -> asyncio.Semaphore:
        """At most ``PER_LEARNER_THREADS`` of one learner's calls hold database threads at once;
        the rest wait here, not in front of everyone else's in the shared pool."""
        if learner_id not in self._in_flight:
            self._in_flight[learner_id] = asyncio.Semaphore(PER_LEARNER_THREADS)
        return self._in_flight[learner_id]


class SharedRates:
    """The learners' answer and request buckets and the hub's word on their tokens, in memory
    shared by the service's processes (made before they are forked, :mod:`iso20k.hub.shared_buckets`,
    :mod:`iso20k.hub.shared_tokens`)."""

    def __init__(self, token_slots: int = 20000):
        self.answers, self.requests, self.answered = SharedBuckets(), SharedBuckets(), SharedBuckets()
        self.tokens = SharedTokens(token_slots)


class Recent:
    """One result per learner, kept ``fresh_s`` seconds; callers that ask while it is being
    worked out wait for the same work."""

    def __init__(self, fresh_s: float):
        self.fresh_s = fresh_s
        self._items: dict[str, tuple[float, asyncio.Future]] = {}
        self._stale: set[str] = set()

    async def get(self, key: str, compute, changed_at: float = 0.0):
        """``changed_at``: when the learner last answered (any process): a result worked out
        before it is out of date, as after :meth:`forget`."""
        now = time.monotonic()
        hit = self._items.get(key)
        stale = key in self._stale or (hit is not None and changed_at >= hit[0])
        fresh = self.fresh_s if not stale else MIN_RECOMPUTE_S
        if hit and (not hit[1].done() or now - hit[0] < fresh):
            return await asyncio.shield(hit[1])
        self._stale.discard(key)
        future = asyncio.ensure_future(compute())
        self._items[key] = (now, future)
        try:
            return await asyncio.shield(future)
        except BaseException:
            if self._items.get(key, (0, None))[1] is future:
                del self._items[key]  # a failure is not kept
            raise

    def forget(self, key: str) -> None:
        """The learner's result is out of date: worked out anew at the next ask, but not more
        often than every ``MIN_RECOMPUTE_S`` (answers interleaved with asks do not defeat it)."""
        self._stale.add(key)


class TooMany(web.HTTPError):
    """429, with the seconds to wait for the learner's next token."""

    def __init__(self, message: str, retry_after: str):
        super().__init__(429, "%s", message)
        self.retry_after = retry_after


class TooFast(Exception):
    """The learner's answer bucket is empty (raised in a database thread before the write)."""

    def __init__(self, wait_s: float):
        super().__init__(wait_s)
        self.wait_s = wait_s


@web.stream_request_body
class _Api(HubAuthenticated, web.RequestHandler):
    """Token-authenticated JSON API; every handler acts for the token's owner only.

    The body is streamed: ``prepare`` runs on the headers alone and refuses an oversized body
    (413), an unknown token (403) or a learner over their request rate (429) before a byte of
    the body is read; ``data_received`` keeps at most ``records_max_body_bytes`` and refuses the
    rest (chunked bodies).  Every refusal is a JSON ``{"status", "message"}``."""

    def initialize(self, store: ProgressStore, catalog: Catalog, names: LearnerNames, hub_auth: HubAuth,
                   executor: ThreadPoolExecutor, catalog_dir, limits: Limits, issuing: "Issuing",
                   owners: TokenOwners, answers=None):
        self.store, self.catalog, self.names, self.hub_auth, self.owners = store, catalog, names, hub_auth, owners
        self.answers = answers  # the event-loop writer of answers (PostgreSQL), else None
        self.executor, self.catalog_dir, self.limits, self.issuing = executor, catalog_dir, limits, issuing
        self._chunks: list[bytes] = []
        self._received = 0
        self._close_after = False  # refused before the body was read: the connection ends
        self.learner_id = None

    async def in_pool(self, fn, *args):
        """Database work off the event loop, so one learner's write does not queue the others'."""
        async with self.limits.in_flight(self.learner_id or ""):
            return await ioloop.IOLoop.current().run_in_executor(self.executor, fn, *args)

    def check_xsrf_cookie(self):  # tokens only: no cookie is ever accepted (see get_current_user)
        return None

    def get_current_user(self):
        # what _authenticate found (prepare runs it, awaited): never a blocking call to the hub
        return getattr(self, "_hub_auth_user_cache", None)

    async def prepare(self):
        try:
            await self._check_headers()
        except web.HTTPError:
            # refused before the body was read: Tornado ends the connection after the reply
            # (it would otherwise have to read the body), so the reply says so
            self._close_after = True
            raise

    async def _authenticate(self) -> dict | None:
        """The hub's word on the token, asked without blocking the event loop and remembered
        (refusals too) in a bounded cache (:mod:`iso20k.hub.token_owners`).  Only an
        ``Authorization: token`` header authenticates: a browser cookie never does."""
        self._hub_auth_user_cache = None
        header = self.request.headers.get("Authorization", "")
        if header.startswith("token ") and header[6:].strip():
            self._hub_auth_user_cache = await self.owners.allowed_owner(header[6:].strip(), self.check_hub_user)
        return self._hub_auth_user_cache

    async def _check_headers(self):
        declared = self.request.headers.get("Content-Length")
        if declared is not None:
            declared = declared.strip()
            if not _DIGITS.fullmatch(declared):
                raise web.HTTPError(400, "Content-Length is not a number")
        user = await self._authenticate()
        allowed = bool(user) and self.accepts(user)
        if allowed:
            self.learner_id = await self.learner_of(user["name"]) if user.get("kind", "user") == "user" else None
            # every request counts, refused ones too: a flood of bodies that are too large or
            # not JSON ends in 429 like any other
            wait = self.limits.requests.take(self.rate_key(user), _COST.get(type(self), 1))
            if wait:
                await self.too_fast(wait, "requests")
        if declared is not None and (len(declared) > 12 or int(declared) > self.limits.max_body):
            raise web.HTTPError(413, "the request body is %s bytes; at most %d are accepted",
                                declared[:20], self.limits.max_body)
        if not allowed:
            raise web.HTTPError(403, "sign in to the hub: this service acts for learners only")

    async def learner_of(self, hub_name: str) -> str:
        """The roster's id for a hub user; the roster is read again in a database thread, never on
        the event loop, and by one request at a time (the others wait for that read)."""
        if self.names.needs_refresh(hub_name):
            async with self.limits.roster_read:
                if self.names.needs_refresh(hub_name):
                    await ioloop.IOLoop.current().run_in_executor(self.executor, self.names.refresh)
        return self.names.known(hub_name)

    def accepts(self, user: dict) -> bool:
        """Whether this hub identity may use this handler (learners; a handler for a service
        overrides it)."""
        return user.get("kind", "user") == "user"

    def rate_key(self, user: dict) -> str:
        """Whose request bucket a request takes from."""
        return self.learner_id if self.learner_id else f"{user.get('kind')}:{user.get('name')}"

    async def too_fast(self, wait_s: float, what: str) -> None:
        """429 with Retry-After, after a pause (``records_refusal_delay_s``): a client that sends
        request after request as soon as each is answered is slowed to one per pause per
        connection, and the service answers it less often.  At most ``DELAYED_PER_LEARNER`` of
        one learner's refusals wait at once; the rest are answered at once."""
        limit = self.limits.answers if what == "answers" else self.limits.requests
        await self.limits.pause(self.learner_id or "-")
        raise TooMany(f"too many {what}: at most {limit.burst} at once and {limit.per_minute:g} a minute; "
                      f"try again in {limit.retry_after(wait_s)} s", limit.retry_after(wait_s))

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self._received += len(chunk)
        if self._received > self.limits.max_body:  # a chunked body (no Content-Length) grew too long
            self._chunks = []
            self._close_after = True  # the rest of the body is not read
            self.send_error(413, reason_text=f"the request body is over {self.limits.max_body} bytes; "
                                             f"at most {self.limits.max_body} are accepted")
            return
        self._chunks.append(chunk)

    def on_connection_close(self):
        self._chunks = []
        super().on_connection_close()

    def write_error(self, status_code, **kwargs):
        reason = kwargs.get("exc_info", (None, None))[1]
        message = kwargs.get("reason_text") or _message(reason) or self._reason
        if status_code >= 500 and reason is not None:
            message = "the records service failed; the answer was not recorded (see its log)"
        if isinstance(reason, TooMany):
            self.set_header("Retry-After", reason.retry_after)
        if self._close_after:
            self.set_header("Connection", "close")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": status_code, "message": message}))  # ASCII: any text survives

    def log_exception(self, typ, value, tb):
        if isinstance(value, web.HTTPError) and value.status_code < 500:
            log.info("refused %s %s for %s: %s %s", self.request.method, self.request.path,
                     self.learner_id or "-", value.status_code, (_message(value) or "")[:200])
            return
        super().log_exception(typ, value, tb)

    def body(self) -> dict:
        return json_body(b"".join(self._chunks), self.limits.max_depth)

    def reply(self, data) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, ensure_ascii=False))


def json_body(raw: bytes, max_depth: int) -> dict:
    """A request body as a JSON object, or 400 saying why not (see :mod:`iso20k.hub.guard`)."""
    try:
        return parse_json_object(raw, max_depth)
    except BadBody as exc:
        raise web.HTTPError(400, "%s", str(exc)) from None


#: Nesting a grade change needs: {"submissions": [{"grades": {"nb/cell": [old, new]}}]}.
TRAIL_JSON_DEPTH = 8


def _message(exc) -> str | None:
    """The message of an HTTPError as the learner should read it."""
    text = getattr(exc, "log_message", None)
    if not text:
        return None
    try:
        return text % exc.args if exc.args else text
    except (TypeError, ValueError):
        return text


class NotFound(_Api):
    """Any other path: a JSON 404 (after the same checks as every path)."""

    async def prepare(self):
        await super().prepare()
        raise web.HTTPError(404, "no such records API")


class Me(_Api):
    async def get(self):
        language = await self.in_pool(self.store.language, self.learner_id)
        self.reply({"learner_id": self.learner_id, "language": language})


class Answers(_Api):
    async def post(self):
        data = self.body()
        question_id, language = data.get("question_id"), data.get("language")
        if not isinstance(question_id, str):
            raise web.HTTPError(400, "question_id is missing")
        learner_id, answers = self.learner_id, self.limits.answers

        def take_answer_token():  # everything checked: only now does the answer count
            wait = answers.take(learner_id)
            if wait:
                raise TooFast(wait)

        try:
            if self.answers is not None:  # PostgreSQL: sent from the event loop, no thread hop
                async with self.limits.in_flight(learner_id):
                    verdict = await judge_and_record_async(
                        self.answers, self.catalog, learner_id, question_id, data.get("response"), language,
                        open_enrolment=self.limits.open_enrolment, before_write=take_answer_token)
            else:
                verdict = await self.in_pool(partial(
                    judge_and_record, self.store, self.catalog, learner_id, question_id, data.get("response"),
                    language, open_enrolment=self.limits.open_enrolment, before_write=take_answer_token))
        except KeyError:
            raise web.HTTPError(404, "no question %s", short_repr(question_id)) from None
        except ResponseError as exc:
            raise web.HTTPError(400, "%s", str(exc)) from None
        except NotEnrolled as exc:
            raise web.HTTPError(403, "%s", str(exc)) from None
        except TooFast as exc:
            await self.too_fast(exc.wait_s, "answers")
        except RecordsError as exc:  # the service's banks are learners' copies: a deployment error
            raise web.HTTPError(503, "%s", str(exc)) from None
        self.limits.training.forget(learner_id)  # "My training" shows this answer next time
        self.limits.answered(learner_id)  # ... in every process
        log.info("answer recorded: learner=%s question=%s attempt=%d correct=%s",
                 verdict.learner_id, verdict.question_id, verdict.attempt, verdict.correct)
        self.reply(verdict.to_json())
        if verdict.module_completed:  # the last lesson may complete a pass graded earlier
            ioloop.IOLoop.current().spawn_callback(self.issuing.after_lesson, verdict.learner_id,
                                                   verdict.question_id.split("/", 1)[0])


class Issuing:
    """This service's certificate issuing (:func:`iso20k.certificates.workflow.issue_for`), one at
    a time: each reads the record after the last one's certificates are in."""

    def __init__(self, store: ProgressStore, settings: Settings, executor: ThreadPoolExecutor):
        self.store, self.settings, self.executor = store, settings, executor
        self.lock = asyncio.Lock()

    async def issue(self, actor: str, learners: list[str], tracks: list[str] | None):
        from ..certificates.workflow import issue_for

        async with self.lock:
            return await ioloop.IOLoop.current().run_in_executor(
                self.executor, partial(issue_for, self.store, self.settings, actor, learners, tracks=tracks))

    async def after_lesson(self, learner_id: str, track: str) -> None:
        """A learner completed a lesson module of ``track``: when that completes a pass (the
        assessment graded at the mark before the last lesson), its certificate is issued now,
        in the records service's name; nothing else to remember."""
        try:
            issued = await self.issue(f"service:{RECORDS}", [learner_id], [track])
        except Exception:  # noqa: BLE001 - the answer is stored; 'iso20k certificates issue' catches up
            log.exception("certificates: issuing after %s's lesson in %s failed", learner_id, track)
            return
        if issued:
            log.info("certificates: %d issued after %s completed a lesson of %s", len(issued), learner_id, track)


class StartOrder(_Api):
    def get(self):
        try:
            order = start_order(self.catalog, self.learner_id, self.get_argument("question_id"))
        except KeyError:
            raise web.HTTPError(404, "no such question") from None
        self.reply({"order": order})


class Attempts(_Api):
    async def get(self):
        count = await self.in_pool(self.store.attempts, self.learner_id, self.get_argument("question_id"))
        self.reply({"attempts": count})


class LastAnswerApi(_Api):
    """``GET api/last-answer?question_id=``: the learner's newest answer with its verdict and
    explanation (``{"answer": null}`` before the first), for a question shown again."""

    async def get(self):
        try:
            found = await self.in_pool(last_answer, self.store, self.catalog, self.learner_id,
                                       self.get_argument("question_id"))
        except KeyError:
            raise web.HTTPError(404, "no such question") from None
        except RecordsError as exc:
            raise web.HTTPError(503, "%s", str(exc)) from None
        self.reply({"answer": None if found is None else found.to_json()})


class Correct(_Api):
    async def get(self):
        ids = await self.in_pool(self.store.correct_question_ids, self.learner_id, self.get_argument("track"),
                                 self.get_argument("module"))
        self.reply({"question_ids": sorted(ids)})


class Completed(_Api):
    async def get(self):
        self.reply({"modules": sorted(await self.in_pool(self.store.completed_modules, self.learner_id))})


class Training(_Api):
    async def get(self):
        from ..results.training import summary_to_json
        from ..records.local import own_training_summary

        async def compute():
            summary = await self.in_pool(own_training_summary, self.store, self.learner_id, self.catalog_dir)
            return summary_to_json(summary)

        # the heaviest read (the gradebook and the learner's whole history): asked again within
        # a few seconds, or while it is being worked out, the same answer is given
        self.reply(await self.limits.training.get(self.learner_id, compute, self.limits.answered_at(self.learner_id)))


@web.stream_request_body
class TrailGrades(web.RequestHandler):
    """The trail writer's door for grade changes (``POST api/trail/grades``), for the trainers'
    formgrader only.  Two hub tokens, each checked with the hub: ``Authorization: token`` must be
    the formgrader service's own; ``X-ISO20K-Trainer-Token`` the signed-in trainer's (required for
    a grade given by hand).  The entry names the trainer the hub says owns that token, never a
    name from the request; a change from autograde without a trainer names the service."""

    MAX_BODY = 4 * 1024 * 1024

    def initialize(self, store: ProgressStore, hub_auth: HubAuth, executor: ThreadPoolExecutor, settings: Settings):
        self.store, self.hub_auth, self.executor, self.iso20k = store, hub_auth, executor, settings
        self._chunks: list[bytes] = []
        self._received = 0
        self._close_after = False

    def prepare(self):
        """The body is streamed, as in :class:`_Api`: one over ``MAX_BODY`` is refused with 413
        before it is read (Content-Length) or as soon as that much arrived (chunked)."""
        declared = self.request.headers.get("Content-Length", "").strip()
        if declared and (not _DIGITS.fullmatch(declared) or len(declared) > 12 or int(declared) > self.MAX_BODY):
            self._close_after = True
            raise web.HTTPError(413, "too many grade changes in one request")

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self._received += len(chunk)
        if self._received > self.MAX_BODY:
            self._chunks, self._close_after = [], True
            self.send_error(413, reason_text="too many grade changes in one request")
            return
        self._chunks.append(chunk)

    def check_xsrf_cookie(self):  # tokens only
        return None

    def write_error(self, status_code, **kwargs):
        _Api.write_error(self, status_code, **kwargs)

    async def _owner(self, token: str | None) -> dict | None:
        if not token:
            return None
        try:
            return await self.hub_auth.user_for_token(token, use_cache=False, sync=False)
        except Exception:  # noqa: BLE001 - a token the hub does not know is no identity
            return None

    async def _formgrader(self) -> None:
        from .config import FORMGRADER

        header = self.request.headers.get("Authorization", "")
        caller = await self._owner(header[6:].strip() if header.lower().startswith("token ") else None)
        if not caller or caller.get("kind") != "service" or caller.get("name") != FORMGRADER:
            raise web.HTTPError(403, "only the trainers' formgrader service may send grades to the audit trail")

    async def _trainer(self) -> str | None:
        """The trainer the hub says owns ``X-ISO20K-Trainer-Token`` (None without one; 403 when
        it is not the hub token of a trainer)."""
        from .accounts import GRADERS_GROUP

        trainer_token = self.request.headers.get("X-ISO20K-Trainer-Token")
        if not trainer_token:
            return None
        model = await self._owner(trainer_token)
        if (not model or model.get("kind", "user") != "user" or GRADERS_GROUP not in (model.get("groups") or [])
                or model.get("name") == self.iso20k.hub_grader_user):
            raise web.HTTPError(403, "the trainer's token is not the hub token of a trainer")
        return model["name"]

    async def post(self):
        from ..audit.grades import write_submissions
        from ..store.trail import anchor_path
        from .config import FORMGRADER

        await self._formgrader()
        trainer = await self._trainer()
        data = json_body(b"".join(self._chunks), TRAIL_JSON_DEPTH)
        source = data.get("source")
        if source not in ("formgrader", "autograde"):
            raise web.HTTPError(400, "source must be 'formgrader' or 'autograde'")
        if source == "formgrader" and trainer is None:
            raise web.HTTPError(403, "a grade given by hand needs the signed-in trainer's own hub token")
        submissions = _submissions(data.get("submissions"))
        extra = None
        if trainer is None and isinstance(data.get("claimed_by"), str):
            extra = {"claimed_by": data["claimed_by"][:200]}  # said by the caller, not checked
        actor = trainer or f"service:{FORMGRADER}"
        written = await ioloop.IOLoop.current().run_in_executor(
            self.executor, write_submissions, self.store, submissions, actor, source, None, None, extra,
            anchor_path(self.iso20k))  # the store moves this writer's anchor after the commit
        log.info("trail: %d grade entr%s from %s by %s", len(written), "y" if len(written) == 1 else "ies",
                 source, actor)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"entries": [{"seq": e.seq, "hash": e.hash, "action": e.action, "actor": e.actor}
                                            for e in written]}))


class TrailCertificates(TrailGrades):
    """``POST api/trail/certificates``: after grades were saved, the trainers' formgrader (or
    ``iso20k autograde`` in its terminal) asks the trail writer to issue the certificates they
    complete, ``{"students": [nbgrader student ids], "tracks": [the graded assessments' tracks]}``.  The grader account may not write the
    store, so the records service issues: it reads the record itself (the gradebook read-only)
    and issues only the certificates it shows were earned and not yet issued
    (:func:`iso20k.certificates.workflow.issue_for`), each in the trail under the trainer the hub
    names for the trainer token, else the formgrader service.  Asking again issues nothing new."""

    def initialize(self, issuing: Issuing, **kwargs):
        super().initialize(**kwargs)
        self.issuing = issuing

    MAX_BODY = 256 * 1024

    async def post(self):
        from .config import FORMGRADER

        await self._formgrader()
        trainer = await self._trainer()
        from ..tracks import TRACKS

        data = json_body(b"".join(self._chunks), TRAIL_JSON_DEPTH)
        students, tracks = data.get("students"), data.get("tracks")
        if (not isinstance(students, list) or not 1 <= len(students) <= 5000
                or not all(isinstance(s, str) and 0 < len(s) <= 200 for s in students)):
            raise web.HTTPError(400, "students must be a list of 1 to 5000 nbgrader student ids")
        if tracks is not None and (not isinstance(tracks, list) or not all(t in TRACKS for t in tracks)):
            raise web.HTTPError(400, f"tracks must be a list of tracks ({', '.join(TRACKS)})")
        actor = trainer or f"service:{FORMGRADER}"
        try:
            issued = await self.issuing.issue(actor, students, tracks)
        except Exception as exc:  # noqa: BLE001 - said to the caller; 'iso20k certificates issue' catches up
            log.exception("certificates: issuing for %d learner(s) failed", len(set(students)))
            self.send_error(500, reason_text=f"the certificates could not be issued ({type(exc).__name__}); "
                                             "the grades are saved: see the records service's log")
            return
        log.info("certificates: %d issued for %d learner(s) asked by %s", len(issued), len(set(students)), actor)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"certificates": [
            {"code": c.code, "employee_id": c.employee_id, "track": c.track, "valid_until": c.valid_until.isoformat()}
            for c in issued]}))


class TrailRoster(TrailGrades):
    """``GET api/trail/roster``: the active roster (id, name, e-mail) for the formgrader's
    'iso20k sync-roster' (nbgrader's student list), which cannot read the store on the hub."""

    async def get(self):
        from ..roster import roster

        await self._formgrader()
        people = await ioloop.IOLoop.current().run_in_executor(self.executor, roster, self.store)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"people": [{"employee_id": p["employee_id"], "name": p["name"], "email": p["email"]}
                                           for p in people]}, ensure_ascii=False))

    async def post(self):
        raise web.HTTPError(405)


def _score(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) > 1e9:
        raise web.HTTPError(400, "a score must be a number or null")
    return round(float(value), 6)


def _submissions(items) -> list[dict]:
    """The grade changes of a request, checked field by field and rebuilt (nothing else passes)."""
    if not isinstance(items, list) or not items or len(items) > 5000:
        raise web.HTTPError(400, "submissions must be a list of 1 to 5000 grade changes")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise web.HTTPError(400, "each submission must be an object")
        fields = {}
        for name, limit in (("assignment", 200), ("student", 200), ("submission", 100)):
            value = item.get(name, "")
            if not isinstance(value, str) or len(value) > limit or (name != "submission" and not value):
                raise web.HTTPError(400, f"{name} must be a text of at most {limit} characters")
            fields[name] = value
        grades = item.get("grades")
        if not isinstance(grades, dict) or not grades or len(grades) > 2000:
            raise web.HTTPError(400, "grades must map notebook/cell to [old, new]")
        checked = {}
        for key, change in grades.items():
            if not isinstance(key, str) or "/" not in key or len(key) > 400:
                raise web.HTTPError(400, "a grade is named notebook/cell")
            if not isinstance(change, list) or len(change) != 2:
                raise web.HTTPError(400, "a grade change is [old, new]")
            checked[key] = [_score(change[0]), _score(change[1])]
        out.append({**fields, "removed": item.get("removed") is True, "grades": checked})
    return out


class Language(_Api):
    async def put(self):
        language = self.body().get("language")
        try:
            check_language(language)
        except ValueError as exc:
            raise web.HTTPError(400, "%s", str(exc)) from None
        await self.in_pool(self.store.set_language, self.learner_id, language)
        self.reply({"language": language})


#: Requests that cost more than one token of the learner's request bucket ("My training" reads
#: the course's gradebook and the learner's whole history).
_COST = {Training: 5}


class TrailHandIns(TrailGrades):
    """``POST api/trail/hand-ins``: the trail writer's door for hand-ins that collect refused and
    quarantined (:mod:`iso20k.hub.trail_handins`), for the trainers' formgrader service only; the
    body is streamed and limited like the grade door's."""

    MAX_BODY = trail_handins.MAX_BODY

    async def post(self):
        from ..store.trail import anchor_path, append

        await self._formgrader()
        report = trail_handins.checked_report(json_body(b"".join(self._chunks), TRAIL_JSON_DEPTH))
        subject = f"{report['claimed_student']}/{report['assignment']}"
        actor = f"service:{FORMGRADER}"

        def write():
            return append(self.store, actor, trail_handins.ACTION, subject, report, anchor=anchor_path(self.iso20k))

        entry = await ioloop.IOLoop.current().run_in_executor(self.executor, write)
        log.info("trail: hand-in quarantined (%s), reported by %s", subject, actor)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"seq": entry.seq, "hash": entry.hash}))


class ExamSittings(TrailGrades):
    """``POST api/exam/sittings`` ``{"assignment", "action": "start" | "hand-in"}``: a learner's
    fetch opens (or resumes) their sitting of a timed assessment, their hand-in closes it
    (:mod:`iso20k.grading.sittings`).  The learner is whoever the hub says owns the token (their
    own server's), the minutes come from the assessment's release in the exchange, the moment
    from this service's clock: nothing in the request but the assessment's name and the action."""

    MAX_BODY = 4096

    async def post(self):
        from ..grading.form_notebook import RELEASED_POOL
        from ..grading.sittings import RetakeRefused, record_hand_in, start_or_resume, to_json
        from ..tracks import TRACK_OF_ASSESSMENT

        header = self.request.headers.get("Authorization", "")
        caller = await self._owner(header[6:].strip() if header.lower().startswith("token ") else None)
        if not caller or caller.get("kind", "user") != "user":
            raise web.HTTPError(403, "sign in to the hub: a sitting belongs to the learner whose token this is")
        data = json_body(b"".join(self._chunks), 3)
        assignment, action = data.get("assignment"), data.get("action")
        if assignment not in TRACK_OF_ASSESSMENT or action not in ("start", "hand-in"):
            raise web.HTTPError(400, "assignment must be an assessment of the course and action 'start' or 'hand-in'")
        learner, settings = caller["name"], self.iso20k
        released = Path(settings.exchange_dir or "") / COURSE_ID / "outbound" / assignment / RELEASED_POOL
        try:
            minutes = int(json.loads(released.read_text(encoding="utf-8"))["exam"]["minutes"])
        except (OSError, ValueError, KeyError, TypeError):
            raise web.HTTPError(404, "%s is not released with per-learner forms", assignment) from None
        def work():  # the service's store is the trail writer's: the anchor moves after each entry
            if action == "start":
                return start_or_resume(settings, learner, assignment, minutes, store=self.store,
                                       actor=f"learner:{learner}")
            return record_hand_in(settings, learner, assignment, store=self.store, actor=f"learner:{learner}"), False

        try:
            sitting, new = await ioloop.IOLoop.current().run_in_executor(self.executor, work)
        except RetakeRefused as exc:
            raise web.HTTPError(409, "%s", str(exc)) from None
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"sitting": to_json(sitting) if sitting else None, "new": new}, ensure_ascii=False))


class TrailSittings(TrailGrades):
    """``GET api/trail/sittings``: every sitting of a timed assessment, for the trainers' formgrader
    (``iso20k autograde`` judges each hand-in against the form of its attempt and counts its time
    from the sitting's start), which cannot read the store on the hub."""

    async def get(self):
        from ..grading.sittings import read_sittings, to_json

        await self._formgrader()
        found = await ioloop.IOLoop.current().run_in_executor(self.executor, read_sittings, self.store)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"sittings": [to_json(s) for mine in found.values() for s in mine]}, ensure_ascii=False))

    async def post(self):
        raise web.HTTPError(405)


def keyed_catalog(settings: Settings) -> Catalog:
    """The banks with the keys, or an error saying where they should be."""
    catalog = cached_catalog(settings.keyed_banks_dir)
    if not catalog.keyed:
        raise SystemExit(f"ISO20K_KEYED_BANKS_DIR ({settings.keyed_banks_dir}) holds learners' copies without "
                         "answers: point it at the banks with the keys (docs/deployment.md)")
    return catalog


def log_request(handler: web.RequestHandler) -> None:
    """Tornado's access log, for what goes wrong only: a refusal (4xx) or a failure (5xx), with
    its time.  Requests answered well are not logged one by one (at a thousand answers a second
    that would be most of the service's log); an answer's own line says who answered what."""
    status = handler.get_status()
    if status < 400:
        return
    logger = logging.getLogger("tornado.access")
    (logger.warning if status < 500 else logger.error)(
        "%d %s %.1fms", status, handler._request_summary(), 1000.0 * handler.request.request_time())


def make_app(settings: Settings, prefix: str = "/", hub_auth: HubAuth | None = None,
             shared: SharedRates | None = None) -> web.Application:
    """The service's Tornado application, mounted under ``prefix``; ``shared``: the rate-limit
    buckets of all the service's processes (one process: its own)."""
    from ..store.progress import trail_writer

    # the trail writer keeps each learner's newest answer link beside the trail's anchor
    store = trail_writer(settings, pool_size=settings.records_db_threads)
    hub_auth = hub_auth or HubAuth(cache_max_age=60)
    executor = ThreadPoolExecutor(settings.records_db_threads, thread_name_prefix="records-db")
    issuing = Issuing(store, settings, executor)
    owners = TokenOwners(hub_auth, settings.records_token_cache_size, settings.records_token_cache_s,
                         shared=shared.tokens if shared else None)
    kwargs = dict(store=store, catalog=keyed_catalog(settings), names=LearnerNames(store),
                  hub_auth=hub_auth, executor=executor, catalog_dir=settings.keyed_banks_dir,
                  limits=Limits(settings, shared), issuing=issuing, owners=owners,
                  answers=store.async_answers(settings.records_db_threads))
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    routes = [("api/me", Me), ("api/answers", Answers), ("api/attempts", Attempts), ("api/start-order", StartOrder),
              ("api/correct", Correct), ("api/completed", Completed), ("api/language", Language),
              ("api/training", Training), ("api/last-answer", LastAnswerApi)]
    trail = dict(store=store, hub_auth=hub_auth, executor=executor, settings=settings)
    certs = dict(trail, issuing=issuing)
    return web.Application([(prefix + path, handler, kwargs) for path, handler in routes]
                           + [(prefix + "api/trail/grades", TrailGrades, trail),
                              (prefix + "api/trail/roster", TrailRoster, trail),
                              (prefix + "api/trail/certificates", TrailCertificates, certs),
                              (prefix + "api/trail/hand-ins", TrailHandIns, trail),
                              (prefix + "api/trail/sittings", TrailSittings, trail),
                              (prefix + "api/exam/sittings", ExamSittings, trail)]
                           + [(r"/.*", NotFound, kwargs)], log_function=log_request)


def server_options(settings: Settings) -> dict:
    """Options of the service's HTTPServer.  Every handler streams its body and refuses one over
    ``records_max_body_bytes`` with 413 after reading at most that much (see :class:`_Api`), so
    the server's own body ceiling is set out of the way: Tornado would cut a request past it off
    with a bare 400 and no explanation.  The read buffer stays small (the server reads 64 KB at a
    time); a body that trickles in is dropped after ``body_timeout``."""
    return dict(max_body_size=1 << 40, max_buffer_size=max(4 * settings.records_max_body_bytes, 1 << 20),
                idle_connection_timeout=60, body_timeout=30)


def listen(app: web.Application, port: int, address: str, settings: Settings) -> HTTPServer:
    """Serve ``app`` on ``address:port`` with :func:`server_options` (see :func:`bind`)."""
    return serve(app, bind(port, address, settings), settings)


def bind(port: int, address: str, settings: Settings, reuse_port: bool = False) -> list[socket.socket]:
    """The service's listening sockets, with a receive buffer that holds a few largest bodies
    only: a client streaming 80 MB can then push no more than that into the kernel before its
    request is refused and closed (the receiving, which the kernel does in the service's own
    system calls, stays small however fast the client sends).  ``reuse_port``: each of the
    service's processes binds its own socket to the one port (SO_REUSEPORT) and the kernel
    spreads the connections evenly over them."""
    sockets = netutil.bind_sockets(port, address=address, backlog=4096, reuse_port=reuse_port)
    for sock in sockets:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes(settings))
    return sockets


def serve(app: web.Application, sockets: list[socket.socket], settings: Settings) -> HTTPServer:
    server = HTTPServer(app, **server_options(settings))
    server.add_sockets(sockets)
    return server


def receive_buffer_bytes(settings: Settings) -> int:
    return max(64 * 1024, 2 * settings.records_max_body_bytes)


def process_count(settings: Settings) -> int:
    """How many processes serve the port: ISO20K_RECORDS_PROCESSES, else one per CPU core."""
    return settings.records_processes or os.cpu_count() or 1


def _end_with(parent: int) -> None:
    """This process ends when ``parent`` does (the hub stops the service by its first process;
    the others must not keep the port)."""
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it ended before the request above
        os._exit(0)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[records %(process)d %(asctime)s] %(message)s")
    enter_service_account()
    # The database threads hold the GIL while they work; the event loop asks for it back after
    # 1 ms instead of 5, so a refusal or a cached reply is not kept waiting behind them.
    sys.setswitchinterval(0.001)
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    settings = get_settings()
    address = service_bind_address(settings, url)
    processes = process_count(settings)
    shared = SharedRates(settings.records_token_cache_size) if processes > 1 else None
    if processes > 1:
        # Each process binds its own socket to the one port (SO_REUSEPORT; the kernel hands each
        # new connection to one of them by a hash of its addresses).  The first process started
        # keeps watching the others and starts one again if it dies; each child opens its own
        # database connections, hub client and event loop after the fork (make_app below).
        log.info("records service: %d processes on %s:%s", processes, address, url.port)
        from tornado.process import fork_processes

        parent = os.getpid()
        try:
            fork_processes(processes, max_restarts=1000)
        except KeyboardInterrupt:  # the hub stops its services with SIGINT; the others end with this one
            return
        _end_with(parent)
    sockets = bind(url.port, address, settings, reuse_port=processes > 1)
    app = make_app(settings, os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/"), shared=shared)
    # What was made to start (the banks, the modules, the application) lives as long as the
    # process: kept out of the collector's full passes, which would otherwise walk it all again
    # every few thousand requests and hold every answer in flight meanwhile.
    # A request makes a few thousand short-lived objects: the young generation is collected
    # every 50,000 of them instead of every 700 (most are freed by their counts long before).
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    serve(app, sockets, settings)
    log.info("records service listening on %s:%s", address, url.port)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
