"""Exam items must not be answerable from a near-identical formative question.

Learners see every formative question (and, after answering, its key and explanation), so an
exam item that asks the same thing with the same key is a free point.  ``iso20k check-banks``
compares every automatically graded exam item (``exams/*.yaml``, kinds ``choice`` and
``order``) with every formative question (``assessments/*/*.yaml``) in English and in
Simplified Chinese, and fails on a pair that is near-identical by this rule (the numbers are
documented in docs/question-banks.md):

Texts are normalised (Unicode NFKC, lower case).  English texts become their content words
(runs of letters and digits, clause numbers such as ``9.2`` kept whole, with a short list of
function words dropped); Chinese texts become their character bigrams (punctuation and spaces
removed).  ``cover(x, y)`` is the share of ``x``'s tokens that are also in ``y``.

A pair is near-identical, in either language, when

1. **same question**: the token-set Jaccard similarity of (prompt + correct answer) is at
   least :data:`SAME_QUESTION` (0.65; the most similar shipped pair, all-staff-exam q23 and all-staff/roadmap/q07, scores 0.62); or
2. **same key**: the correct answers (exam: the key option, or the steps in order; formative:
   the correct option(s), or the items in order) have a :func:`difflib.SequenceMatcher`
   ratio of at least :data:`SAME_KEY` (0.85) on their normalised text, at least
   :data:`MIN_KEY_TOKENS` tokens long, and the two items share an ISO/IEC 20000-1 clause
   (or the same reference, e.g. ISO/IEC 17021-1); or
3. **reversed question**: the exam's key is in the formative question's prompt
   (``cover(exam key, formative prompt)`` ≥ :data:`REVERSED_KEY`, 0.75) and the formative
   question's key is in the exam's prompt (``cover(formative key, exam prompt)`` ≥
   :data:`REVERSED_BACK`, 0.5): one asks what the other tells.

A true/false formative question has no key text; only rule 1 applies to it, with its prompt.
"""

from __future__ import annotations

import difflib
import functools
import re
import string
import unicodedata
from dataclasses import dataclass

from ..settings import LANGUAGES
from .loader import Catalog
from .model import Question

SAME_QUESTION = 0.65
SAME_KEY = 0.85
MIN_KEY_TOKENS = 3
REVERSED_KEY = 0.75
REVERSED_BACK = 0.5

_STOP = frozenset(
    "a an the and or but of to in on for with by at is are was were be been it its as that this these "
    "those which what who whom how when where from into not no all any each one do does did must may "
    "should can will would has have had than then there their they them his her he she we our you your "
    "i so if about".split())
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*")
_NOT_CJK_TEXT = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def tokens(text: str, language: str) -> frozenset[str]:
    """English: content words; Chinese: character bigrams (see the module's rule)."""
    text = normalise(text)
    if language == "en":
        return frozenset(w for w in _WORD.findall(text) if w not in _STOP)
    squeezed = _NOT_CJK_TEXT.sub("", text)
    return frozenset(squeezed[i:i + 2] for i in range(len(squeezed) - 1))


def cover(part: frozenset[str], whole: frozenset[str]) -> float:
    return len(part & whole) / len(part) if part else 0.0


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    shared = len(a & b)
    union = len(a) + len(b) - shared  # the size of a | b, without building it
    return shared / union if union else 0.0


def ratio(a: str, b: str, language: str, at_least: float = 0.0) -> float:
    """difflib's ratio of the normalised texts.  With ``at_least``, a pair whose cheap upper bounds
    (``real_quick_ratio``, ``quick_ratio``) already fall short returns that bound instead of the
    exact ratio: still below ``at_least``, so a comparison with it decides the same, much faster."""
    a, b = normalise(a), normalise(b)
    if language == "zh":
        a, b = _NOT_CJK_TEXT.sub("", a), _NOT_CJK_TEXT.sub("", b)
    else:
        a, b = " ".join(_WORD.findall(a)), " ".join(_WORD.findall(b))
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for bound in (matcher.real_quick_ratio, matcher.quick_ratio):
        if at_least and (upper := bound()) < at_least:
            return upper
    return matcher.ratio()


@dataclass(frozen=True)
class Item:
    """One side of a comparison, in one language."""

    ref: str
    language: str
    prompt: str
    key: str  # the correct answer's text ('' when it has none, e.g. true/false)
    clauses: frozenset[str]

    # Each item meets every item of the other side: its token sets are worked out once.
    @functools.cached_property
    def question_tokens(self) -> frozenset[str]:
        return tokens(self.prompt + " " + self.key, self.language)

    @functools.cached_property
    def prompt_tokens(self) -> frozenset[str]:
        return tokens(self.prompt, self.language)

    @functools.cached_property
    def key_tokens(self) -> frozenset[str]:
        return tokens(self.key, self.language)


