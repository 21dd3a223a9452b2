"""One learner's training in one place: their tracks, due dates, modules done and left,
assessment results and what to do next.

:func:`training_summary` is a plain function over the progress store (and, when given, nbgrader's
gradebook) returning plain data; the start page's "My training" widget only draws it.  A
deployment where the learner's kernel has no database access can compute the same summary in
a records service and hand the widget the result.  Statuses follow the dashboard's rules
(:func:`iso20k.results.status_of`), so learner and management see the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import and_, func, select, text

from ..banks import Catalog
from ..store import ProgressStore, tables
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
        """True or False once graded, None while waiting."""
        if self.score is None or self.needs_manual or not self.max_score:
            return None
        return self.score >= self.pass_mark * self.max_score - 1e-9


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
    status: str  # one of iso20k.dashboard.STATUSES
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


def _day(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)[:19]).date()


_SUBMISSIONS = text("""
SELECT sa.id, a.name, sa.timestamp FROM submitted_assignment sa
JOIN assignment a ON a.id = sa.assignment_id WHERE LOWER(sa.student_id) = LOWER(:student)
""")
_NOTEBOOKS = text("SELECT id, COALESCE(late_submission_penalty, 0) FROM submitted_notebook WHERE assignment_id = :sub")
_GRADES = text("""
SELECT SUM(CASE WHEN manual_score IS NOT NULL THEN manual_score + COALESCE(extra_credit, 0)
                WHEN auto_score IS NOT NULL THEN auto_score + COALESCE(extra_credit, 0)
                ELSE 0 END),
       MAX(needs_manual_grade)
FROM grade WHERE notebook_id = :nb
""")
_MAX_SCORE = text("""
SELECT COALESCE((SELECT SUM(gc.max_score) FROM grade_cells gc JOIN base_cell bc ON bc.id = gc.id
                  JOIN notebook n ON bc.notebook_id = n.id WHERE n.assignment_id = a.id), 0)
     + COALESCE((SELECT SUM(tc.max_score) FROM task_cells tc JOIN base_cell bc ON bc.id = tc.id
                  JOIN notebook n ON bc.notebook_id = n.id WHERE n.assignment_id = a.id), 0)
FROM assignment a WHERE a.name = :name
""")


def _submissions(learner_id: str, gradebook_url: str | None, course_root: Path | None, snap) -> None:
    """This learner's graded and collected submissions, into ``snap.submissions`` (read-only)."""
    from ..results import Submission
    from ..results.reader import read_only
    from ..tracks import TRACK_OF_ASSESSMENT

    if gradebook_url:
        with read_only(gradebook_url, "gradebook", snap) as conn:
            if conn is not None:
                for sub_id, name, stamp in conn.execute(_SUBMISSIONS, {"student": learner_id}).fetchall():
                    track = TRACK_OF_ASSESSMENT.get(name)
                    if track is None:
                        continue
                    score, manual, penalty = 0.0, False, 0.0
                    for nb, late in conn.execute(_NOTEBOOKS, {"sub": sub_id}).fetchall():
                        total, needs = conn.execute(_GRADES, {"nb": nb}).one()
                        score += float(total or 0)
                        manual = manual or bool(needs)
                        penalty += float(late)
                    max_score = float(conn.execute(_MAX_SCORE, {"name": name}).scalar() or 0)
                    snap.submissions[(learner_id, track)] = Submission(
                        track, _day(stamp), max(0.0, score - penalty), max_score, manual)
    if course_root is not None:
        # on the hub, nbgrader knows learners by their user name: the employee id in lower case
        folders = [Path(course_root) / "submitted" / name for name in dict.fromkeys((learner_id, learner_id.lower()))]
        for track, assignment in ASSESSMENTS.items():
            stamp = next((s for f in folders if (s := f / assignment / "timestamp.txt").is_file()), None)
            if (learner_id, track) not in snap.submissions and stamp is not None:
                try:
                    day = _day(stamp.read_text(encoding="utf-8").strip()[:19])
                except ValueError:
                    day = None
                snap.submissions[(learner_id, track)] = Submission(track, day, None, 0.0, True)


