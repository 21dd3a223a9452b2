"""Read roster rows from CSV or XLSX, keeping each row's line number for error messages."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from .problems import RosterError, RosterProblem


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    """The header and ``(line number, {header: value})`` for every non-blank row."""
    path = Path(path)
    if not path.exists():
        raise RosterError(path, [RosterProblem(None, None, "the file does not exist",
                                               "check the path and try again")])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    else:
        raise RosterError(path, [RosterProblem(None, None, f"'{suffix or path.name}' files cannot be read",
                                               "save the roster as .csv (UTF-8) or .xlsx")])
    if not rows:
        raise RosterError(path, [RosterProblem(1, None, "the file is empty",
                                               "put the column names on line 1 and one employee per line")])
    header = [str(h).strip() if h is not None else "" for h in rows[0][1]]
    body = []
    for line, values in rows[1:]:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        body.append((line, {h: (values[i] if i < len(values) else None) for i, h in enumerate(header) if h}))
    return header, body


def _csv_rows(path: Path) -> list[tuple[int, list[object]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RosterError(path, [RosterProblem(line, None, "the file is not UTF-8 text",
                                               "in Excel choose 'Save as' > 'CSV UTF-8 (Comma delimited)', "
                                               "or save as .xlsx")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    out = []
    for values in reader:
        out.append((reader.line_num, [v for v in values]))
    return out


def _xlsx_rows(path: Path) -> list[tuple[int, list[object]]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RosterError(path, [RosterProblem(None, None, f"the spreadsheet cannot be opened ({exc})",
                                               "open it in Excel and save it again as .xlsx")]) from None
    try:
        sheet = workbook.worksheets[0]
        return [(i, list(values)) for i, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    return str(value).strip()