def formative_items(question: Question) -> list[Item]:
    """A formative question as compared (needs the keyed bank: its answer)."""
    out = []
    options = {o.id: o for o in question.options}
    categories = {c.id: c for c in question.categories}
    for language in LANGUAGES:
        answer = question.answer
        if question.type == "true_false" or answer is None:
            key = ""
        elif isinstance(answer, str):
            key = options[answer].get(language)
        elif isinstance(answer, list):
            key = " ".join(options[a].get(language) for a in answer)
        else:
            key = " ".join(f"{options[k].get(language)} {categories[v].get(language)}" for k, v in answer.items())
        prompt = question.prompt.get(language)
        if question.scenario is not None:
            prompt = question.scenario.get(language) + " " + prompt
        out.append(Item(question.full_id, language, prompt, key, frozenset(question.clauses)))
    return out


def exam_items(exam) -> list[Item]:
    """The automatically graded items of an exam (``iso20k.grading.exam_model.Exam``)."""
    out = []
    for item in exam.items:
        if item.kind == "written" or not item.answer:
            continue
        for language in LANGUAGES:
            if item.kind == "choice":
                key = item.options[string.ascii_uppercase.index(item.answer)].get(language)
            else:
                key = " ".join(item.steps[string.ascii_uppercase.index(c)].get(language) for c in item.answer)
            prompt = item.prompt.get(language)
            if item.scenario is not None:
                prompt = item.scenario.get(language) + " " + prompt
            out.append(Item(f"{exam.assignment}/{item.id}", language, prompt, key, frozenset(item.clauses)))
    return out


@dataclass(frozen=True)
class NearDuplicate:
    exam_item: str
    formative: str
    language: str
    rule: str
    score: float

    def __str__(self) -> str:
        return (f"exam item {self.exam_item} is near-identical to formative question {self.formative} "
                f"({self.language}, {self.rule}, {self.score:.2f})")


def compare(exam: Item, formative: Item) -> NearDuplicate | None:
    """The first rule by which the two are near-identical, or None."""
    lang = exam.language

    def found(rule: str, score: float) -> NearDuplicate:
        return NearDuplicate(exam.ref, formative.ref, lang, rule, score)

    same = jaccard(exam.question_tokens, formative.question_tokens)
    if same >= SAME_QUESTION:
        return found(f"same question: Jaccard of prompt and key >= {SAME_QUESTION}", same)
    if not formative.key:
        return None
    exam_key, formative_key = exam.key_tokens, formative.key_tokens
    if (min(len(exam_key), len(formative_key)) >= MIN_KEY_TOKENS and exam.clauses & formative.clauses
            and (r := ratio(exam.key, formative.key, lang, at_least=SAME_KEY)) >= SAME_KEY):
        return found(f"same key: answer text ratio >= {SAME_KEY}, shared clause", r)
    there = cover(exam_key, formative.prompt_tokens)
    back = cover(formative_key, exam.prompt_tokens)
    if len(exam_key) >= MIN_KEY_TOKENS and there >= REVERSED_KEY and back >= REVERSED_BACK:
        return found(f"reversed question: exam key in the formative prompt >= {REVERSED_KEY}, "
                     f"formative key in the exam prompt >= {REVERSED_BACK}", min(there, back))
    return None


def near_duplicates(catalog: Catalog, exams) -> list[NearDuplicate]:
    """Every (exam item, formative question) pair near-identical in some language, one per pair."""
    formative = [item for q in catalog.questions.values() for item in formative_items(q)]
    out: dict[tuple[str, str], NearDuplicate] = {}
    for exam in exams:
        for e in exam_items(exam):
            for f in formative:
                if f.language != e.language or (e.ref, f.ref) in out:
                    continue
                hit = compare(e, f)
                if hit:
                    out[(e.ref, f.ref)] = hit
    return sorted(out.values(), key=lambda d: (d.exam_item, d.formative))


def exam_problems(catalog: Catalog, exams) -> list[str]:
    """check-banks' similarity check: one line per near-identical pair of a formative question and
    an item of ``exams`` (the assessments, loaded by :func:`iso20k.grading.exam_model.load_exams`:
    the banks sit below grading and do not read exams themselves)."""
    return [f"{d}: rewrite the exam item so that its key does not follow from the formative question "
            "(see docs/question-banks.md, 'Exam items and formative questions')"
            for d in near_duplicates(catalog, list(exams))]
