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
    store = ProgressStore(settings=settings)
    hub_auth = hub_auth or HubAuth(cache_max_age=60)
    kwargs = dict(store=store, catalog=keyed_catalog(settings), names=LearnerNames(store),
                  hub_auth=hub_auth, executor=ThreadPoolExecutor(8, thread_name_prefix="records-db"),
                  catalog_dir=settings.keyed_banks_dir)
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    routes = [("api/me", Me), ("api/answers", Answers), ("api/attempts", Attempts), ("api/start-order", StartOrder),
              ("api/correct", Correct), ("api/completed", Completed), ("api/language", Language),
              ("api/training", Training)]
    return web.Application([(prefix + path, handler, kwargs) for path, handler in routes])


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
