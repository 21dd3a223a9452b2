"""What recording one answer needs to know, read in one statement (see
:meth:`iso20k.store.progress.ProgressStore.record_answer`).

One ``UNION ALL`` of small indexed reads, each row tagged with what it is: the learner's newest
chain link (``h``), the question's last attempt (``a``), and when asked the module's correct
answers in chain order (``c``, only while the module is not complete: afterwards nothing needs
them), whether the module is already complete (``d``), and the learner's roster entry and
enrolments (``e``, ``t``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from .evidence import GENESIS

_HEAD = ("SELECT 'h' AS k, lseq AS n, hash AS h, CAST(NULL AS VARCHAR(160)) AS q FROM "
         "(SELECT lseq, hash FROM answers WHERE learner_id = :l ORDER BY lseq DESC LIMIT 1) head")
_ATTEMPT = ("SELECT 'a', max(attempt), CAST(NULL AS VARCHAR(64)), CAST(NULL AS VARCHAR(160)) FROM answers "
            "WHERE learner_id = :l AND question_id = :q")
_CORRECT = ("SELECT 'c', lseq, hash, question_id FROM answers "
            "WHERE learner_id = :l AND track = :t AND module = :m AND correct AND NOT EXISTS "
            "(SELECT 1 FROM module_completions WHERE learner_id = :l AND track = :t AND module = :m)")
_DONE = ("SELECT 'd', 1, CAST(NULL AS VARCHAR(64)), CAST(NULL AS VARCHAR(160)) FROM module_completions "
         "WHERE learner_id = :l AND track = :t AND module = :m")
_ACTIVE = ("SELECT 'e', CASE WHEN active THEN 1 ELSE 0 END, CAST(NULL AS VARCHAR(64)), CAST(NULL AS VARCHAR(160)) "
           "FROM employees WHERE employee_id = :l")
_TRACKS = ("SELECT 't', 0, CAST(NULL AS VARCHAR(64)), track FROM enrolments WHERE employee_id = :l")

_STATEMENTS = {}


def _statement(module: bool, enrolment: bool):
    key = (module, enrolment)
    if key not in _STATEMENTS:
        parts = [_HEAD, _ATTEMPT] + ([_CORRECT, _DONE] if module else []) + ([_ACTIVE, _TRACKS] if enrolment else [])
        _STATEMENTS[key] = text(" UNION ALL ".join(parts))
    return _STATEMENTS[key]


def answer_context_sql(with_module: bool = True, with_enrolment: bool = True) -> str:
    """The statement's text (``benchmarks/records_service.py`` gives the same text to pgbench)."""
    return str(_statement(with_module, with_enrolment))


@dataclass
class AnswerContext:
    head: tuple[int, str] = (0, GENESIS)
    last_attempt: int = 0
    first_correct: list[tuple[str, str]] = field(default_factory=list)  # (question id, hash), chain order
    completed: bool = False
    tracks: set[str] = field(default_factory=set)

    def completion_behind(self, question_id: str, digest: str, wanted: set[str]) -> list[str] | None:
        """The hashes of the first correct answers behind the module's completion when this correct
        answer (``question_id``, ``digest``) completes it now; None when it does not."""
        if self.completed or not wanted:
            return None
        first = dict(self.first_correct)
        first.setdefault(question_id, digest)
        return [first[q] for q in sorted(first)] if wanted <= set(first) else None


def answer_context(conn: Connection, learner_id: str, question_id: str, track: str, module: str,
                   with_module: bool, with_enrolment: bool) -> AnswerContext:
    """Everything one answer needs to know, in one round trip (inside the learner's lock)."""
    rows = conn.execute(_statement(with_module, with_enrolment),
                        {"l": learner_id, "q": question_id, "t": track, "m": module}).fetchall()
    return parse_context(rows, with_enrolment)


def parse_context(rows, with_enrolment: bool) -> AnswerContext:
    """The statement's rows as an :class:`AnswerContext` (also for the asynchronous writer)."""
    out = AnswerContext()
    correct: list[tuple[int, str, str]] = []
    active = False
    for kind, number, digest, question in rows:
        if kind == "h" and number is not None:
            out.head = (int(number), digest)
        elif kind == "a":
            out.last_attempt = int(number or 0)
        elif kind == "c":
            correct.append((int(number or 0), question, digest))
        elif kind == "d":
            out.completed = True
        elif kind == "e":
            active = bool(number)
        elif kind == "t":
            out.tracks.add(question)
    seen: dict[str, str] = {}
    for _, question, digest in sorted(correct):
        seen.setdefault(question, digest)
    out.first_correct = list(seen.items())
    if with_enrolment and not active:
        out.tracks = {"all-staff"}  # as enrolled_tracks: not an active employee -> the all-staff track
    return out
