"""Roster imports in the audit trail: who imported which file and what it changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..roster import ImportSummary, import_roster, roster
from ..store import ProgressStore
from .chain import Entry, append

FIELDS = ("name", "department", "role", "email", "active")


def _people(store: ProgressStore) -> dict[str, dict]:
    out = {}
    for p in roster(store, include_inactive=True):
        row = {f: p.get(f) for f in FIELDS}
        row["tracks"] = {t: (d.isoformat() if d else None) for t, d in sorted(p["tracks"].items())}
        out[p["employee_id"]] = row
    return out


def roster_diff(before: dict[str, dict], after: dict[str, dict]) -> dict:
    added = sorted(set(after) - set(before))
    changed = {}
    for eid in sorted(set(before) & set(after)):
        fields = {k: [before[eid][k], after[eid][k]] for k in after[eid] if before[eid].get(k) != after[eid][k]}
        if fields:
            changed[eid] = fields
    return {"added": added, "changed": changed}


def import_roster_audited(path: Path, store: ProgressStore, actor: str,
                          anchor: Path | None = None) -> tuple[ImportSummary, Entry]:
    """Import the roster (all-or-nothing, as ``import_roster``) and append what changed to the trail."""
    path = Path(path)
    before = _people(store)
    summary = import_roster(path, store)
    after = _people(store)
    details = {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
               "summary": str(summary), **roster_diff(before, after)}
    return summary, append(store, actor, "roster-import", path.name, details, anchor=anchor)
