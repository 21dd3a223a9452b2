"""Hub user names and roster employee ids.

JupyterHub lower-cases user names, the roster keeps employee ids as HR writes them (``E001``).
Records are kept under the roster's spelling so every report joins on one id."""

from __future__ import annotations

import time

from ..store import ProgressStore
from ..store.roster import employee_ids


def hub_user_name(employee_id: str) -> str:
    """The hub (and operating-system) user name of an employee."""
    return employee_id.strip().lower()


class LearnerNames:
    """Maps a hub user name to the roster's employee id (refreshed at most once a minute)."""

    def __init__(self, store: ProgressStore, max_age_s: float = 60.0):
        self.store = store
        self.max_age_s = max_age_s
        self._map: dict[str, str] = {}
        self._read_at = 0.0

    def _refresh(self) -> None:
        ids = employee_ids(self.store)
        self._map = {hub_user_name(i): i for i in ids}
        self._read_at = time.monotonic()

    def learner_id(self, hub_name: str) -> str:
        if hub_name not in self._map or time.monotonic() - self._read_at > self.max_age_s:
            self._refresh()
        return self._map.get(hub_name, hub_name)
