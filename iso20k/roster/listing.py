"""Read the roster back from the progress store."""

from __future__ import annotations

from ..store import ProgressStore
from ..store.roster import roster as _stored_roster


def roster(store: ProgressStore, include_inactive: bool = False) -> list[dict]:
    """Employees with their tracks and due dates."""
    return _stored_roster(store, include_inactive)
