"""What keeps bad input from hurting the records service: cheap checks that run on the event
loop before any real work (body size, JSON depth, per-learner rates).

Every check here is bounded by the body limit (``records_max_body_bytes``) and runs in C-speed
string operations, so a refusal costs the service microseconds, not the time of the attack.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from dataclasses import dataclass, field

#: A JSON string, escapes included (unrolled so the match is linear in its length).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
#: Every byte except the four brackets, for bytes.translate(delete=...).
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_TO_PARENS = bytes.maketrans(b"[]{}", b"()()")


class BadBody(ValueError):
    """A request body the service does not parse; the message says why (sent with 400)."""


def nesting_problem(body: bytes, max_depth: int) -> str | None:
    """Why the arrays and objects of ``body`` (JSON text) cannot be parsed safely: nested deeper
    than ``max_depth`` or brackets that do not balance; None when they can.  Strings are taken
    out first, so brackets inside them do not count.  Each of at most ``max_depth`` passes
    deletes the innermost bracket pairs (C-speed, no recursion); anything left over is nested
    deeper, or unbalanced (json.loads would fail, possibly only after recursing deeply)."""
    parens = _STRING.sub(b"", body).translate(_TO_PARENS, _NOT_BRACKETS)
    for _ in range(max_depth):
        if not parens:
            return None
        parens = parens.replace(b"()", b"")
    if not parens:
        return None
    if b"()" in parens:
        return f"the request body is nested deeper than {max_depth} levels of arrays and objects"
    return "the request body is not JSON: its brackets do not balance"


def _no_constants(name: str):
    raise BadBody(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadBody(f"the number {text[:40]} is too large")
    return value


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise BadBody(f"the key {twice[:60]!r} appears twice in one object")
    return data


def parse_json_object(body: bytes, max_depth: int) -> dict:
    """``body`` as a JSON object, or :class:`BadBody` with a message fit for the learner.  Refuses
    bodies nested deeper than ``max_depth`` before parsing (no recursion happens), NaN and
    Infinity, duplicate keys, text that is not UTF-8 and strings with unpaired surrogates."""
    if not body.strip():
        return {}
    problem = nesting_problem(body, max_depth)
    if problem:
        raise BadBody(problem)
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constants, parse_float=_finite,
                          object_pairs_hook=_unique_keys)
    except BadBody:
        raise
    except UnicodeDecodeError:
        raise BadBody("the request body is not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:  # int too long is a ValueError as well
        raise BadBody(f"the request body is not JSON ({str(exc)[:120]})") from None
    if not isinstance(data, dict):
        raise BadBody("the request body must be a JSON object")
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadBody("the request body holds text that is not valid Unicode (an unpaired surrogate)") from None
    return data


@dataclass
class RateLimit:
    """Token buckets, one per key (a learner): ``burst`` at once, refilled at ``per_minute``.
    Only learners the hub vouched for get a bucket, so the table is as large as the roster."""

    burst: int
    per_minute: float
    clock: callable = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, cost: float = 1.0) -> float:
        """Take ``cost`` tokens for ``key``: 0.0 if allowed, else the seconds until they are
        available (nothing is taken then)."""
        rate = self.per_minute / 60.0
        with self._lock:  # the answer bucket is taken from the database threads
            now = self.clock()
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * rate)
            cost = min(cost, float(self.burst))
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (cost - tokens) / rate

    def retry_after(self, wait_s: float) -> str:
        """``wait_s`` as a Retry-After header value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait_s)))
