"""Which tracks (and so which assessments) each role requires.

The built-in rules are the roster's (``roster/roles.py``); a YAML file named by the setting
ISO20K_ROLE_REQUIREMENTS_FILE replaces them, role by role::

    staff: [all-staff]
    manager: [all-staff, key-personnel]
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..roster.roles import ROLE_TRACKS, canonical_role, canonical_track
from ..settings import Settings, get_settings
from ..tracks import ASSESSMENTS


class RequirementsError(ValueError):
    pass


def load_requirements(settings: Settings | None = None) -> dict[str, tuple[str, ...]]:
    """Role -> required tracks: the built-in rules, overridden by the file in the settings."""
    settings = settings or get_settings()
    rules = dict(ROLE_TRACKS)
    path = settings.role_requirements_file
    if not path:
        return rules
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RequirementsError(f"{path}: cannot be read as YAML ({exc}). Fix the file or unset "
                                "ISO20K_ROLE_REQUIREMENTS_FILE.") from exc
    if not isinstance(data, dict):
        raise RequirementsError(f"{path}: expected a mapping 'role: [track, ...]', got {type(data).__name__}.")
    problems = []
    for raw_role, raw_tracks in data.items():
        role = canonical_role(str(raw_role)) or str(raw_role).strip().lower()
        if not isinstance(raw_tracks, list) or not raw_tracks:
            problems.append(f"{path}: role '{raw_role}': give a list of tracks, e.g. [all-staff]")
            continue
        tracks = []
        for raw in raw_tracks:
            track = canonical_track(str(raw))
            if track is None:
                problems.append(f"{path}: role '{raw_role}': unknown track '{raw}' (known: {', '.join(ASSESSMENTS)})")
            elif track not in tracks:
                tracks.append(track)
        rules[role] = tuple(tracks)
    if problems:
        raise RequirementsError("\n".join(problems))
    return rules


def describe(rules: dict[str, tuple[str, ...]]) -> list[tuple[str, str, str]]:
    """(role, tracks, assessments) rows for display."""
    return [(role, ", ".join(tracks), ", ".join(ASSESSMENTS[t] for t in tracks)) for role, tracks in rules.items()]
