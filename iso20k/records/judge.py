"""Trusted judging: check a response's shape, compare it with the bank, record the result.

The only place an answer is judged.  The in-process records call it in the learner's own
process (single-user default); the records service calls it in the hub's service, where the
learner's kernel cannot reach it.
"""

from __future__ import annotations

import json
from typing import Any

from ..banks import Catalog, Question
from ..settings import TRACKS, check_language
from ..store import NotEnrolledIn, ProgressStore
from ..shuffle import ordering_start
from .interface import LastAnswer, RecordsError, Verdict

MAX_RESPONSE_BYTES = 4096


class ResponseError(ValueError):
    """A response that cannot be an answer to the question (wrong shape, unknown option)."""


class NotEnrolled(PermissionError):
    """An answer to a track the roster does not enrol the learner in (nothing is stored)."""


def check_response(question: Question, response: Any) -> Any:
    """``response`` in the shape the question's answer has, or :class:`ResponseError`."""
    try:
        size = len(json.dumps(response, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise ResponseError(f"{question.full_id}: the response is not plain data ({exc})") from None
    if size > MAX_RESPONSE_BYTES:
        raise ResponseError(f"{question.full_id}: the response is {size} bytes; at most {MAX_RESPONSE_BYTES}")
    options = {o.id for o in question.options}
    kind = question.type
    if isinstance(question.answer, bool):  # true/false questions keep their answer as a boolean
        if not isinstance(response, bool):
            raise ResponseError(f"{question.full_id}: answer true or false, not {short_repr(response)}")
        return response
    if kind in ("single", "scenario", "true_false"):
        if not isinstance(response, str) or response not in options:
            raise ResponseError(f"{question.full_id}: {short_repr(response)} is not one of the options "
                                f"{', '.join(sorted(options))}")
        return response
    if kind in ("multiple", "ordering"):
        if not isinstance(response, list) or not all(isinstance(x, str) and x in options for x in response):
            raise ResponseError(f"{question.full_id}: give a list of option ids from "
                                f"{', '.join(sorted(options))}")
        if len(set(response)) != len(response):
            raise ResponseError(f"{question.full_id}: an option appears twice in {short_repr(response)}")
        return response
    if kind == "matching":
        categories = {c.id for c in question.categories}
        if not isinstance(response, dict) or not all(
                isinstance(k, str) and k in options and isinstance(v, str) and v in categories
                for k, v in response.items()):
            raise ResponseError(f"{question.full_id}: give a mapping of items "
                                f"({', '.join(sorted(options))}) to categories ({', '.join(sorted(categories))})")
        return response
    raise ResponseError(f"{question.full_id}: unknown question type {kind!r}")


def check_enrolled(store: ProgressStore, learner_id: str, question: Question) -> None:
    """:class:`NotEnrolled` unless the roster enrols ``learner_id`` in the question's track (the
    start page's welcome quiz is everyone's)."""
    if question.track not in TRACKS:
        return
    tracks = store.enrolled_tracks(learner_id)
    if question.track not in tracks:
        raise NotEnrolled(_not_enrolled(question.track, tracks))


def _not_enrolled(track: str, tracks: set[str]) -> str:
    return (f"you are not enrolled in the {track} track, so answers to its "
            f"questions are not recorded; your tracks: {', '.join(sorted(tracks)) or 'none'}. "
            "Ask your training coordinator to add the track to your roster entry.")


def keyed_question(catalog: Catalog, question_id: str) -> Question:
    """The question with its answer, or :class:`RecordsError` when these banks are learners'
    copies (the keys are read from ISO20K_KEYED_BANKS_DIR)."""
    question = catalog.question(question_id)
    if not question.keyed:
        raise RecordsError(f"the question banks at {catalog.root} are learners' copies without answers: "
                           "answers are judged against the banks in ISO20K_KEYED_BANKS_DIR")
    return question


def start_order(catalog: Catalog, learner_id: str, question_id: str) -> list[str]:
    """An ordering question's first order for ``learner_id`` (``[]`` for other types)."""
    question = keyed_question(catalog, question_id)
    if question.type != "ordering":
        return []
    return ordering_start([o.id for o in question.options], question.answer, learner_id, question.full_id)


def judge_and_record(store: ProgressStore, catalog: Catalog, learner_id: str, question_id: str,
                     response: Any, language: str, *, open_enrolment: bool = True,
                     before_write=None) -> Verdict:
    """Judge ``response`` against the bank and store it under ``learner_id``.

    Raises :class:`KeyError` for an unknown question, :class:`ResponseError` for a response
    that cannot be an answer and, unless ``open_enrolment``, :class:`NotEnrolled` for a question
    of a track the learner is not enrolled in; nothing is stored then.  ``before_write`` is called
    once everything is checked, just before the answer is stored (it may raise to store nothing:
    the records service takes a token of the learner's answer rate there)."""
    question, response, correct, module_ids, enrolled_in = judge(catalog, question_id, response, language,
                                                                 open_enrolment)
    try:
        record = store.record_answer(learner_id, question.track, question.module, question.full_id,
                                     response, correct, language, module_question_ids=module_ids,
                                     enrolled_in=enrolled_in, before_write=before_write)
    except NotEnrolledIn as exc:
        raise NotEnrolled(_not_enrolled(question.track, exc.tracks)) from None
    return _verdict(learner_id, question, record)


async def judge_and_record_async(answers, catalog: Catalog, learner_id: str, question_id: str, response: Any,
                                 language: str, *, open_enrolment: bool = True, before_write=None) -> Verdict:
    """:func:`judge_and_record` on an event loop: the same judging, recorded by ``answers``
    (:meth:`ProgressStore.async_answers`)."""
    question, response, correct, module_ids, enrolled_in = judge(catalog, question_id, response, language,
                                                                 open_enrolment)
    try:
        record = await answers.record_answer(learner_id, question.track, question.module, question.full_id,
                                             response, correct, language, module_question_ids=module_ids,
                                             enrolled_in=enrolled_in, before_write=before_write)
    except NotEnrolledIn as exc:
        raise NotEnrolled(_not_enrolled(question.track, exc.tracks)) from None
    return _verdict(learner_id, question, record)


def judge(catalog: Catalog, question_id: str, response: Any, language: str, open_enrolment: bool):
    """The question, the response as checked, the verdict, the module's question ids and the track
    the learner must be enrolled in (None: no check); :class:`ResponseError` and the rest as
    :func:`judge_and_record` says."""
    try:
        check_language(language)
    except ValueError as exc:
        raise ResponseError(str(exc)) from None
    question = keyed_question(catalog, question_id)
    response = check_response(question, response)
    correct = question.is_correct(response)
    module_ids = [q.full_id for q in catalog.module(question.module_key).questions]
    # the enrolment is checked in the same read as the answer's attempt number (one round trip)
    enrolled_in = question.track if not open_enrolment and question.track in TRACKS else None
    return question, response, correct, module_ids, enrolled_in


def _verdict(learner_id: str, question: Question, record) -> Verdict:
    return Verdict(learner_id=learner_id, question_id=question.full_id, correct=record.correct,
                   attempt=record.attempt, module_completed=record.module_completed,
                   explanation={"en": question.explanation.en, "zh": question.explanation.zh})


def last_answer(store: ProgressStore, catalog: Catalog, learner_id: str, question_id: str) -> LastAnswer | None:
    """The learner's newest answer to ``question_id`` as stored, with its verdict then and the
    explanation from the keyed banks (shown, as after answering, only once there is an answer)."""
    question = keyed_question(catalog, question_id)
    row = store.last_answer(learner_id, question.full_id)
    if row is None:
        return None
    explanation = question.explanation
    return LastAnswer(question_id=question.full_id, response=row["response"], correct=row["correct"],
                      attempt=row["attempt"],
                      explanation={"en": explanation.en, "zh": explanation.zh} if explanation else None)


def short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
