"""Rate-limit buckets shared by the records service's processes (one machine, forked).

The service may run as several processes on one port (ISO20K_RECORDS_PROCESSES); a learner's
requests may reach any of them (each new connection goes to whichever process accepts it).  So
that a learner's rate is the same whatever the process, the buckets of :class:`~.guard.RateLimit`
live in memory the processes share: an anonymous shared mapping made before the processes are
forked, a table of ``slots`` buckets (a learner's slot found by a hash of the key, a few probes),
read and written under one lock that all the processes and their threads share.  Times are
``time.monotonic()``, one clock for every process of the machine.

When more learners are active than there are slots, the least recently used bucket of a probe
group is given to the newcomer (the learner it belonged to starts again with a full bucket)."""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import struct

_SLOT = struct.Struct("<Qdd")  # key hash (0: empty), tokens, last time
_PROBES = 8


class SharedBuckets:
    """A mapping key -> (tokens, last time) for :class:`~.guard.RateLimit`, shared by forked
    processes; ``lock`` guards a read-modify-write across them."""

    def __init__(self, slots: int = 1 << 16):
        self.slots = slots
        self._memory = mmap.mmap(-1, slots * _SLOT.size)  # MAP_SHARED | MAP_ANONYMOUS: kept across fork
        self.lock = multiprocessing.get_context("fork").Lock()

    @staticmethod
    def _hash(key: str) -> int:
        return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little") or 1

    def _find(self, key: str) -> tuple[int, int, bool]:
        """(slot, hash, whether the slot holds ``key``); a free or the stalest slot when not."""
        h = self._hash(key)
        start = h % self.slots
        choice, oldest = None, None
        for i in range(_PROBES):
            slot = (start + i) % self.slots
            held, _tokens, then = _SLOT.unpack_from(self._memory, slot * _SLOT.size)
            if held == h:
                return slot, h, True
            if held == 0:
                return slot, h, False
            if oldest is None or then < oldest:
                choice, oldest = slot, then
        return choice, h, False

    def get(self, key: str, default=None):
        slot, _h, found = self._find(key)
        if not found:
            return default
        _held, tokens, then = _SLOT.unpack_from(self._memory, slot * _SLOT.size)
        return tokens, then

    def __setitem__(self, key: str, value: tuple[float, float]) -> None:
        slot, h, _found = self._find(key)
        _SLOT.pack_into(self._memory, slot * _SLOT.size, h, float(value[0]), float(value[1]))
