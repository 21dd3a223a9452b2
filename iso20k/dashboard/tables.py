"""The dashboard's tables: cells computed once, then written as HTML and as the CSV download,
so the file always holds exactly what the page shows."""

from __future__ import annotations

import base64
import csv
import io
from html import escape

from ..results.views import TrackCell, View
from .i18n import role_label, status_label, t, track_label

TABLE_STYLE = "border-collapse:collapse;font-size:13px;line-height:1.35;margin:6px 0;"
CELL = "border:1px solid #ddd;padding:4px 8px;"


def percent_text(cell: TrackCell) -> str:
    return "—" if cell.percent is None else f"{cell.percent:.0f}%"


def department_cells(view: View, language: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows (the last row is the total) of the department × track table."""
    header = [t("department", language), t("employees", language)]
    for track in view.tracks:
        name = track_label(track, language)
        header += [t(k, language, track=name) for k in ("enrolled", "passed", "percent", "overdue")]
    rows = []
    for row in view.rows + [view.total]:
        cells = [row.department or t("total", language), str(row.employees)]
        for track in view.tracks:
            c = row.tracks[track]
            cells += [str(c.enrolled), str(c.passed), percent_text(c), str(c.overdue)]
        rows.append(cells)
    return header, rows


def people_cells(view: View, language: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the drill-down list (one department's employees)."""
    header = [t("employee_id", language), t("name", language), t("role", language)]
    header += [track_label(track, language) for track in view.tracks]
    rows = []
    for person, statuses in view.drilldown:
        cells = [person.employee_id, person.name, role_label(person.role, language)]
        for track in view.tracks:
            if track not in statuses:
                cells.append(t("not_required", language))
                continue
            text = status_label(statuses[track], language)
            due = person.due.get(track)
            cells.append(t("with_due", language, status=text, date=due.isoformat()) if due else text)
        rows.append(cells)
    return header, rows


def html_table(header: list[str], rows: list[list[str]], name: str, version: int, total_row: bool = False) -> str:
    head = "".join(f'<th style="{CELL}background:#f3f5f7;text-align:left">{escape(h)}</th>' for h in header)
    body = []
    for i, cells in enumerate(rows):
        bold = "font-weight:600;background:#fafafa;" if total_row and i == len(rows) - 1 else ""
        body.append("<tr>" + "".join(f'<td style="{CELL}{bold}">{escape(c)}</td>' for c in cells) + "</tr>")
    return (f'<table class="iso20k-table" data-view="{name}" data-version="{version}" style="{TABLE_STYLE}">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def download_link(header: list[str], rows: list[list[str]], filename: str, label: str, name: str) -> str:
    """A link that saves the table as CSV (UTF-8 with a byte-order mark, so Excel shows Chinese)."""
    data = base64.b64encode(("\ufeff" + csv_text(header, rows)).encode("utf-8")).decode("ascii")
    return (f'<a class="iso20k-download" data-view="{name}" download="{escape(filename)}" '
            f'href="data:text/csv;charset=utf-8;base64,{data}" '
            f'style="display:inline-block;margin:4px 0 10px;padding:4px 10px;border:1px solid #1565c0;'
            f'border-radius:4px;color:#1565c0;text-decoration:none">⬇ {escape(label)}</a>')
