"""``iso20k audit-trail verify`` for answers and module completions (see store/evidence.py): every
answer row's hash, every learner's chain and its anchored head, every completion's answers."""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import Connection

from ..store.evidence import GENESIS, AnswerAnchors, answer_hash, answer_rows, completion_hash, completion_rows


def _where(row) -> str:
    return f"answer row id {row.id} (learner {row.learner_id}, question {row.question_id}, attempt {row.attempt})"


def check_records(conn: Connection, anchors: AnswerAnchors | None = None) -> tuple[list[str], int, int]:
    """Every problem found, naming the row; and how many answers and completions were checked."""
    problems: list[str] = []
    heads: dict[str, tuple[int, str]] = {}
    hashes: dict[str, dict[str, object]] = defaultdict(dict)  # learner -> hash -> row
    attempts: dict[tuple[str, str], list[int]] = defaultdict(list)
    last_row: dict[str, object] = {}
    count = 0
    for row in answer_rows(conn):
        count += 1
        attempts[(row.learner_id, row.question_id)].append(row.attempt)
        if row.hash is None or row.lseq is None:
            problems.append(f"{_where(row)} carries no hash: it was written outside the product")
            continue
        hashes[row.learner_id][row.hash] = row
        lseq, prev = heads.get(row.learner_id, (0, GENESIS))
        if row.lseq != lseq + 1:
            before = last_row.get(row.learner_id)
            after = f"after {_where(before)}" if before is not None else "at the start of the learner's answers"
            gone = f"#{lseq + 1}" if row.lseq == lseq + 2 else f"#{lseq + 1} to #{row.lseq - 1}"
            problems.append(f"learner {row.learner_id}: answer {gone} is missing {after}, before {_where(row)} "
                            "(answer rows were deleted)")
        elif row.prev_hash != prev:
            problems.append(f"{_where(row)} does not point to the learner's previous answer: an answer before it "
                            "was replaced or the learner's answers were rewritten")
        try:
            recomputed = answer_hash(row.learner_id, row.lseq, row.track, row.module, row.question_id, row.response,
                                     row.correct, row.attempt, row.language, row.answered_at, row.prev_hash)
        except (TypeError, ValueError):
            recomputed = ""
        if recomputed != row.hash:
            problems.append(f"{_where(row)} was changed after it was written: its content no longer matches its hash")
        heads[row.learner_id] = (row.lseq, row.hash)
        last_row[row.learner_id] = row
    for (learner, question), numbers in sorted(attempts.items()):
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        if missing:
            problems.append(f"learner {learner}, question {question}: attempt(s) "
                            f"{', '.join(map(str, missing))} missing (answer rows were deleted)")
    if anchors is not None:
        for learner, (lseq, digest) in sorted(anchors.all().items()):
            have, _ = heads.get(learner, (0, GENESIS))
            if lseq > have:
                gone = f"#{lseq}" if lseq == have + 1 else f"#{have + 1} to #{lseq}"
                problems.append(f"learner {learner}: the store ends at answer #{have}, but answer #{lseq} was written "
                                f"(anchor file): answer(s) {gone} were deleted")
            elif not any(r.lseq == lseq and r.hash == digest for r in hashes[learner].values()):
                problems.append(f"learner {learner}: answer #{lseq} is not the answer that was written (its hash "
                                "differs from the anchor file): the learner's answers were rewritten")
    completions = 0
    for row in completion_rows(conn):
        completions += 1
        where = f"completion of {row.track}/{row.module} by learner {row.learner_id}"
        try:
            behind = json.loads(row.answers) if row.answers else []
        except ValueError:
            behind = None
        if not isinstance(behind, list) or not behind:
            problems.append(f"{where} names no answers behind it: it was written outside the product")
            continue
        for digest in behind:
            answer = hashes[row.learner_id].get(digest)
            if answer is None:
                problems.append(f"{where} rests on an answer that is not in the store (hash {str(digest)[:16]}…): "
                                "the answer was deleted or the completion forged")
            elif not answer.correct or (answer.track, answer.module) != (row.track, row.module):
                problems.append(f"{where} rests on {_where(answer)}, which is not a correct answer of that module")
        try:
            recomputed = completion_hash(row.learner_id, row.track, row.module, row.completed_at, behind)
        except (TypeError, ValueError):
            recomputed = ""
        if recomputed != row.hash:
            problems.append(f"{where} was changed after it was written: its content no longer matches its hash")
    return problems, count, completions
