"""The dashboard's tables: cells computed once, then written as HTML and as the CSV download,
so the file always holds exactly what the page shows."""

from __future__ import annotations

import base64
import csv
import io

from ..results.views import View, department_cells, percent_text  # noqa: F401 - the page's table
from ..texts import role_label, status_label, t
from ..texts.templating import Markup, macros
from ..tracks import track_title


def people_cells(view: View, language: str, people=None, late: dict | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the list of employees: ``people`` ((person, track -> status) pairs, in
    their order; default: the view's drill-down into one department); ``late``: (employee id,
    track) -> minutes a timed assessment was handed in late (results.late)."""
    header = [t("Employee id", language), t("Name", language), t("Department", language), t("Role", language)]
    header += [track_title(track, language, short=True) for track in view.tracks]
    rows = []
    for person, statuses in (view.drilldown if people is None else people):
        cells = [person.employee_id, person.name, person.department, role_label(person.role, language)]
        for track in view.tracks:
            if track not in statuses:
                cells.append(t("not required", language))
                continue
            text = status_label(statuses[track], language)
            due = person.due.get(track)
            text = t("{status} (due {date})", language, status=text, date=due.isoformat()) if due else text
            if late and (person.employee_id, track) in late:
                text = t("{status} · handed in {minutes} min late", language, status=text,
                         minutes=f"{late[(person.employee_id, track)]:g}")
            cells.append(text)
        rows.append(cells)
    return header, rows


def html_table(header: list[str], rows: list[list[str]], name: str, version: int, total_row: bool = False) -> Markup:
    return _templates().table(header, rows, name, version, total_row)


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def download_link(header: list[str], rows: list[list[str]], filename: str, label: str, name: str) -> Markup:
    """A link that saves the table as CSV (UTF-8 with a byte-order mark, so Excel shows Chinese)."""
    data = base64.b64encode(("\ufeff" + csv_text(header, rows)).encode("utf-8")).decode("ascii")
    return _templates().download(filename, data, label, name)


def _templates():
    return macros("iso20k.dashboard", "tables.html")
