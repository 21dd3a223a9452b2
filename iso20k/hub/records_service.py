"""The records service: a JupyterHub service that judges and stores learners' quiz answers.

A learner's kernel calls it with the token of the learner's own server
(``JUPYTERHUB_API_TOKEN``).  The service asks the hub whose token it is and records under that
person, whatever the request says; it judges the response against the question bank itself
(the banks with the keys, ISO20K_KEYED_BANKS_DIR, which only this service can read) and sends
back the verdict with the explanation to show; the database credentials live only here.  Run
by the hub (see :mod:`iso20k.hub.config`)::

    python -m iso20k.hub.records_service
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from jupyterhub.services.auth import HubAuth, HubAuthenticated
from tornado import ioloop, web

from ..banks import Catalog, cached_catalog
from ..records import RecordsError, ResponseError, judge_and_record
from ..records.judge import start_order
from ..settings import LANGUAGES, Settings, get_settings
from ..store import ProgressStore
from .config import enter_service_account
from .learners import LearnerNames

log = logging.getLogger("iso20k.records")


class _Api(HubAuthenticated, web.RequestHandler):
    """Token-authenticated JSON API; every handler acts for the token's owner only."""

    def initialize(self, store: ProgressStore, catalog: Catalog, names: LearnerNames, hub_auth: HubAuth,
                   executor: ThreadPoolExecutor, catalog_dir):
        self.store, self.catalog, self.names, self.hub_auth = store, catalog, names, hub_auth
        self.executor, self.catalog_dir = executor, catalog_dir

    async def in_pool(self, fn, *args):
        """Database work off the event loop, so one learner's write does not queue the others'."""
        return await ioloop.IOLoop.current().run_in_executor(self.executor, fn, *args)

    def check_xsrf_cookie(self):  # tokens only: no cookie is ever accepted (see get_current_user)
        return None

    def get_current_user(self):
        if not self.request.headers.get("Authorization", "").startswith("token "):
            return None  # a browser cookie never authenticates a write
        return super().get_current_user()

    def prepare(self):
        user = self.current_user
        if not user or user.get("kind", "user") != "user":
            raise web.HTTPError(403, "sign in to the hub: this service acts for learners only")
        self.learner_id = self.names.learner_id(user["name"])

    def write_error(self, status_code, **kwargs):
        reason = kwargs.get("exc_info", (None, None))[1]
        message = getattr(reason, "log_message", None) or self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": status_code, "message": message}, ensure_ascii=False))

    def body(self) -> dict:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise web.HTTPError(400, "the request body is not JSON") from None
        if not isinstance(data, dict):
            raise web.HTTPError(400, "the request body must be a JSON object")
        return data

    def reply(self, data) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, ensure_ascii=False))


class Me(_Api):
    def get(self):
        self.reply({"learner_id": self.learner_id, "language": self.store.language(self.learner_id)})


class Answers(_Api):
    async def post(self):
        data = self.body()
        question_id, language = data.get("question_id"), data.get("language")
        if not isinstance(question_id, str):
            raise web.HTTPError(400, "question_id is missing")
        try:
            verdict = await self.in_pool(judge_and_record, self.store, self.catalog, self.learner_id,
                                         question_id, data.get("response"), language)
        except KeyError:
            raise web.HTTPError(404, f"no question {question_id!r}") from None
        except ResponseError as exc:
            raise web.HTTPError(400, str(exc)) from None
        except RecordsError as exc:
            raise web.HTTPError(503, str(exc)) from None
        log.info("answer recorded: learner=%s question=%s attempt=%d correct=%s",
                 verdict.learner_id, verdict.question_id, verdict.attempt, verdict.correct)
        self.reply(verdict.to_json())


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
        from ..learner.summary import summary_to_json
        from ..records.local import own_training_summary

        summary = await self.in_pool(own_training_summary, self.store, self.learner_id, self.catalog_dir)
        self.reply(summary_to_json(summary))


