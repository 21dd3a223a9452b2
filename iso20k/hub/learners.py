"""Hub user names and roster employee ids.

JupyterHub lower-cases user names, the roster keeps employee ids as HR writes them (``E001``).
Records are kept under the roster's spelling so every report joins on one id."""

from __future__ import annotations

import time

from ..results.rules import id_in_roster, hub_user_name
from ..store import ProgressStore
from ..store.roster import employee_ids

__all__ = ["LearnerNames", "hub_user_name"]


class LearnerNames:
    """Maps a hub user name to the roster's employee id (refreshed at most once a minute)."""

    def __init__(self, store: ProgressStore, max_age_s: float = 60.0):
        self.store = store
        self.max_age_s = max_age_s
        self._map = id_in_roster(())
        self._names: set[str] = set()
        self._read_at = 0.0

    def _refresh(self) -> None:
        ids = employee_ids(self.store)
        self._map, self._names = id_in_roster(ids), {hub_user_name(i) for i in ids}
        self._read_at = time.monotonic()

    def learner_id(self, hub_name: str) -> str:
        if hub_name not in self._names or time.monotonic() - self._read_at > self.max_age_s:
            self._refresh()
        return self._map(hub_name)
