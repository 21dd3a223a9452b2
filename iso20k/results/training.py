"""One learner's training in one place ("My training"): their tracks, due dates, modules done and
left, assessment results and what to do next: the per-learner reading path of the record.

:func:`training_summary` is a plain function over the progress store (and, when given, nbgrader's
gradebook) returning plain data; the start page's "My training" widget only draws it.  A
deployment where the learner's kernel has no database access can compute the same summary in
a records service and hand the widget the result.  Statuses follow the record's rules
(:func:`iso20k.results.status_of`), so learner and management see the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..banks import Catalog
from .rules import passed
from ..store import ProgressStore
from ..tracks import ASSESSMENTS, TRACKS

_NOTEBOOK = re.compile(r"^(?P<order>\d\d)-(?P<module>[a-z0-9-]+)\.en\.ipynb$")


@dataclass(frozen=True)
class ModuleState:
    key: str  # track/module
    title: dict[str, str]  # {"en": ..., "zh": ...}
    notebook: str | None  # course-relative path without ".<lang>.ipynb", e.g. "all-staff/03-roadmap"
    correct: int  # questions answered correctly at least once
    questions: int
    done: bool


@dataclass(frozen=True)
class AssessmentResult:
    assignment: str
    submitted_on: date | None
    score: float | None  # None: not graded yet
    max_score: float
    needs_manual: bool  # a written answer still waits for the trainer's mark
    pass_mark: float  # share of the points needed

    @property
    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return 100.0 * self.score / self.max_score

    @property
    def passed(self) -> bool | None:
        """True or False once graded, None while waiting (:func:`iso20k.results.rules.passed`)."""
        return passed(self.score, self.max_score, self.pass_mark, self.needs_manual)


@dataclass(frozen=True)
class NextStep:
    """``kind``: ``module`` (open ``module``), ``assessment`` (take the track's assessment),
    ``wait`` (handed in, being graded), ``retake`` (failed: talk to the trainer), ``done``."""

    kind: str
    track: str
    module: ModuleState | None = None
    assignment: str | None = None


@dataclass(frozen=True)
class TrackSummary:
    track: str
    due: date | None
    status: str  # one of iso20k.results.STATUSES
    modules: list[ModuleState]
    assessment: AssessmentResult | None
    next_step: NextStep

    @property
    def modules_done(self) -> int:
        return sum(m.done for m in self.modules)

    @property
    def modules_left(self) -> int:
        return len(self.modules) - self.modules_done

    @property
    def days_left(self) -> int | None:
        return None if self.due is None else (self.due - self.as_of).days

    as_of: date = field(default_factory=date.today)


@dataclass(frozen=True)
class TrainingSummary:
    learner_id: str
    name: str | None  # None: not in the roster
    as_of: date
    tracks: list[TrackSummary]

    @property
    def in_roster(self) -> bool:
        return self.name is not None

    @property
    def next_step(self) -> NextStep | None:
        """The most urgent step: the unfinished track due first (tracks without a date last)."""
        open_tracks = [t for t in self.tracks if t.next_step.kind != "done"]
        if not open_tracks:
            return None
        open_tracks.sort(key=lambda t: (t.due is None, t.due or date.max, TRACKS.index(t.track)))
        return open_tracks[0].next_step


def course_modules(course_dir: Path | None, catalog: Catalog) -> dict[str, list[tuple[str, str | None]]]:
    """Per track, ``(module, notebook)`` in course order: from the notebooks in ``course_dir``
    (``NN-module.en.ipynb``), then any bank without a notebook, alphabetically."""
    out: dict[str, list[tuple[str, str | None]]] = {t: [] for t in TRACKS}
    for track in TRACKS:
        seen = set()
        folder = Path(course_dir) / track if course_dir else None
        if folder is not None and folder.is_dir():
            for nb in sorted(folder.iterdir()):
                m = _NOTEBOOK.match(nb.name)
                if m and f"{track}/{m.group('module')}" in catalog.banks:
                    out[track].append((m.group("module"), f"{track}/{nb.name.removesuffix('.en.ipynb')}"))
                    seen.add(m.group("module"))
        for key in sorted(catalog.banks):
            bank_track, module = key.split("/", 1)
            if bank_track == track and module not in seen:
                out[track].append((module, None))
    return out


def training_summary(store: ProgressStore, learner_id: str, catalog: Catalog, *,
                     course_dir: Path | None = None, gradebook_url: str | None = None,
                     course_root: Path | None = None, pass_marks: dict[str, float] | None = None,
                     as_of: date | None = None, zone=None) -> TrainingSummary:
    """Everything "My training" shows for ``learner_id``, read from ``store`` (and the gradebook
    at ``gradebook_url`` / submissions collected under ``course_root``, when given) through
    :func:`iso20k.results.read_learner`, which reads this learner only.

    A learner who is not in the roster (yet) gets the all-staff track without a due date, as
    everyone takes it.  ``pass_marks`` are shares of the points per track and ``zone`` the zone
    whose days count (default: the settings')."""
    from .learner import read_learner
    from .status import status_of
    from ..settings import get_settings

    if pass_marks is None or zone is None:
        settings = get_settings()
        pass_marks = pass_marks if pass_marks is not None else {t: settings.pass_mark(t) for t in TRACKS}
        zone = zone or settings.zone()
    as_of = as_of or datetime.now(zone).date()
    order = course_modules(course_dir, catalog)
    record = read_learner(store.engine, learner_id, modules={t: len(order[t]) for t in TRACKS},
                          pass_marks=pass_marks, gradebook_url=gradebook_url, course_root=course_root, zone=zone)
    snap, person = record.snapshot, record.person

    tracks = []
    for track in person.due:
        modules = []
        for module, notebook in order[track]:
            bank = catalog.banks[f"{track}/{module}"]
            ids = {q.full_id for q in bank.questions}
            modules.append(ModuleState(
                key=bank.module_key, title={"en": bank.title.en, "zh": bank.title.zh}, notebook=notebook,
                correct=len(record.correct.get(bank.module_key, set()) & ids), questions=len(ids),
                done=(track, module) in record.completed))
        sub = snap.submissions.get((learner_id, track))
        result = None if sub is None else AssessmentResult(
            ASSESSMENTS[track], sub.submitted_on, sub.score, sub.max_score, sub.needs_manual, pass_marks[track])
        status = status_of(snap, person, track, as_of)
        tracks.append(TrackSummary(track, person.due[track], status, modules, result,
                                   _next_step(track, modules, result), as_of=as_of))
    return TrainingSummary(learner_id, person.name if record.in_roster else None, as_of, tracks)


def _next_step(track: str, modules: list[ModuleState], result: AssessmentResult | None) -> NextStep:
    assignment = ASSESSMENTS[track]
    if result is not None:
        verdict = result.passed
        if verdict is None:
            return NextStep("wait", track, assignment=assignment)
        return NextStep("done" if verdict else "retake", track, assignment=assignment)
    for module in modules:
        if not module.done:
            return NextStep("module", track, module=module)
    return NextStep("assessment", track, assignment=assignment)


# -- crossing the records service ---------------------------------------------------------------
def _adapter():
    from pydantic import TypeAdapter

    global _ADAPTER
    if _ADAPTER is None:
        _ADAPTER = TypeAdapter(TrainingSummary)
    return _ADAPTER


_ADAPTER = None


def summary_to_json(summary: TrainingSummary) -> dict:
    """The summary as JSON-ready data (dates as ISO strings)."""
    return _adapter().dump_python(summary, mode="json")


def summary_from_json(data: dict) -> TrainingSummary:
    """The inverse of :func:`summary_to_json` (checked: a malformed answer raises pydantic's
    ``ValidationError``)."""
    return _adapter().validate_python(data)
