"""The dashboard itself: filters, language switch and the views, as ipywidgets for Voila.

Reading only: data comes from :mod:`.sources`, which opens every database read-only."""

from __future__ import annotations

import os
import time
from pathlib import Path
from datetime import date, datetime

import ipywidgets as w

from ..banks import load_catalog
from ..grading.exam_model import load_exams
from ..grading.item_pool import load_pool
from ..settings import LANGUAGES, Settings, get_settings
from ..texts import LANGUAGE_NAMES, role_label, t
from ..texts.templating import Markup, html_parts
from ..tracks import TRACKS, track_title
from .certificates_panel import certificate_panel, read_certificates
from .follow_up_panel import follow_up_panel, read_follow_up
from .charts import completion_chart, department_bars, legend, score_histograms
from ..results.views import Filters, View, build_view, options
from .kernel_log import log
from . import cache as reading_cache
from .access import identity_from_environment, wait_for_request
from .clauses import clause_title, source_label
from .controls import Check, Choice, Day, Toggle
from ..results.readiness import readiness_cells
from .outlook import clause_table, completion_history, readiness, verdict
from .people_list import SORTS, entries, sort_entries
from ..results import Reader, Snapshot, locate_course, modules_per_track
from .viewer import NotAllowed, Viewer, parse_manager_departments, viewer_for
from ..results import status_of, statuses
from .tables import department_cells, download_link, html_table, people_cells, percent_text



def exam_item_clauses(settings: Settings) -> dict[tuple[str, str], list[str]]:
    """(assignment, item id) -> the clauses the exam item tests, for the exam files' items and
    every item of their pools (a learner's form holds pool items)."""
    try:
        exams = load_exams(settings.exams_dir)
    except Exception:  # noqa: BLE001 - without exam definitions the clause table shows quizzes only
        log.exception("exam definitions unreadable")
        return {}
    clauses = {(exam.assignment, item.id): list(item.clauses) for exam in exams for item in exam.items}
    for path in sorted(Path(settings.exams_dir).glob("*.yaml")):
        try:
            pool = load_pool(path)
        except Exception:  # noqa: BLE001 - a pool check-banks refuses: the exam file's items only
            log.exception("item pool of %s unreadable", path)
            continue
        clauses.update({(pool.exam.assignment, item.id): list(item.clauses) for item in pool.items.values()})
    return clauses


def exam_fixed_items(settings: Settings) -> dict[str, set[str]]:
    """assignment -> the exam file's items on every form (ordering and written items, not drawn)."""
    try:
        exams = load_exams(settings.exams_dir)
    except Exception:  # noqa: BLE001 - reported by exam_item_clauses
        return {}
    return {exam.assignment: {item.id for item in exam.items if item.kind != "choice"} for exam in exams}


