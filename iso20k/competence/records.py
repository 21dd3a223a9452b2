"""Read everything the training records are made of, as of one moment: the dashboard's snapshot
(roster, lessons, assessment results, read-only) and the issued certificates."""

from __future__ import annotations


from ..results import Snapshot, load_snapshot, locate_course, modules_per_track
from ..settings import Settings
from ..tracks import TRACKS


def lesson_modules(settings: Settings) -> dict[str, int]:
    """Lesson modules per track: the count the dashboard uses too."""
    from ..banks import load_catalog

    return modules_per_track(load_catalog(settings.banks_dir))


def load_records(settings: Settings, catalog=None) -> Snapshot:
    """The whole company's records, with day boundaries in the configured time zone (``catalog``:
    the question banks when the caller read them already)."""
    course = locate_course(settings)
    modules = modules_per_track(catalog) if catalog is not None else lesson_modules(settings)
    return load_snapshot(settings.effective_db_url, course.db_url, course.root,
                         modules, {t: settings.pass_mark(t) for t in TRACKS}, settings.zone())
