"""Roster imports in the audit trail: who imported which file and what it changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..roster import ImportResult, import_roster, roster
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


def import_roster_audited(path: Path, store: ProgressStore, actor: str, anchor: Path | None = None,
                          **options) -> tuple[ImportResult, Entry | None]:
    """Import the roster (all-or-nothing, as ``import_roster`` with the same ``options``) and
    append what changed to the trail.  A dry run writes nothing, to the trail neither."""
    path = Path(path)
    before = _people(store)
    result = import_roster(path, store, **options)
    if options.get("dry_run"):
        return result, None
    after = _people(store)
    details = {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
               "summary": f"{len(result.added)} added, {len(result.updated)} updated, "
                          f"{len(result.deactivated)} marked inactive",
               **roster_diff(before, after)}
    return result, append(store, actor, "roster-import", path.name, details, anchor=anchor)
