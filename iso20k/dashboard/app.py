"""The dashboard itself: filters, language switch and the views, as ipywidgets for Voila.

Reading only: data comes from :mod:`.sources`, which opens every database read-only."""

from __future__ import annotations

import logging
import sys
import time
from datetime import date
from html import escape
from pathlib import Path

import ipywidgets as w

from ..banks import load_catalog
from ..grading.config import gradebook_url
from ..settings import LANGUAGES, Settings, get_settings
from ..tracks import TRACKS
from .certificates_panel import certificate_panel, read_certificates
from .charts import department_bars, legend, score_histograms
from .figures import Filters, View, build_view, options
from .i18n import role_label, t, track_label
from .sources import Snapshot, load_snapshot, snapshot_stamp
from .status import statuses
from .tables import department_cells, download_link, html_table, people_cells, percent_text

log = logging.getLogger(__name__)


def lesson_modules(settings: Settings) -> dict[str, int]:
    """Lesson modules per track (from the question banks: one bank per module)."""
    counts = {track: 0 for track in TRACKS}
    for bank in load_catalog(settings.banks_dir).banks.values():
        if bank.track in counts:
            counts[bank.track] += 1
    return counts


class DataSource:
    """Where the dashboard reads from, and the latest snapshot with its statuses per day."""

    def __init__(self, settings: Settings):
        self.progress_url = settings.effective_db_url
        self.course_root = Path(settings.course_root)
        self.gradebook_url = gradebook_url(self.course_root, settings)
        self.modules = lesson_modules(settings)
        self.pass_marks = {track: settings.pass_mark(track) for track in TRACKS}
        self.warning_days = settings.certificate_warning_days
        self.certificates: list = []
        self.snapshot = Snapshot()
        self._statuses: dict[date, dict] = {}
        self.reload()

    def reload(self) -> None:
        started = time.monotonic()
        self.snapshot = load_snapshot(self.progress_url, self.gradebook_url, self.course_root,
                                      self.modules, self.pass_marks)
        self.certificates = read_certificates(self.progress_url, self.snapshot)
        self._statuses = {}
        # To the server's log (a kernel's stderr), never to the page: when, how much, how long.
        print(f"[iso20k dashboard] data read: {len(self.snapshot.people)} employees, "
              f"{len(self.snapshot.submissions)} submissions in {time.monotonic() - started:.1f}s",
              file=sys.__stderr__, flush=True)

    def changed(self) -> bool:
        return snapshot_stamp(self.progress_url, self.gradebook_url, self.course_root) != self.snapshot.stamp

    def statuses(self, as_of: date) -> dict:
        if as_of not in self._statuses:
            self._statuses = {as_of: statuses(self.snapshot, as_of)}  # keep one day: small and fresh
        return self._statuses[as_of]


