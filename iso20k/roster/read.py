"""Read the raw rows of a roster file (CSV or XLSX), keeping each row's line number.

CSV files are read as UTF-8 (with or without the byte-order mark Excel writes).  A CSV file in
GBK/GB18030 (what Excel and WPS on Chinese Windows save as plain "CSV") is refused with a message
that says how to save it as UTF-8, unless the caller states the encoding (``--encoding gb18030``):
the bytes of a file in another legacy encoding (Big5, Shift-JIS, Latin-1) very often decode as
GB18030 without any error, into wrong characters, so guessing would silently garble names.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from .problems import RosterError, RosterProblem

#: Encodings a CSV roster may be read in; "gbk" and "gb2312" are read as GB18030, their superset.
CSV_ENCODINGS = ("utf-8", "gb18030", "gbk", "gb2312")

SAVE_AS_UTF8 = ("in Excel choose 'Save as' > 'CSV UTF-8 (Comma delimited) (*.csv)' "
                "(WPS: 'CSV UTF-8'), or save as .xlsx; if you know the file is GBK/GB18030 "
                "(Excel's plain 'CSV' on Chinese Windows), pass --encoding gb18030 instead")


@dataclass(frozen=True)
class RawRow:
    line: int                 # line (CSV) or row number (XLSX) where the row starts
    values: tuple[object, ...]


@dataclass(frozen=True)
class RawSheet:
    """One sheet of a workbook, or the whole of a CSV file."""

    name: str | None          # the sheet's name; None for CSV
    rows: tuple[RawRow, ...]
    counts_fields: bool       # CSV: a row's number of values is meaningful (more than the headings is an error)


@dataclass(frozen=True)
class RawFile:
    path: Path
    kind: str                 # "csv" or "xlsx"
    encoding: str | None      # the CSV encoding read
    sheets: tuple[RawSheet, ...]


def read_file(path: Path, encoding: str | None = None) -> RawFile:
    """Every sheet's rows, or :class:`RosterError` saying why the file cannot be read."""
    path = Path(path)
    if not path.exists():
        raise RosterError(path, [RosterProblem(None, None, "the file does not exist",
                                               "check the path and try again")])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text, used = decode_csv(path, encoding)
        return RawFile(path, "csv", used, (RawSheet(None, _csv_rows(text), True),))
    if suffix in (".xlsx", ".xlsm"):
        return RawFile(path, "xlsx", None, _xlsx_sheets(path))
    hint = "save the roster as .xlsx or as .csv (UTF-8)"
    if suffix == ".xls":
        hint = "open it in Excel or WPS and save it as .xlsx (the Excel 2007+ format)"
    raise RosterError(path, [RosterProblem(None, None, f"'{suffix or path.name}' files cannot be read", hint)])


def decode_csv(path: Path, encoding: str | None) -> tuple[str, str]:
    raw = path.read_bytes()
    wanted = (encoding or "utf-8").lower().replace("_", "-")
    if wanted not in CSV_ENCODINGS:
        raise RosterError(path, [RosterProblem(None, None, f"unknown encoding '{encoding}'",
                                               f"use one of: {', '.join(CSV_ENCODINGS)}")])
    bom = raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark settles it: UTF-8
    if bom or wanted == "utf-8":
        body = raw[3:] if bom else raw
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            raise _not_utf8(path, body, exc) from None
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RosterError(path, [RosterProblem(line, None, "the file is not GB18030/GBK text either",
                                               "open it in Excel and save it as 'CSV UTF-8' or .xlsx")]) from None


def _not_utf8(path: Path, body: bytes, exc: UnicodeDecodeError) -> RosterError:
    line = body[: exc.start].count(b"\n") + 1
    try:
        body.decode("gb18030")
        looks = "; it looks like GBK/GB18030, what Excel and WPS on Chinese Windows save as plain 'CSV'"
    except UnicodeDecodeError:
        looks = ""
    return RosterError(path, [RosterProblem(line, None, f"the file is not UTF-8 text{looks}", SAVE_AS_UTF8)])


def _csv_rows(text: str) -> tuple[RawRow, ...]:
    reader = csv.reader(io.StringIO(text, newline=""))
    out = []
    start = 1
    for values in reader:
        out.append(RawRow(start, tuple(values)))
        start = reader.line_num + 1  # a quoted value may span lines
    return tuple(out)


def _xlsx_sheets(path: Path) -> tuple[RawSheet, ...]:
    try:
        workbook = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RosterError(path, [RosterProblem(None, None, f"the spreadsheet cannot be opened ({exc})",
                                               "open it in Excel and save it again as .xlsx")]) from None
    try:
        sheets = []
        for sheet in workbook.worksheets:
            rows = [list(values) for values in sheet.iter_rows(values_only=True)]
            # A merged cell shows one value over its whole area (a title across the columns, a
            # department down several rows); give every cell of the area that value.
            for area in sheet.merged_cells.ranges:
                if area.min_row > len(rows):
                    continue
                value = rows[area.min_row - 1][area.min_col - 1]
                for r in range(area.min_row - 1, min(area.max_row, len(rows))):
                    row = rows[r]
                    row.extend([None] * (area.max_col - len(row)))
                    for c in range(area.min_col - 1, area.max_col):
                        row[c] = value
            sheets.append(RawSheet(sheet.title, tuple(RawRow(i, tuple(v)) for i, v in enumerate(rows, start=1)),
                                   False))
        return tuple(sheets)
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A cell's value as trimmed text (whole numbers without '.0', dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    return str(value).strip()


def is_blank(values: tuple[object, ...]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)
