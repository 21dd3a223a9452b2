"""Answers and module completions as evidence: the hashes that make an edit, a deletion or a
completion without answers visible to ``iso20k audit-trail verify``.

Every answer row carries a link of its learner's own hash chain: ``lseq`` (the learner's 1st,
2nd, ... answer), the previous row's hash and its own hash, the SHA-256 of its canonical content
(learner, number, track, module, question, stored response, verdict, attempt, language, time,
previous hash).  A chain per learner keeps writes of different learners apart (no global order
to wait for); a learner's writes are serialised anyway (locks.py).

Every module completion names the answers that completed it (their hashes, one per question) and
carries its own hash over that content.

A copy of each learner's newest link (``lseq`` and hash) is kept outside the database, in the
trail writer's anchor folder (``answers/<digest of the learner id>.json``), so a deletion of a
learner's newest answers is caught too.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from . import tables

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC time (a naive one is taken as UTC), which every database gives
    back as the same instant."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def time_text(value) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return utc(value).strftime("%Y-%m-%dT%H:%M:%S.%f")


def answer_hash(learner_id: str, lseq: int, track: str, module: str, question_id: str, response_text: str,
                correct: bool, attempt: int, language: str, answered_at, prev_hash: str) -> str:
    payload = canonical(["answer", learner_id, int(lseq), track, module, question_id, response_text,
                         bool(correct), int(attempt), language, time_text(answered_at), prev_hash])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def completion_hash(learner_id: str, track: str, module: str, completed_at, answer_hashes: list[str]) -> str:
    payload = canonical(["completion", learner_id, track, module, time_text(completed_at), list(answer_hashes)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def learner_head(conn: Connection, learner_id: str) -> tuple[int, str]:
    """The learner's newest link: (lseq, hash), (0, GENESIS) before the first answer."""
    a = tables.answers
    row = conn.execute(select(a.c.lseq, a.c.hash).where(a.c.learner_id == learner_id)
                       .order_by(a.c.lseq.desc()).limit(1)).first()
    return (int(row[0]), row[1]) if row and row[0] is not None else (0, GENESIS)


def completing_answers(conn: Connection, learner_id: str, track: str, module: str) -> list[str]:
    """The hashes of the first correct answer to each question of the module (by question id)."""
    a = tables.answers
    first: dict[str, str] = {}
    for qid, digest in conn.execute(select(a.c.question_id, a.c.hash).where(
            a.c.learner_id == learner_id, a.c.track == track, a.c.module == module, a.c.correct)
            .order_by(a.c.lseq)):
        first.setdefault(qid, digest)
    return [first[q] for q in sorted(first)]


def answer_rows(conn: Connection):
    """Every answer row as stored, learner by learner in chain order (for the check)."""
    a = tables.answers
    return conn.execute(select(a).order_by(a.c.learner_id, a.c.lseq, a.c.id))


def completion_rows(conn: Connection):
    """Every module completion row as stored (for the check)."""
    mc = tables.module_completions
    return conn.execute(select(mc).order_by(mc.c.learner_id, mc.c.track, mc.c.module))


# -- the anchors of the learners' chains ------------------------------------------------------
def answer_anchor_dir(settings) -> Path:
    """Where the trail writer keeps the learners' newest answer links (beside the trail's anchor)."""
    return Path(settings.data_dir) / "audit-anchors" / "answers"


class AnswerAnchors:
    """Each learner's newest link, one small file per learner in ``folder``, written by the trail
    writer after each commit (never moved backwards)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _file(self, learner_id: str) -> Path:
        return self.folder / (hashlib.sha256(learner_id.encode("utf-8")).hexdigest()[:32] + ".json")

    def write(self, learner_id: str, lseq: int, digest: str) -> None:
        """Move the learner's anchor to ``lseq`` unless it is there or further already.  Several
        processes of the trail writer (the records service's) may commit the same learner's
        answers one after the other and reach this in the other order: the check and the write
        happen under an exclusive lock on the file, so the anchor never moves backwards."""
        path = self._file(learner_id)
        text = json.dumps({"learner": learner_id, "lseq": lseq, "hash": digest})
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except FileNotFoundError:  # the first anchor: the folder is made then (not looked for every time)
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            current = _anchor_of(os.pread(fd, ANCHOR_SIZE, 0))
            if current and current[0] >= lseq:
                return
            _pwrite_padded(fd, text)
        finally:
            os.close(fd)  # releases the lock

    def forget(self, learner_id: str) -> None:
        try:
            self._file(learner_id).unlink()
        except FileNotFoundError:
            pass

    def read(self, learner_id: str) -> tuple[int, str] | None:
        try:
            data = json.loads(self._file(learner_id).read_text(encoding="utf-8"))
            return int(data["lseq"]), str(data["hash"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def all(self) -> dict[str, tuple[int, str]]:
        out = {}
        if not self.folder.is_dir():
            return out
        for path in self.folder.glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                out[str(data["learner"])] = (int(data["lseq"]), str(data["hash"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return out


#: Every learner's anchor file has this size: rewritten in place with one write (no rename: a
#: rename over a file makes ext4 flush it, 10 ms per answer), never shorter, so never half-read.
ANCHOR_SIZE = 1024


def overwrite_in_place(path: Path, text: str) -> None:
    """Write ``text`` (padded to :data:`ANCHOR_SIZE`) over ``path`` with a single ``pwrite``; the
    file is created 0644 (only its owner, the trail writer, may write it), links are not followed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        _pwrite_padded(fd, text)
    finally:
        os.close(fd)


def _pwrite_padded(fd: int, text: str) -> None:
    data = text.encode("utf-8")
    if len(data) >= ANCHOR_SIZE:
        raise ValueError("an anchor is at most 1 KiB")
    data = data + b" " * (ANCHOR_SIZE - 1 - len(data)) + b"\n"
    os.pwrite(fd, data, 0)
    if os.fstat(fd).st_size != ANCHOR_SIZE:
        os.ftruncate(fd, ANCHOR_SIZE)


def _anchor_of(raw: bytes) -> tuple[int, str] | None:
    try:
        data = json.loads(raw.decode("utf-8"))
        return int(data["lseq"]), str(data["hash"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def write_public(path: Path, text: str) -> None:
    """Replace ``path`` atomically with a file only its owner may write (0644), whatever the
    umask: anchors are read by auditors' tools and written by the trail writer alone."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        os.fchmod(fd, 0o644)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.replace(tmp, path)
