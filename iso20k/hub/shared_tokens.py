"""The hub's word on tokens, shared by the records service's processes (one machine, forked).

Each process of the service keeps its own small cache of token owners
(:class:`~.token_owners.TokenOwners`); without a table they share, a learner whose requests reach
both processes is asked about twice, and a rush of first answers sends the hub twice the checks.
This table lives in an anonymous shared mapping made before the processes are forked (as the rate
buckets do, :mod:`.shared_buckets`): once any process has the hub's answer, every process has it.

What is kept per token is only what the service acts on: whether the service lets the owner in
(the verdict of ``check_hub_user``), and if so the owner's name and kind.  A token is known by its
whole SHA-256 (never by a shorter hash: two tokens must never be taken for one owner), the token
itself is never stored.  Entries are ``time.monotonic()`` stamped (one clock for the machine's
processes) and trusted ``ttl_s`` seconds, as the per-process cache is.  The table has a fixed
number of slots; a token's slot is found by its digest with a few probes, and when they are all
taken the stalest entry of the group gives way."""

from __future__ import annotations

import json
import mmap
import multiprocessing
import struct
import time

_NAME_BYTES = 200  # an owner's {"name", "kind"} as JSON; longer ones are not shared (asked again)
_SLOT = struct.Struct(f"<32sdBH{_NAME_BYTES}s")  # digest, learned at, state, length, owner
_EMPTY, _ALLOWED, _REFUSED = 0, 1, 2
_PROBES = 8


class SharedTokens:
    def __init__(self, slots: int):
        self.slots = max(int(slots), _PROBES)
        self._memory = mmap.mmap(-1, self.slots * _SLOT.size)  # MAP_SHARED | MAP_ANONYMOUS: kept across fork
        self.lock = multiprocessing.get_context("fork").Lock()

    def _slots_of(self, digest: bytes):
        start = int.from_bytes(digest[:8], "little") % self.slots
        return ((start + i) % self.slots for i in range(_PROBES))

    def get(self, digest: bytes, ttl_s: float) -> tuple[bool, dict | None]:
        """(found, owner): ``found`` when a process learned the hub's word on this token within
        ``ttl_s`` seconds; ``owner`` is None when the service refuses the token."""
        now = time.monotonic()
        with self.lock:
            for slot in self._slots_of(digest):
                held, at, state, length, owner = _SLOT.unpack_from(self._memory, slot * _SLOT.size)
                if state != _EMPTY and held == digest:
                    if now - at >= ttl_s:
                        return False, None
                    return True, (json.loads(owner[:length]) if state == _ALLOWED else None)
        return False, None

    def put(self, digest: bytes, owner: dict | None) -> None:
        """Remember the service's verdict on a token (``owner``: the owner let in, None: refused)."""
        packed = b""
        if owner is not None:
            packed = json.dumps({"name": owner["name"], "kind": owner.get("kind", "user")},
                                ensure_ascii=False).encode("utf-8")
            if len(packed) > _NAME_BYTES:
                return
        state = _ALLOWED if owner is not None else _REFUSED
        with self.lock:
            choice, oldest = None, None
            for slot in self._slots_of(digest):
                held, at, held_state, _length, _owner = _SLOT.unpack_from(self._memory, slot * _SLOT.size)
                if held_state == _EMPTY or held == digest:
                    choice = slot
                    break
                if oldest is None or at < oldest:
                    choice, oldest = slot, at
            _SLOT.pack_into(self._memory, choice * _SLOT.size, digest, time.monotonic(), state, len(packed), packed)

    def __len__(self) -> int:
        with self.lock:
            return sum(1 for slot in range(self.slots)
                       if _SLOT.unpack_from(self._memory, slot * _SLOT.size)[2] != _EMPTY)