class DataSource:
    """Where the dashboard reads from, everything read (``full``, kept in the kernel), and the part
    the viewer may see (``snapshot``): every figure is computed from ``snapshot`` only.  Until
    :meth:`restrict` is told who is looking, the viewer may see nothing."""

    def __init__(self, settings: Settings):
        self.progress_url = settings.effective_db_url
        course = locate_course(settings)
        self.course_root, self.gradebook_url = course.root, course.db_url
        self.warning_days = settings.certificate_warning_days
        self.certificates: list = []
        self._certificates_stamp: tuple | None = None  # of the certificates read (None: not read)
        self._certificates_position: tuple | None = None  # the store's position when they were
        self.zone = settings.zone()
        self.pass_marks = {track: settings.pass_mark(track) for track in TRACKS}
        self.audit_date = settings.audit_date
        self.full = Snapshot()
        self._late: dict | None = None  # late hand-ins of timed assessments (None: read when asked)
        self.departments: frozenset[str] | None = frozenset()  # nobody's rows until told
        self.snapshot = Snapshot()
        self._statuses: dict[date, dict] = {}
        self._full_statuses: dict = {}
        self.kept_file = reading_cache.cache_file(settings.data_dir, settings.runtime_dir)
        self._kept_key = (self.progress_url, self.gradebook_url, str(self.course_root),
                          getattr(self.zone, "key", None) or str(self.zone), tuple(sorted(self.pass_marks.items())),
                          reading_cache.sources_stamp(settings.banks_dir, settings.exams_dir))
        self._unsaved = False
        kept = reading_cache.load(self.kept_file, self._kept_key)
        if kept is not None:  # the last kernel's reading, brought up to date
            started = time.monotonic()
            self.reader, self.full = kept
            self.modules = self.reader.modules
            self._rescope()
            log.info("kept reading taken in %.2fs", time.monotonic() - started)
            self.refresh()  # what changed since it was kept; and the certificates, which are not kept
            return
        catalog = load_catalog(settings.banks_dir)
        self.modules = modules_per_track(catalog)
        self.reader = Reader(self.progress_url, self.gradebook_url, self.course_root, self.modules,
                             self.pass_marks, self.zone,
                             {qid: list(q.clauses) for qid, q in catalog.questions.items()},
                             exam_item_clauses(settings), exam_fixed_items(settings))
        self.reload()
        self.keep()

    def keep(self) -> None:
        """Leave this reading for the next kernel (see :mod:`.cache`): only in a kernel Voila
        started, whose server made the private folder; the dashboard creates nothing else."""
        if "VOILA_PREHEAT" not in os.environ or not self.kept_file.parent.is_dir():
            return
        try:
            reading_cache.save(self.kept_file, self._kept_key, self.reader, self.full)
            self._unsaved = False
        except OSError as exc:
            log.warning("reading not kept: %s", exc)

    def today(self) -> date:
        return datetime.now(self.zone).date()

    def restrict(self, departments: frozenset[str] | None) -> None:
        """Show only ``departments`` (None: the company) from now on."""
        self.departments = departments
        self._rescope()

    def _rescope(self) -> None:
        self.snapshot = self.full.scoped(self.departments)
        self._statuses = {}

    def reload(self) -> None:
        started = time.monotonic()
        self.full = self.reader.load()
        self._late = None
        self._certificates_stamp = None
        self._read_certificates()
        self._full_statuses = {}
        self._rescope()
        # To the server's log (a kernel's stderr), never to the page: when, how much, how long.
        log.info("data read: %d employees, %d submissions in %.1fs", len(self.full.people),
                 len(self.full.submissions), time.monotonic() - started)

    def refresh(self) -> bool:
        """Read what changed since the last read; True if anything had."""
        started = time.monotonic()
        self.full, done = self.reader.refresh(self.full)
        if done:
            self._unsaved = True
            self._update_statuses(getattr(self.reader, "changed_learners", None))
            self._rescope()
        position = self.reader.progress_position
        if done or not position or position != self._certificates_position:
            self._late = None  # a hand-in was collected or graded, or the store was written to
        if not position or position != self._certificates_position:  # the store was written to
            if self._read_certificates():  # not kept with the reading: nothing to save again
                done = [*done, "certificates"]
        if done:
            log.info("read again: %s in %.2fs", ", ".join(done), time.monotonic() - started)
        return bool(done)

    def _update_statuses(self, learners: set[str] | None) -> None:
        """After a refresh: work the statuses worked out in advance out again for ``learners``
        only (a status depends on that learner's own rows alone), or drop them (None)."""
        if learners is None or not self._full_statuses:
            self._full_statuses = {}
            return
        people = [p for p in self.full.people if p.employee_id in learners]
        self._full_statuses = {
            day: {**known, **{(p.employee_id, t): status_of(self.full, p, t, day) for p in people for t in p.due}}
            for day, known in self._full_statuses.items()}

    def late_marks(self) -> dict:
        """(employee id, track) -> minutes a timed assessment was handed in late, as the trail
        recorded the hand-in (read again after anything was handed in, collected or graded)."""
        if self._late is None:
            from ..results.late import late_marks
            from ..results.reader import read_only

            self._late = {}
            with read_only(self.progress_url, "late hand-ins", self.full) as conn:
                if conn is not None:
                    self._late = late_marks(conn, [p.employee_id for p in self.full.people])
        return self._late

    def _read_certificates(self) -> bool:
        """Read the certificates again if any was issued or revoked since; True if read."""
        position = self.reader.progress_position
        stamp, certificates = read_certificates(self.progress_url, self.full, after=self._certificates_stamp)
        self._certificates_position = position
        if certificates is None:
            return False
        self.certificates, self._certificates_stamp = certificates, stamp
        return True

    def prepare(self) -> None:
        """While the page waits for someone to open it: work out today's statuses for everyone
        (kept in the kernel; a viewer gets only their own departments' ones)."""
        today = self.today()
        self._full_statuses = {today: statuses(self.full, today)}
        if self._unsaved:
            self.keep()

    def statuses(self, as_of: date) -> dict:
        if as_of not in self._statuses:
            full = self._full_statuses.get(as_of)
            if full is not None and self.full.people:
                ids = {p.employee_id for p in self.snapshot.people}
                mine = full if self.departments is None else {k: v for k, v in full.items() if k[0] in ids}
            else:
                mine = statuses(self.snapshot, as_of)
            self._statuses = {as_of: mine}  # keep one day: small and fresh
        return self._statuses[as_of]


