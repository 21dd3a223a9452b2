"""The learner's own form, as the grader knows it: drawn again from the keyed pool for the attempt
the trail says the hand-in belongs to (never taken from the notebook, whose form metadata the
learner can edit), with the hand-in's lateness under the time limit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .forms import Form, draw_form
from .item_pool import Pool
from .sittings import Sitting, sitting_of_hand_in

_SITTINGS: dict | None = None
_CASES: dict[tuple, "FormCase"] = {}


@dataclass
class FormCase:
    form: Form
    pool: Pool
    sitting: Sitting | None
    minutes_late: float = 0.0
    findings: list[str] = field(default_factory=list)
    ungraded: bool = False  # late under the 'ungraded' rule: its answers are not judged


_SETTING: list = []  # [(the course's environment variables they were read from, settings)]
_READ_AT: list[float] = []  # when _SITTINGS was read (time.monotonic)
#: Seconds a process trusts the sittings it read: a formgrader server (nbgrader's own Autograde
#: button) grades for days, and learners fetch and hand in meanwhile.
SITTINGS_FRESH_S = 15.0


def _settings():
    """The settings, read once per grading process and environment (reading them costs a fifth of
    a second; a process that grades under other settings, e.g. another data folder, reads them again)."""
    import os

    from ..settings import ENV_PREFIX

    environment = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIX)))
    if not _SETTING or _SETTING[0][0] != environment:
        from ..settings import read_settings

        forget()
        _SETTING.append((environment, read_settings()))
    return _SETTING[0][1]


def all_sittings(settings=None) -> dict:
    """Every sitting in the trail ({} when the trail cannot be read), read again when older than
    SITTINGS_FRESH_S (the forms judged from older ones are forgotten with them)."""
    import time

    global _SITTINGS
    if _SITTINGS is None or time.monotonic() - _READ_AT[0] > SITTINGS_FRESH_S:
        from .sittings import fetch_all

        _CASES.clear()
        _READ_AT[:] = [time.monotonic()]
        try:
            _SITTINGS = fetch_all(settings or _settings())
        except Exception:  # noqa: BLE001 - no trail: every hand-in is graded as attempt 1, and says so
            _SITTINGS = {}
    return _SITTINGS


def forget() -> None:
    """Read the sittings (and the settings) afresh next time (tests; a long-lived grading process)."""
    global _SITTINGS
    _SITTINGS = None
    _CASES.clear()
    _SETTING.clear()


def _handed_in(root: Path, coursedir, student: str, assignment: str) -> dt.datetime | None:
    from nbgrader.utils import parse_utc

    stamp = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment)) / "timestamp.txt"
    try:
        value = parse_utc(stamp.read_text().strip())
    except (OSError, ValueError, TypeError):
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def learner_form(config, resources) -> FormCase | None:
    """The form of the submission being graded, or None when its assessment has no forms."""
    from nbgrader.coursedir import CourseDirectory

    from .form_notebook import RELEASED_POOL, keyed_pool_path, read_keyed_pool

    info = resources["nbgrader"]
    coursedir = CourseDirectory(config=config)
    pool = read_keyed_pool(Path(coursedir.root), info["assignment"])
    if pool is None:
        release = Path(coursedir.format_path(coursedir.release_directory, ".", info["assignment"]))
        if (release / RELEASED_POOL).exists():  # released as forms, but the keys are not here: judge nothing
            raise RuntimeError(f"{info['assignment']} was released with per-learner forms, but the graders' keyed "
                               f"pool {keyed_pool_path(Path(coursedir.root), info['assignment'])} is missing; run "
                               "'iso20k build-assessments' in the course folder (or copy forms/ into it), then grade again")
        return None
    student, assignment = info["student"], info["assignment"]
    handed = _handed_in(Path(coursedir.root), coursedir, student, assignment)
    settings = _settings()
    every = all_sittings(settings)  # first: forms judged from sittings read too long ago are forgotten
    key = (student, assignment, handed, pool.digest())
    if key in _CASES:
        return _CASES[key]
    sittings = every.get((student, assignment), [])
    sitting = sitting_of_hand_in(sittings, handed) if handed else (sittings[-1] if sittings else None)
    findings = []
    if sitting is None:
        findings.append("no start of this attempt is recorded in the trail (not fetched through the exchange?); "
                        "judged against the learner's first form")
    form = draw_form(pool, student, sitting.attempt if sitting else 1)
    late = 0.0
    if sitting is not None:
        moment = max(t for t in (handed, sitting.handed_in_at) if t is not None) if (handed or sitting.handed_in_at) \
            else None
        if moment is not None:
            late = sitting.minutes_late(moment, settings.exam_grace_minutes)
        if late:
            rule = ("not judged: scored 0" if settings.exam_late_rule == "ungraded"
                    else "graded and flagged late")
            findings.append(f"LATE: handed in {late:g} min after the time limit ({sitting.minutes} min from the fetch "
                            f"at {sitting.started_at:%Y-%m-%d %H:%M} UTC) plus {settings.exam_grace_minutes} min "
                            f"grace; {rule} (ISO20K_EXAM_LATE_RULE={settings.exam_late_rule})")
    case = FormCase(form, pool, sitting, late, findings, bool(late) and settings.exam_late_rule == "ungraded")
    _CASES[key] = case
    return case


def form_claim_problem(nb, case: FormCase) -> str | None:
    """What is wrong with the form the notebook claims (learner-editable metadata), or None."""
    claimed = (nb.get("metadata") or {}).get("iso20k_form")
    if not isinstance(claimed, dict):
        return "the notebook carries no form (was it fetched through the exchange?); judged against the learner's form"
    mine = case.form.as_dict()
    try:
        same = [(s["slot"], s["item"], s["order"]) for s in claimed.get("slots", [])] == \
            [(s["slot"], s["item"], s["order"]) for s in mine["slots"]]
    except (TypeError, KeyError):
        same = False
    if not same or claimed.get("attempt") != mine["attempt"]:
        return ("the form recorded in the notebook is not this learner's form for this attempt (its items or "
                "option orders were changed); judged against the learner's own form")
    if claimed.get("pool") != mine["pool"]:
        return "the pool changed since the learner fetched: the questions shown may differ from what they saw"
    return None
