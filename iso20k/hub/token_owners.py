"""Whose hub token is this: the hub's answer, asked without blocking and remembered for a while.

The records service sees every learner's token on every request.  The hub is asked once per
token (``HubAuth.user_for_token(..., sync=False)``: an awaited HTTP request, the event loop goes
on serving others meanwhile); requests with the same token that arrive while the hub is being
asked wait for that one answer.  The answer, a refusal too, is kept ``ttl_s`` seconds in a cache
of at most ``size`` tokens (the oldest forgotten first), so memory stays bounded whatever the
number of learners; tokens are kept as their SHA-256 only.  A failure to reach the hub is not
kept (the next request asks again)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict

from jupyterhub.services.auth import HubAuth


class TokenOwners:
    def __init__(self, hub_auth: HubAuth, size: int, ttl_s: float):
        self.hub_auth, self.size, self.ttl_s = hub_auth, size, ttl_s
        self._known: OrderedDict[str, tuple[float, dict | None]] = OrderedDict()
        self._asking: dict[str, asyncio.Future] = {}
        self.asked = 0  # how often the hub was asked (for the service's log and the tests)

    def __len__(self) -> int:
        return len(self._known)

    async def owner(self, token: str) -> dict | None:
        """The hub's user (or service) model of ``token``, None when the hub does not know it."""
        key = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
        hit = self._known.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        pending = self._asking.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._ask(key, token))
            self._asking[key] = pending
        return await asyncio.shield(pending)

    async def _ask(self, key: str, token: str) -> dict | None:
        try:
            self.asked += 1
            model = await self.hub_auth.user_for_token(token, use_cache=False, sync=False)
            self._remember(key, model)
            return model
        finally:
            self._asking.pop(key, None)

    def _remember(self, key: str, model: dict | None) -> None:
        self._known.pop(key, None)
        self._known[key] = (time.monotonic(), model)
        while len(self._known) > self.size:
            self._known.popitem(last=False)