class Dashboard:
    """Build with :meth:`from_settings`, show ``dashboard.widget``."""

    def __init__(self, source: DataSource, language: str = "en", settings: Settings | None = None):
        self.source = source
        self.settings = settings or get_settings()
        self.viewer: Viewer | None = None  # nobody, until the server says who is looking
        self.language = language
        self.version = 0
        self._quiet = False
        layout = w.Layout(width="auto")
        self.lang = Toggle(options=[(LANGUAGE_NAMES[code], code) for code in LANGUAGES], value=language,
                                    style={"button_width": "90px"})
        self.track = Choice(layout=layout)
        self.department = Choice(layout=layout)
        self.role = Choice(layout=layout)
        self.as_of = Day(value=source.today(), layout=layout)
        self.reload_button = w.Button(layout=w.Layout(width="auto"))
        self.sort = Choice(options=[(v, k) for k, v in SORTS.items()], value="name", layout=layout)
        self.overdue_only = Check(value=False, indent=False, layout=w.Layout(width="auto"))
        self.people_controls = w.HBox([self.sort, self.overdue_only],
                                      layout=w.Layout(flex_flow="row wrap", gap="8px", margin="6px 0 0"))
        self.people_controls.add_class("iso20k-people-controls")
        self.header = w.HTML()
        self.headline = w.HTML()
        self.table = w.HTML()
        self.chart = w.HTML()
        self.people = w.HTML()
        self.scores = w.HTML()
        self.outlook = w.HTML()
        self.message = w.HTML()
        self.certs = w.HTML()
        self.follow_up = w.HTML()  # reminders and escalations per department (follow_up_panel.py)
        # One panel a line: another one (e.g. reminders per department) is one more entry.
        self.body = w.VBox([self.headline, self.table, self.outlook, self.chart, self.people_controls, self.people,
                            self.scores, self.certs, self.follow_up])
        self.controls = w.HBox([self.track, self.department, self.role, self.as_of, self.reload_button],
                               layout=w.Layout(flex_flow="row wrap", gap="8px", margin="6px 0"))
        self.widget = w.VBox([w.HBox([self.lang]), self.header, self.controls, self.message, self.body],
                             layout=w.Layout(padding="4px 8px"))
        self.widget.add_class("iso20k-dashboard")
        for control in (self.track, self.department, self.role, self.as_of, self.sort, self.overdue_only):
            control.observe(self._on_filter, names="value")
        self.lang.observe(self._on_language, names="value")
        self.reload_button.on_click(self._on_reload)
        self._mark_language()
        self._relabel()
        self.render()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> "Dashboard":
        settings = settings or get_settings()
        return cls(DataSource(settings), language=settings.language, settings=settings)

    # -- events ---------------------------------------------------------------------------
    def _on_filter(self, _change) -> None:
        if not self._quiet:
            self._safely(self.render)

    def _on_language(self, change) -> None:
        self.language = change["new"] if change["new"] in LANGUAGES else "en"
        self._mark_language()
        self._safely(lambda: (self._relabel(), self.render()))

    def _on_reload(self, _button=None) -> None:
        self._safely(lambda: (self.source.refresh(), self._relabel(), self.render()))

    def when_opened(self) -> None:
        """The notebook's last step.  Voila prepares pages in advance and pauses here until
        someone opens the page; then the server says who is looking (see :mod:`.access`), the
        page shows what they may see, read again first if the data changed meanwhile."""
        if os.environ.get("VOILA_PREHEAT") == "True":  # a page prepared in advance
            self.source.prepare()
            log.info("page prepared")
            wait_for_request()
        self.open_for(identity_from_environment())

    def open_for(self, identity) -> None:
        """Show the page to ``identity`` (an :class:`~.viewer.Identity` the server vouched for,
        or None), limited to what the roster lets them see; refuse anyone else."""
        self._safely(self.source.refresh)
        roster = {p.employee_id: (p.role, p.department) for p in self.source.full.people}
        try:
            viewer = viewer_for(identity, roster, trainers=self.settings.trainer_ids,
                                trainer_groups=self.settings.trainer_groups,
                                manager_departments=parse_manager_departments(
                                    self.settings.dashboard_manager_departments))
        except (NotAllowed, ValueError) as refused:
            self.viewer = None
            self.source.restrict(frozenset())
            log.warning("refused: %s", refused)
            self.controls.layout.display = self.body.layout.display = "none"
            self.header.value = ""
            self.message.value = page().refused(self.language)
            return
        self.viewer = viewer
        log.info("page opened for %s (%s)", viewer.name, viewer.why)
        self.source.restrict(viewer.departments)
        self.as_of.value = self.source.today()
        self.controls.layout.display = None
        self._safely(lambda: (self._relabel(), self.render()))

    def refresh_if_changed(self) -> None:
        """Read again what changed since the data was read."""
        if self.source.refresh():
            self._relabel()
            self.render()

    def _safely(self, action) -> None:
        """Run ``action``; a failure shows a plain message, never a traceback."""
        try:
            action()
        except Exception:  # noqa: BLE001 - the page must stay usable whatever happened
            log.exception("dashboard update failed")
            self.message.value = page().failed()

    # -- labels ---------------------------------------------------------------------------
    def _mark_language(self) -> None:
        """Name the page's language on the dashboard's element (``iso20k-lang-zh``); the page's
        template copies it to ``<html lang>`` ("zh-Hans" or "en"), so the browser draws Chinese
        with Simplified Chinese glyphs."""
        for code in LANGUAGES:
            self.widget.remove_class(f"iso20k-lang-{code}")
        self.widget.add_class(f"iso20k-lang-{self.language}")

    def _relabel(self) -> None:
        lang = self.language
        departments, roles = options(self.source.snapshot)
        self._quiet = True
        try:
            for control, first, values, label in (
                    (self.track, t("All tracks", lang), list(TRACKS), lambda v: track_title(v, lang)),
                    (self.department, t("All departments", lang), departments, lambda v: v),
                    (self.role, t("All roles", lang), roles, lambda v: role_label(v, lang))):
                keep = control.value if control.value in values else ""
                control.options = [(first, "")] + [(label(v), v) for v in values]
                control.value = keep
            self.track.description, self.department.description = t("Track", lang), t("Department", lang)
            self.role.description, self.as_of.description = t("Role", lang), t("As of", lang)
            self.reload_button.description = t("Reload data", lang)
            keep = self.sort.value or "name"
            self.sort.options = [(t(label, lang), key) for key, label in SORTS.items()]
            self.sort.value = keep
            self.sort.description = t("Sort by", lang)  # the select's label (screen readers name it)
            self.overdue_only.description = t("Overdue only", lang)
        finally:
            self._quiet = False

    # -- views ----------------------------------------------------------------------------
    def filters(self) -> Filters:
        as_of = self.as_of.value if isinstance(self.as_of.value, date) else None
        self.message.value = "" if as_of else page().bad_date(self.language)
        return Filters(as_of=as_of or self.source.today(), track=self.track.value or "",
                       department=self.department.value or "", role=self.role.value or "")

    def current_view(self) -> View:
        filters = self.filters()
        return build_view(self.source.snapshot, self.source.statuses(filters.as_of), filters)

    def render(self) -> None:
        lang, snap = self.language, self.source.snapshot
        self.version += 1
        if self.viewer is None:  # not opened yet, or refused: nothing to show
            self.controls.layout.display = self.body.layout.display = "none"
            return
        view = self.current_view()
        loaded = snap.loaded_at.astimezone(self.source.zone).strftime("%Y-%m-%d %H:%M")
        self.header.value = page().header(lang, view.filters.as_of.isoformat(), loaded, snap.notes)
        empty = not snap.people
        self.controls.layout.display = None
        for control in (self.track, self.department, self.role, self.as_of):
            control.layout.display = "none" if empty else None
        self.body.layout.display = "none" if empty else None
        if empty:
            self.message.value = page().empty(lang, self.version)
            return
        self.headline.value = self._headline(view)
        if not view.people:
            self.table.value = page().no_match(lang, self.version)
            for widget, name in ((self.chart, "chart"), (self.people, "people"), (self.scores, "scores"),
                                 (self.outlook, "outlook"), (self.certs, "certificates"),
                                 (self.follow_up, "follow-up")):
                widget.value = page().blank(name, self.version)
            return
        header, rows = department_cells(view, lang)
        stamp = view.filters.as_of.isoformat()
        self.table.value = page().departments(
            lang, self.version, html_table(header, rows, "departments", self.version, total_row=True),
            download_link(header, rows, f"training-completion-{stamp}.csv", t("Download this table (CSV)", lang),
                          "departments"))
        self.chart.value = page().chart(lang, self.version, Markup(legend(lang)), Markup(department_bars(view, lang)))
        self.people.value = self._people(view)
        self.outlook.value = self._outlook(view)
        histograms = score_histograms(view, self.source.pass_marks, lang)
        self.scores.value = page().scores(lang, self.version, Markup(histograms))
        # view.people is the viewer's scope already: certificates of other departments never show
        self.certs.value = certificate_panel(self.source.certificates, view.people, view.filters.as_of,
                                             self.source.warning_days, lang, self.version, self.source.zone)
        self.follow_up.value = follow_up_panel(read_follow_up(self.source.progress_url, snap),
                                               {row.department for row in view.rows}, view.filters.as_of, lang,
                                               self.version, self.source.zone)

    def _headline(self, view: View) -> str:
        tracks = [(track, track_title(track, self.language, short=True), percent_text(view.total.tracks[track]),
                   view.total.tracks[track].passed, view.total.tracks[track].enrolled) for track in view.tracks]
        return page().headline(self.language, self.version, view.employees, tracks, view.overdue_people)

    def _people(self, view: View) -> str:
        """One department's employees, or everyone overdue ("Overdue only"), sorted as chosen."""
        lang = self.language
        overdue_only = bool(self.overdue_only.value)
        if not view.filters.department and not overdue_only:
            return page().people_hint(lang, self.version)
        rows = sort_entries(entries(view, self.source.statuses(view.filters.as_of), overdue_only),
                            self.sort.value or "name")
        header, cells = people_cells(view, lang, rows, late=self.source.late_marks())
        stamp = view.filters.as_of.isoformat()
        what = view.filters.department or "overdue"
        return page().people(lang, self.version, view.filters.department, overdue_only, len(cells),
                             html_table(header, cells, "people", self.version),
                             download_link(header, cells, f"training-{what}-{stamp}.csv",
                                           t("Download this list (CSV)", lang), "people"))

    def _outlook(self, view: View) -> str:
        """Readiness for the audit, completion over time, and the clauses answered worst."""
        lang, snap = self.language, self.source.snapshot
        audit = self.source.audit_date
        rows = readiness(view, audit)
        header, cells = readiness_cells(rows, audit, lang)  # the weekly digest shows the same table
        history = completion_history(view)
        clauses = clause_table(view, snap)
        clause_rows = [[clause_title(c, lang), str(n), str(wrong), f"{100 * wrong / n:.0f}%",
                        " + ".join(f"{source_label(k, lang)} {v}" for k, v in sorted(sources.items()))]
                       for c, n, wrong, sources in clauses]
        clause_header = [t("Clause", lang), t("answers", lang), t("wrong", lang),
                         t("% wrong", lang), t("from", lang)]
        return page().outlook(lang, self.version, audit.isoformat() if audit else None, verdict(rows, audit),
                              html_table(header, cells, "readiness", self.version),
                              Markup(completion_chart(history, lang)),
                              html_table(clause_header, clause_rows, "clauses", self.version) if clause_rows else None)


def page():
    """The page parts' macros (templates/dashboard.html)."""
    return html_parts("iso20k.dashboard", "dashboard.html")
