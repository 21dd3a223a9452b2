"""The evidence pack's tables as CSV files (UTF-8 with a byte-order mark, so Excel shows Chinese)
and as one XLSX workbook (openpyxl), one sheet per table."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

from .tables import Table


def write_csv(table: Table, folder: Path) -> Path:
    path = folder / f"{table.name}.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.header)
        writer.writerows(table.rows)
    return path


def write_xlsx(tables: list[Table], path: Path) -> Path:
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        sheet.append(table.header)
        for row in table.rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
    book.save(path)
    return path