def training_summary(store: ProgressStore, learner_id: str, catalog: Catalog, *,
                     course_dir: Path | None = None, gradebook_url: str | None = None,
                     course_root: Path | None = None, pass_marks: dict[str, float] | None = None,
                     as_of: date | None = None) -> TrainingSummary:
    """Everything "My training" shows for ``learner_id``, read from ``store`` (and the gradebook
    at ``gradebook_url`` / submissions collected under ``course_root``, when given).

    A learner who is not in the roster (yet) gets the all-staff track without a due date, as
    everyone takes it.  ``pass_marks`` are shares of the points per track (default: settings)."""
    from ..results import Person, Snapshot
    from ..results import status_of
    from ..settings import get_settings

    as_of = as_of or date.today()
    if pass_marks is None:
        settings = get_settings()
        pass_marks = {t: settings.pass_mark(t) for t in TRACKS}
    e, en, a, mc = tables.employees, tables.enrolments, tables.answers, tables.module_completions
    with store.engine.connect() as conn:
        name = conn.execute(select(e.c.name).where(and_(e.c.employee_id == learner_id, e.c.active))).scalar()
        due = {t: d for t, d in conn.execute(select(en.c.track, en.c.due_date).where(en.c.employee_id == learner_id))}
        completed = {(t, m): _day(at) for t, m, at in conn.execute(
            select(mc.c.track, mc.c.module, mc.c.completed_at).where(mc.c.learner_id == learner_id))}
        correct: dict[str, set[str]] = {}
        for track, module, qid in conn.execute(select(a.c.track, a.c.module, a.c.question_id).distinct()
                                               .where(and_(a.c.learner_id == learner_id, a.c.correct))):
            correct.setdefault(f"{track}/{module}", set()).add(qid)
        first = {t: _day(at) for t, at in conn.execute(
            select(a.c.track, func.min(a.c.answered_at)).where(a.c.learner_id == learner_id).group_by(a.c.track))}
    if name is None:
        due = {"all-staff": None}
    wanted = [t for t in TRACKS if t in due]

    order = course_modules(course_dir, catalog)
    snap = Snapshot(modules={t: len(order[t]) for t in TRACKS}, pass_marks=dict(pass_marks))
    person = Person(learner_id, name or learner_id, "", "", {t: due[t] for t in wanted})
    snap.people = [person]
    snap.first_activity = {(learner_id, t): d for t, d in first.items()}
    for (track, _module), day in completed.items():
        snap.completions.setdefault((learner_id, track), []).append(day)
    for days in snap.completions.values():
        days.sort()
    _submissions(learner_id, gradebook_url, course_root, snap)

    tracks = []
    for track in wanted:
        modules = []
        for module, notebook in order[track]:
            bank = catalog.banks[f"{track}/{module}"]
            ids = {q.full_id for q in bank.questions}
            modules.append(ModuleState(
                key=bank.module_key, title={"en": bank.title.en, "zh": bank.title.zh}, notebook=notebook,
                correct=len(correct.get(bank.module_key, set()) & ids), questions=len(ids),
                done=(track, module) in completed))
        sub = snap.submissions.get((learner_id, track))
        result = None if sub is None else AssessmentResult(
            ASSESSMENTS[track], sub.submitted_on, sub.score, sub.max_score, sub.needs_manual, pass_marks[track])
        status = status_of(snap, person, track, as_of)
        tracks.append(TrackSummary(track, due[track], status, modules, result,
                                   _next_step(track, modules, result), as_of=as_of))
    return TrainingSummary(learner_id, name, as_of, tracks)


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
def summary_to_json(summary: TrainingSummary) -> dict:
    """The summary as JSON-ready data (dates as ISO strings)."""
    from dataclasses import asdict

    def plain(value):
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(asdict(summary))


def summary_from_json(data: dict) -> TrainingSummary:
    """The inverse of :func:`summary_to_json`."""
    def day(value):
        return date.fromisoformat(value) if value else None

    def module(m):
        return None if m is None else ModuleState(**m)

    tracks = []
    for t in data["tracks"]:
        a = t["assessment"]
        step = t["next_step"]
        tracks.append(TrackSummary(
            track=t["track"], due=day(t["due"]), status=t["status"],
            modules=[ModuleState(**m) for m in t["modules"]],
            assessment=None if a is None else AssessmentResult(**{**a, "submitted_on": day(a["submitted_on"])}),
            next_step=NextStep(kind=step["kind"], track=step["track"], module=module(step["module"]),
                               assignment=step["assignment"]),
            as_of=day(t["as_of"])))
    return TrainingSummary(learner_id=data["learner_id"], name=data["name"], as_of=day(data["as_of"]),
                           tracks=tracks)
