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
    """Maps a hub user name to the roster's employee id.

    The roster is read again at most once a minute for names it holds, and for a name it does
    not hold (the grader account, a hand-made hub user) at most once every ``unknown_retry_s``
    whoever asks (a negative cache: such users do not make every request read the whole employee
    table; a new hire's records are filed under the roster's spelling within that time)."""

    def __init__(self, store: ProgressStore, max_age_s: float = 60.0, unknown_retry_s: float = 10.0):
        self.store = store
        self.max_age_s = max_age_s
        self.unknown_retry_s = unknown_retry_s
        self._map = id_in_roster(())
        self._names: set[str] = set()
        self._read_at = float("-inf")
        self.reads = 0  # how often the roster was read (the tests count it)

    def refresh(self) -> None:
        ids = employee_ids(self.store)
        self._map, self._names = id_in_roster(ids), {hub_user_name(i) for i in ids}
        self._read_at = time.monotonic()
        self.reads += 1

    def needs_refresh(self, hub_name: str) -> bool:
        age = time.monotonic() - self._read_at
        return age > self.max_age_s or (hub_name not in self._names and age > self.unknown_retry_s)

    def known(self, hub_name: str) -> str:
        """The employee id as last read (no database access)."""
        return self._map(hub_name)

    def learner_id(self, hub_name: str) -> str:
        if self.needs_refresh(hub_name):
            self.refresh()
        return self._map(hub_name)
