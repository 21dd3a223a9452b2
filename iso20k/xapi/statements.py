"""Learning records as xAPI 1.0.3 statements: quiz answers (answered), lesson modules (completed)
and graded assessments (passed / failed).  Each employee is an account on the company's home page;
activity names and verbs carry English and Simplified Chinese language maps; questions are
``cmi.interaction`` activities with the interaction type of their question type.  Every statement
is validated with ralph's pydantic xAPI models (``ralph.models.xapi``) before it leaves."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timezone
from typing import Any, Iterable

from ..banks import Catalog
from ..banks.model import Question
from ..results import Snapshot, day_in
from ..tracks import ASSESSMENTS, TRACK_TITLES

VERSION = "1.0.3"
ADL = "http://adlnet.gov/expapi"
VERBS = {
    "answered": {"en-US": "answered", "zh-CN": "作答"},
    "completed": {"en-US": "completed", "zh-CN": "完成"},
    "passed": {"en-US": "passed", "zh-CN": "通过"},
    "failed": {"en-US": "failed", "zh-CN": "未通过"},
}
INTERACTION_TYPES = {"single": "choice", "multiple": "choice", "scenario": "choice", "true_false": "true-false",
                     "ordering": "sequencing", "matching": "matching"}
_NAMESPACE = uuid.UUID("6d1f3f0e-4c2a-4b8e-9a57-20000a11ce00")


class StatementError(ValueError):
    """A statement failed validation against the xAPI models."""


def _lang(text_en: str, text_zh: str) -> dict[str, str]:
    return {"en-US": text_en, "zh-CN": text_zh}


def _verb(name: str) -> dict:
    return {"id": f"{ADL}/verbs/{name}", "display": VERBS[name]}


def _stamp(value: Any) -> str:
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
    return str(value)


class Builder:
    """Makes statements for one company."""

    def __init__(self, home_page: str, catalog: Catalog, names: dict[str, str]):
        self.home = home_page.rstrip("/")
        self.catalog = catalog
        self.names = names

    def actor(self, employee_id: str) -> dict:
        actor = {"objectType": "Agent", "account": {"homePage": self.home, "name": employee_id}}
        if self.names.get(employee_id):
            actor["name"] = self.names[employee_id]
        return actor

    def _id(self, *parts: str) -> str:
        return str(uuid.uuid5(_NAMESPACE, "|".join([self.home, *parts])))

    def activity(self, kind: str, path: str) -> str:
        return f"{self.home}/xapi/{kind}/{path}"

    def module_activity(self, track: str, module: str) -> dict:
        bank = self.catalog.banks.get(f"{track}/{module}")
        name = _lang(bank.title.en, bank.title.zh) if bank else _lang(module, module)
        return {"objectType": "Activity", "id": self.activity("module", f"{track}/{module}"),
                "definition": {"type": f"{ADL}/activities/lesson", "name": name}}

    def question_activity(self, q: Question) -> dict:
        kind = INTERACTION_TYPES[q.type]
        definition: dict[str, Any] = {
            "type": f"{ADL}/activities/cmi.interaction",
            "name": _lang(f"{q.track}/{q.module}/{q.id}", f"{q.track}/{q.module}/{q.id}"),
            "description": _lang(q.prompt.en, q.prompt.zh),
            "interactionType": kind,
        }
        components = [{"id": o.id, "description": _lang(o.en, o.zh)} for o in q.options]
        if kind in ("choice", "sequencing") and components:
            definition["choices"] = components
        if kind == "matching":
            definition["source"] = components
            definition["target"] = [{"id": c.id, "description": _lang(c.en, c.zh)} for c in q.categories]
        pattern = format_response(q, q.answer)
        if pattern is not None:
            definition["correctResponsesPattern"] = [pattern]
        return {"objectType": "Activity", "id": self.activity("question", q.full_id), "definition": definition}

    def answered(self, row: dict) -> dict:
        q = self.catalog.questions.get(row["question_id"])
        result: dict[str, Any] = {"success": bool(row["correct"])}
        if q is not None:
            obj = self.question_activity(q)
            response = format_response(q, row["response"])
            if response is not None:
                result["response"] = response
        else:  # a question since removed from the banks: still the learner's record
            obj = {"objectType": "Activity", "id": self.activity("question", row["question_id"]),
                   "definition": {"type": f"{ADL}/activities/cmi.interaction",
                                  "name": _lang(row["question_id"], row["question_id"]),
                                  "interactionType": "other"}}
        return {
            "id": self._id("answered", row["learner_id"], row["question_id"], str(row["attempt"])),
            "actor": self.actor(row["learner_id"]), "verb": _verb("answered"), "object": obj, "result": result,
            "context": {"platform": "iso20k", "language": "zh-CN" if row["language"] == "zh" else "en-US",
                        "extensions": {f"{self.home}/xapi/extensions/attempt": row["attempt"]},
                        "contextActivities": {"parent": [self.module_activity(row["track"], row["module"])]}},
            "timestamp": _stamp(row["answered_at"]), "version": VERSION,
        }

    def completed(self, learner_id: str, track: str, module: str, at) -> dict:
        return {
            "id": self._id("completed", learner_id, track, module),
            "actor": self.actor(learner_id), "verb": _verb("completed"),
            "object": self.module_activity(track, module), "result": {"completion": True},
            "context": {"platform": "iso20k"}, "timestamp": _stamp(at), "version": VERSION,
        }

    def assessed(self, learner_id: str, track: str, score: float, max_score: float, passed: bool, on: date,
                 pass_mark: float) -> dict:
        verb = "passed" if passed else "failed"
        assignment = ASSESSMENTS[track]
        titles = TRACK_TITLES[track]
        return {
            "id": self._id(verb, learner_id, assignment, _stamp(on)),
            "actor": self.actor(learner_id), "verb": _verb(verb),
            "object": {"objectType": "Activity", "id": self.activity("assessment", assignment),
                       "definition": {"type": f"{ADL}/activities/assessment",
                                      "name": _lang(f"{titles['en']} assessment", f"{titles['zh']}考核")}},
            "result": {"score": {"raw": round(score, 4), "min": 0, "max": max_score,
                                 "scaled": round(score / max_score, 4) if max_score else 0},
                       "success": passed, "completion": True},
            "context": {"platform": "iso20k",
                        "extensions": {f"{self.home}/xapi/extensions/pass-mark": pass_mark}},
            "timestamp": _stamp(on), "version": VERSION,
        }


def format_response(q: Question, value: Any) -> str | None:
    """An xAPI response string for ``value`` in the shape of the question's answer; None when the
    stored response has another shape (e.g. made-up demo answers)."""
    kind = INTERACTION_TYPES[q.type]
    try:
        if kind == "true-false":
            return "true" if value is True else "false" if value is False else None
        if kind == "choice":
            items = value if isinstance(value, (list, tuple)) else [value]
            return "[,]".join(str(v) for v in items) if all(isinstance(v, str) for v in items) else None
        if kind == "sequencing":
            return "[,]".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else None
        if kind == "matching":
            if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                return "[,]".join(f"{k}[.]{v}" for k, v in sorted(value.items()))
    except TypeError:
        return None
    return None


def validate(statement: dict) -> dict:
    """Check one statement against ralph's xAPI models; returns it unchanged or raises StatementError."""
    from pydantic import ValidationError
    from ralph.models.xapi.base.statements import BaseXapiStatement

    try:
        BaseXapiStatement(**statement)
    except ValidationError as exc:
        raise StatementError(f"statement {statement.get('id')} ({statement['verb']['id']}): {exc}") from exc
    return statement


def build_statements(snap: Snapshot, answers: Iterable[dict], completions: Iterable[tuple], catalog: Catalog,
                     home_page: str, as_of: date, department: str | None = None) -> list[dict]:
    """Every statement about the chosen employees up to ``as_of``, validated, oldest first."""
    people = {p.employee_id: p for p in snap.people if not department or p.department == department}
    builder = Builder(home_page, catalog, {eid: p.name for eid, p in people.items()})
    out = []
    for row in answers:
        if row["learner_id"] in people and day_in(row["answered_at"], snap.zone) <= as_of:
            out.append(builder.answered(row))
    for learner, track, module, at in completions:
        if learner in people and day_in(at, snap.zone) <= as_of:
            out.append(builder.completed(learner, track, module, at))
    for (eid, track), sub in sorted(snap.submissions.items()):
        if eid not in people or sub.submitted_on is None:
            continue
        verdict = snap.passed(eid, track, as_of)
        if verdict is None:
            continue
        out.append(builder.assessed(eid, track, sub.score, sub.max_score, verdict, sub.submitted_on,
                                    snap.pass_marks.get(track, 1.0)))
    out.sort(key=lambda s: s["timestamp"])
    return [validate(s) for s in out]