class TrailGrades(web.RequestHandler):
    """The trail writer's door for grade changes (``POST api/trail/grades``), for the trainers'
    formgrader only.  Two hub tokens, each checked with the hub: ``Authorization: token`` must be
    the formgrader service's own; ``X-ISO20K-Trainer-Token`` the signed-in trainer's (required for
    a grade given by hand).  The entry names the trainer the hub says owns that token, never a
    name from the request; a change from autograde without a trainer names the service."""

    MAX_BODY = 4 * 1024 * 1024

    def initialize(self, store: ProgressStore, hub_auth: HubAuth, executor: ThreadPoolExecutor, settings: Settings):
        self.store, self.hub_auth, self.executor, self.iso20k = store, hub_auth, executor, settings

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

    async def post(self):
        from ..audit.chain import write_anchor
        from ..audit.grades import write_submissions
        from ..audit.verify import anchor_path
        from .accounts import GRADERS_GROUP
        from .config import FORMGRADER

        await self._formgrader()
        trainer = None
        trainer_token = self.request.headers.get("X-ISO20K-Trainer-Token")
        if trainer_token:
            model = await self._owner(trainer_token)
            if (not model or model.get("kind", "user") != "user" or GRADERS_GROUP not in (model.get("groups") or [])
                    or model.get("name") == self.iso20k.hub_grader_user):
                raise web.HTTPError(403, "the trainer's token is not the hub token of a trainer")
            trainer = model["name"]
        if len(self.request.body or b"") > self.MAX_BODY:
            raise web.HTTPError(413, "too many grade changes in one request")
        data = _Api.body(self)
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
            self.executor, write_submissions, self.store, submissions, actor, source, None, None, extra)
        if written:
            write_anchor(anchor_path(self.iso20k), written[-1])
        log.info("trail: %d grade entr%s from %s by %s", len(written), "y" if len(written) == 1 else "ies",
                 source, actor)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"entries": [{"seq": e.seq, "hash": e.hash, "action": e.action, "actor": e.actor}
                                            for e in written]}))


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
        if language not in LANGUAGES:
            raise web.HTTPError(400, f"language must be one of {', '.join(LANGUAGES)}")
        await self.in_pool(self.store.set_language, self.learner_id, language)
        self.reply({"language": language})


def keyed_catalog(settings: Settings) -> Catalog:
    """The banks with the keys, or an error saying where they should be."""
    catalog = cached_catalog(settings.keyed_banks_dir)
    if not catalog.keyed:
        raise SystemExit(f"ISO20K_KEYED_BANKS_DIR ({settings.keyed_banks_dir}) holds learners' copies without "
                         "answers: point it at the banks with the keys (docs/deployment.md)")
    return catalog


def make_app(settings: Settings, prefix: str = "/", hub_auth: HubAuth | None = None) -> web.Application:
    """The service's Tornado application, mounted under ``prefix``."""
    from ..store.evidence import answer_anchor_dir

    # the trail writer keeps each learner's newest answer link beside the trail's anchor
    store = ProgressStore(settings=settings, anchor_dir=answer_anchor_dir(settings))
    hub_auth = hub_auth or HubAuth(cache_max_age=60)
    kwargs = dict(store=store, catalog=keyed_catalog(settings), names=LearnerNames(store),
                  hub_auth=hub_auth, executor=ThreadPoolExecutor(8, thread_name_prefix="records-db"),
                  catalog_dir=settings.keyed_banks_dir)
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    routes = [("api/me", Me), ("api/answers", Answers), ("api/attempts", Attempts), ("api/start-order", StartOrder),
              ("api/correct", Correct), ("api/completed", Completed), ("api/language", Language),
              ("api/training", Training)]
    trail = dict(store=store, hub_auth=hub_auth, executor=kwargs["executor"], settings=settings)
    return web.Application([(prefix + path, handler, kwargs) for path, handler in routes]
                           + [(prefix + "api/trail/grades", TrailGrades, trail),
                              (prefix + "api/trail/roster", TrailRoster, trail)])


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[records %(asctime)s] %(message)s")
    enter_service_account()
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    app = make_app(get_settings(), os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/"))
    app.listen(url.port, address=url.hostname)
    log.info("records service listening on %s:%s", url.hostname, url.port)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
