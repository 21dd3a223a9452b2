"""Records kept by the hub's records service: the kernel sends the learner's hub token and the
response; the service decides who the learner is and whether the answer is right."""

from __future__ import annotations

import urllib.parse
from typing import Any

from ..http_json import HttpRefused, HttpUnreachable, call_json
from .interface import LastAnswer, Records, RecordsError, Verdict


class ServiceRecords(Records):
    """Talks to :mod:`iso20k.hub.records_service` at ``base_url`` with the server's hub token."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 10.0):
        if not token:
            raise RecordsError("no JupyterHub token in this server's environment (JUPYTERHUB_API_TOKEN); "
                               "the records service cannot know who you are")
        self.base_url = base_url.rstrip("/") + "/"
        self._token = token
        self.timeout_s = timeout_s
        me = self._call("GET", "api/me")
        self.learner_id = me["learner_id"]
        self._language = me.get("language")

    def _call(self, method: str, path: str, body: dict | None = None, **query) -> Any:
        try:
            return call_json(urllib.parse.urljoin(self.base_url, path), self._token, method, body,
                             self.timeout_s, **query)
        except HttpRefused as exc:
            raise RecordsError(f"records service refused {method} {path}: {exc}") from None
        except HttpUnreachable as exc:
            raise RecordsError(f"records service unreachable at {self.base_url}: {exc}") from None

    def answer(self, question_id: str, response: Any, language: str) -> Verdict:
        return Verdict.from_json(self._call("POST", "api/answers", {
            "question_id": question_id, "response": response, "language": language}))

    def start_order(self, question_id: str) -> list[str]:
        order = self._call("GET", "api/start-order", question_id=question_id).get("order")
        if not isinstance(order, list) or not all(isinstance(x, str) for x in order):
            raise RecordsError("records service sent no start order")
        return order

    def attempts(self, question_id: str) -> int:
        return int(self._call("GET", "api/attempts", question_id=question_id)["attempts"])

    def last_answer(self, question_id: str) -> LastAnswer | None:
        data = self._call("GET", "api/last-answer", question_id=question_id).get("answer")
        return None if data is None else LastAnswer.from_json(data)

    def correct_question_ids(self, track: str, module: str) -> set[str]:
        return set(self._call("GET", "api/correct", track=track, module=module)["question_ids"])

    def completed_modules(self) -> set[str]:
        return set(self._call("GET", "api/completed")["modules"])

    def training_summary(self):
        from ..results.training import summary_from_json

        return summary_from_json(self._call("GET", "api/training"))

    def language(self) -> str | None:
        return self._language

    def set_language(self, language: str) -> None:
        self._call("PUT", "api/language", {"language": language})
        self._language = language
