"""Find the roster in a file: which sheet, which row holds the headings, which column is what.

HR exports put a title ("员工花名册（2026年11月）"), an export date or blank rows above the
headings, and workbooks often have several sheets.  The heading row is the row, among the first
``roster_heading_search_rows`` of a sheet, with the most headings the import knows (at least the
employee id and one more).  Without ``--sheet`` the sheet is the only one that has such a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .columns import USED, headings_for, recognise
from .problems import RosterError, RosterProblem
from .read import RawFile, RawSheet, cell_text, is_blank


@dataclass(frozen=True)
class Heading:
    line: int
    width: int                       # cells in the heading row (trailing empty ones included)
    columns: dict[str, int]          # column -> index of the cell that holds it
    texts: tuple[str, ...]           # the heading row's cells as written

    def text_of(self, column: str) -> str:
        return self.texts[self.columns[column]] if column in self.columns else column


@dataclass(frozen=True)
class Table:
    """The roster part of a file: its rows as ``(line, {column: value})``."""

    path: Path
    sheet: str | None
    encoding: str | None
    heading: Heading
    unused: tuple[str, ...]          # non-empty headings whose column the import does not use
    rows: tuple[tuple[int, dict[str, object]], ...]

    def heading_text(self, column: str) -> str:
        return self.heading.text_of(column)


def find_heading(sheet: RawSheet, search_rows: int) -> Heading | None:
    """The heading row of a sheet, or None when none of its first rows looks like one."""
    best: Heading | None = None
    for row in sheet.rows[:search_rows]:
        columns: dict[str, tuple[int, int]] = {}
        for index, value in enumerate(row.values):
            found = recognise(value)
            if found is None:
                continue
            column, rank = found
            if column not in columns or rank < columns[column][0]:
                columns[column] = (rank, index)
        if "employee_id" not in columns or len(columns) < 2:
            continue
        if best is None or len(columns) > len(best.columns):
            texts = tuple(cell_text(v) for v in row.values)
            best = Heading(row.line, len(row.values), {c: i for c, (_, i) in columns.items()}, texts)
    return best


def locate_table(raw: RawFile, sheet_name: str | None, search_rows: int) -> Table:
    """The roster table of ``raw``, or :class:`RosterError` naming what is wrong with the layout."""
    sheet, heading = _choose_sheet(raw, sheet_name, search_rows)
    problems: list[RosterProblem] = []
    rows = []
    for row in sheet.rows:
        if row.line <= heading.line or is_blank(row.values):
            continue
        if sheet.counts_fields and len(row.values) > heading.width:
            problems.append(RosterProblem(
                row.line, None,
                f"this row has {len(row.values)} values but the heading row (line {heading.line}) has "
                f"{heading.width} columns",
                "a value probably contains a comma: put that value in double quotes, or save the file "
                "from Excel again"))
            continue
        values = {c: (row.values[i] if i < len(row.values) else None) for c, i in heading.columns.items()}
        rows.append((row.line, values))
    if problems:
        raise RosterError(raw.path, problems)
    used = {i for c, i in heading.columns.items() if c in USED}
    unused = tuple(t for i, t in enumerate(heading.texts) if t and i not in used)
    return Table(raw.path, sheet.name, raw.encoding, heading, unused, tuple(rows))


def _choose_sheet(raw: RawFile, name: str | None, search_rows: int) -> tuple[RawSheet, Heading]:
    if name is not None:
        if raw.kind != "xlsx":
            raise RosterError(raw.path, [RosterProblem(None, None, "--sheet only applies to .xlsx workbooks",
                                                       "leave out --sheet for a CSV file")])
        matches = [s for s in raw.sheets if s.name == name] or \
                  [s for s in raw.sheets if (s.name or "").strip().lower() == name.strip().lower()]
        if not matches:
            raise RosterError(raw.path, [RosterProblem(None, None, f"there is no sheet named '{name}'",
                                                       f"the sheets are: {_names(raw.sheets)}")])
        sheet = matches[0]
        heading = find_heading(sheet, search_rows)
        if heading is None:
            raise RosterError(raw.path, [_no_heading(sheet, search_rows)])
        return sheet, heading

    found = [(s, h) for s in raw.sheets if (h := find_heading(s, search_rows)) is not None]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        names = _names([s for s, _ in found])
        raise RosterError(raw.path, [RosterProblem(
            None, None, f"the sheets {names} all have roster headings",
            f"choose one with --sheet, e.g. --sheet '{found[0][0].name}'")])
    if len(raw.sheets) == 1:
        raise RosterError(raw.path, [_no_heading(raw.sheets[0], search_rows)])
    raise RosterError(raw.path, [RosterProblem(
        None, None, f"none of the sheets {_names(raw.sheets)} has a heading row in its first {search_rows} rows",
        f"the headings need at least the employee id ({headings_for('employee_id')}) and the name "
        f"({headings_for('name')}); choose the sheet with --sheet and check its headings")])


def _no_heading(sheet: RawSheet, search_rows: int) -> RosterProblem:
    where = f"sheet '{sheet.name}'" if sheet.name else "the file"
    first = next((r for r in sheet.rows if not is_blank(r.values)), None)
    if first is None:
        return RosterProblem(1, None, f"{where} is empty",
                             "put the column headings in one row and one employee per row below them")
    seen = ", ".join(f"'{cell_text(v)}'" for v in first.values if cell_text(v))[:200]
    return RosterProblem(
        first.line, None,
        f"no heading row found in the first {search_rows} rows of {where} (line {first.line} has {seen})",
        f"the heading row needs the employee id ({headings_for('employee_id')}) and at least one more known "
        f"heading such as the name ({headings_for('name')}); the accepted headings are listed in docs/roster.md. "
        f"If the headings are further down, raise ISO20K_ROSTER_HEADING_SEARCH_ROWS")


def _names(sheets) -> str:
    return ", ".join(f"'{s.name}'" for s in sheets)