class Dashboard:
    """Build with :meth:`from_settings`, show ``dashboard.widget``."""

    def __init__(self, source: DataSource, language: str = "en"):
        self.source = source
        self.language = language
        self.version = 0
        self._quiet = False
        layout = w.Layout(width="auto")
        self.lang = w.ToggleButtons(options=[("English", "en"), ("简体中文", "zh")], value=language,
                                    style={"button_width": "90px"})
        self.track = w.Dropdown(layout=layout)
        self.department = w.Dropdown(layout=layout)
        self.role = w.Dropdown(layout=layout)
        self.as_of = w.DatePicker(value=date.today(), layout=layout)
        self.reload_button = w.Button(layout=w.Layout(width="auto"))
        self.header = w.HTML()
        self.headline = w.HTML()
        self.table = w.HTML()
        self.chart = w.HTML()
        self.people = w.HTML()
        self.scores = w.HTML()
        self.certs = w.HTML()
        self.message = w.HTML()
        self.body = w.VBox([self.headline, self.table, self.chart, self.people, self.scores, self.certs])
        self.controls = w.HBox([self.track, self.department, self.role, self.as_of, self.reload_button],
                               layout=w.Layout(flex_flow="row wrap", gap="8px", margin="6px 0"))
        self.widget = w.VBox([w.HBox([self.lang]), self.header, self.controls, self.message, self.body],
                             layout=w.Layout(padding="4px 8px"))
        self.widget.add_class("iso20k-dashboard")
        for control in (self.track, self.department, self.role, self.as_of):
            control.observe(self._on_filter, names="value")
        self.lang.observe(self._on_language, names="value")
        self.reload_button.on_click(self._on_reload)
        self._relabel()
        self.render()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> "Dashboard":
        settings = settings or get_settings()
        return cls(DataSource(settings), language=settings.language)

    # -- events ---------------------------------------------------------------------------
    def _on_filter(self, _change) -> None:
        if not self._quiet:
            self._safely(self.render)

    def _on_language(self, change) -> None:
        self.language = change["new"] if change["new"] in LANGUAGES else "en"
        self._safely(lambda: (self._relabel(), self.render()))

    def _on_reload(self, _button=None) -> None:
        self._safely(lambda: (self.source.reload(), self._relabel(), self.render()))

    def when_opened(self) -> None:
        """The notebook's last step.  Voila prepares pages in advance and pauses here until
        someone opens the page; then the data is read again if it changed meanwhile."""
        from voila.utils import wait_for_request

        print("[iso20k dashboard] page prepared", file=sys.__stderr__, flush=True)
        wait_for_request()
        self.refresh_if_changed()

    def refresh_if_changed(self) -> None:
        """Read the data again if a database changed since it was read (a preheated page may
        have been prepared a while before someone opened it)."""
        if self.source.changed():
            self._on_reload()

    def _safely(self, action) -> None:
        """Run ``action``; a failure shows a plain message, never a traceback."""
        try:
            action()
        except Exception:  # noqa: BLE001 - the page must stay usable whatever happened
            log.exception("dashboard update failed")
            self.message.value = ('<div style="color:#c62828">Something went wrong while updating the '
                                  'figures; press “Reload data”. 更新数据时出错，请点击“重新读取数据”。</div>')

    # -- labels ---------------------------------------------------------------------------
    def _relabel(self) -> None:
        lang = self.language
        departments, roles = options(self.source.snapshot)
        self._quiet = True
        try:
            for control, first, values, label in (
                    (self.track, t("all_tracks", lang), list(TRACKS), lambda v: track_label(v, lang, short=False)),
                    (self.department, t("all_departments", lang), departments, lambda v: v),
                    (self.role, t("all_roles", lang), roles, lambda v: role_label(v, lang))):
                keep = control.value if control.value in values else ""
                control.options = [(first, "")] + [(label(v), v) for v in values]
                control.value = keep
            self.track.description, self.department.description = t("track", lang), t("department", lang)
            self.role.description, self.as_of.description = t("role", lang), t("as_of", lang)
            self.reload_button.description = t("refresh", lang)
        finally:
            self._quiet = False

    # -- views ----------------------------------------------------------------------------
    def filters(self) -> Filters:
        as_of = self.as_of.value if isinstance(self.as_of.value, date) else None
        self.message.value = "" if as_of else f'<div style="color:#8a6d00">{escape(t("bad_date", self.language))}</div>'
        return Filters(as_of=as_of or date.today(), track=self.track.value or "",
                       department=self.department.value or "", role=self.role.value or "")

    def current_view(self) -> View:
        filters = self.filters()
        return build_view(self.source.snapshot, self.source.statuses(filters.as_of), filters)

    def render(self) -> None:
        lang, snap = self.language, self.source.snapshot
        self.version += 1
        view = self.current_view()
        loaded = snap.loaded_at.astimezone().strftime("%Y-%m-%d %H:%M")
        notes = (f'<div style="color:#8a6d00">{escape(t("notes", lang, notes="; ".join(snap.notes)))}</div>'
                 if snap.notes else "")
        self.header.value = (f'<h2 style="margin:4px 0">{escape(t("title", lang))}</h2>'
                             f'<div style="color:#555">{escape(t("as_of_note", lang, as_of=view.filters.as_of.isoformat(), loaded=loaded))}</div>{notes}')
        empty = not snap.people
        for control in (self.track, self.department, self.role, self.as_of):
            control.layout.display = "none" if empty else None
        self.body.layout.display = "none" if empty else None
        if empty:
            self.message.value = (f'<div class="iso20k-empty" data-version="{self.version}" style="padding:16px;'
                                  f'border:1px dashed #999;border-radius:6px;max-width:720px">'
                                  f'<h3>{escape(t("empty_title", lang))}</h3><p>{t("empty_body", lang)}</p></div>')
            return
        self.headline.value = self._headline(view)
        if not view.people:
            self.table.value = (f'<div class="iso20k-departments" data-version="{self.version}">'
                                f'<p class="iso20k-nomatch">{escape(t("no_match", lang))}</p></div>')
            self.chart.value = self.people.value = self.scores.value = self.certs.value = ""
            return
        header, rows = department_cells(view, lang)
        stamp = view.filters.as_of.isoformat()
        self.table.value = (f'<div class="iso20k-departments" data-version="{self.version}">'
                            f'<h3>{escape(t("table_title", lang))}</h3>'
                            + html_table(header, rows, "departments", self.version, total_row=True)
                            + download_link(header, rows, f"training-completion-{stamp}.csv",
                                            t("download", lang), "departments") + "</div>")
        self.chart.value = (f'<h3>{escape(t("chart_title", lang))}</h3>' + legend(lang)
                            + department_bars(view, lang))
        self.people.value = self._people(view)
        self.scores.value = (f'<h3>{escape(t("scores_title", lang))}</h3>'
                             f'<div class="iso20k-scores" data-version="{self.version}">'
                             + score_histograms(view, self.source.pass_marks, lang) + "</div>")
        self.certs.value = certificate_panel(self.source.certificates, view.people, view.filters.as_of,
                                             self.source.warning_days, lang, self.version)

    def _headline(self, view: View) -> str:
        lang = self.language
        card = ('<div style="display:inline-block;min-width:150px;margin:0 12px 8px 0;padding:10px 14px;'
                'border-radius:6px;background:#f3f5f7;vertical-align:top">'
                '<div style="color:#555;font-size:12px">{label}</div>'
                '<div class="iso20k-figure" data-figure="{key}" style="font-size:24px;font-weight:600">{value}</div>'
                '<div style="color:#555;font-size:12px">{detail}</div></div>')
        cards = [card.format(label=escape(t("employees", lang)), key="employees", value=view.employees, detail="")]
        for track in view.tracks:
            cell = view.total.tracks[track]
            cards.append(card.format(label=escape(t("fully_trained", lang, track=track_label(track, lang))),
                                     key=f"trained-{track}", value=percent_text(cell),
                                     detail=escape(t("of", lang, passed=cell.passed, enrolled=cell.enrolled))))
        cards.append(card.format(label=escape(t("overdue_people", lang)), key="overdue", value=view.overdue_people,
                                 detail=""))
        return f'<div class="iso20k-headline" data-version="{self.version}">{"".join(cards)}</div>'

    def _people(self, view: View) -> str:
        lang = self.language
        if not view.filters.department:
            return f'<p style="color:#555">{escape(t("people_hint", lang))}</p>'
        header, rows = people_cells(view, lang)
        stamp = view.filters.as_of.isoformat()
        return (f'<h3>{escape(t("people_title", lang, department=view.filters.department))}</h3>'
                + html_table(header, rows, "people", self.version)
                + download_link(header, rows, f"training-{view.filters.department}-{stamp}.csv",
                                t("download_people", lang), "people"))
