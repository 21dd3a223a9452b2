"""Records kept by the hub's records service: the kernel sends the learner's hub token and the
response; the service decides who the learner is and whether the answer is right."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from .interface import Records, RecordsError, Verdict


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
        url = urllib.parse.urljoin(self.base_url, path)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"token {self._token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                return json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("message") or exc.reason
            except Exception:
                message = exc.reason
            raise RecordsError(f"records service refused {method} {path}: {exc.code} {message}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise RecordsError(f"records service unreachable at {self.base_url}: {exc}") from None

    def answer(self, question_id: str, response: Any, language: str) -> Verdict:
        return Verdict.from_json(self._call("POST", "api/answers", {
            "question_id": question_id, "response": response, "language": language}))

    def attempts(self, question_id: str) -> int:
        return int(self._call("GET", "api/attempts", question_id=question_id)["attempts"])

    def correct_question_ids(self, track: str, module: str) -> set[str]:
        return set(self._call("GET", "api/correct", track=track, module=module)["question_ids"])

    def completed_modules(self) -> set[str]:
        return set(self._call("GET", "api/completed")["modules"])

    def training_summary(self):
        from ..learner.summary import summary_from_json

        return summary_from_json(self._call("GET", "api/training"))

    def language(self) -> str | None:
        return self._language

    def set_language(self, language: str) -> None:
        self._call("PUT", "api/language", {"language": language})
        self._language = language
