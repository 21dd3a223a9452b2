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

from jupyterhub.services.auth import HubAuth, UserNotAllowed

from .shared_tokens import SharedTokens


class TokenOwners:
    """The service's verdict on each token: the owner ``check`` lets in (the service's rule for who
    may call it, e.g. ``HubAuthenticated.check_hub_user``: the same for every request), else None.
    With ``shared`` (the service's processes' table, :mod:`.shared_tokens`) a verdict one process
    learned serves them all, so the hub is asked once per token, not once per token and process."""

    def __init__(self, hub_auth: HubAuth, size: int, ttl_s: float, shared: "SharedTokens | None" = None):
        self.hub_auth, self.size, self.ttl_s, self.shared = hub_auth, size, ttl_s, shared
        self._known: OrderedDict[str, tuple[float, dict | None]] = OrderedDict()  # learned at, verdict
        self._asking: dict[str, asyncio.Future] = {}

    def __len__(self) -> int:
        return len(self._known)

    async def allowed_owner(self, token: str, check) -> dict | None:
        digest = hashlib.sha256(token.encode("utf-8", "replace")).digest()
        key = digest.hex()
        hit = self._known.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        if self.shared is not None:
            found, owner = self.shared.get(digest, self.ttl_s)
            if found:
                return owner
        pending = self._asking.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._ask(digest, token, check))
            self._asking[key] = pending
        return await asyncio.shield(pending)

    async def _ask(self, digest: bytes, token: str, check) -> dict | None:
        key = digest.hex()
        try:
            model = await self.hub_auth.user_for_token(token, use_cache=False, sync=False)
            verdict = None
            if model is not None:
                try:
                    verdict = check(model)
                except UserNotAllowed:
                    verdict = None
            self._remember(key, verdict)
            if self.shared is not None:
                self.shared.put(digest, verdict)
            return verdict
        finally:
            self._asking.pop(key, None)

    def _remember(self, key: str, verdict: dict | None) -> None:
        self._known.pop(key, None)
        self._known[key] = (time.monotonic(), verdict)
        while len(self._known) > self.size:
            self._known.popitem(last=False)
