"""What a roster import did (or, in a dry run, would do), as plain data.

:class:`ImportResult` is returned by :func:`iso20k.roster.import_roster`; ``to_dict()`` gives
JSON-ready data (for an audit trail) and ``text()`` the summary the command prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

@dataclass(frozen=True)
class FieldChange:
    field: str          # name, department, role, email, tracks, active
    old: str
    new: str


@dataclass(frozen=True)
class PersonChange:
    employee_id: str
    name: str
    department: str
    role: str
    line: int | None                        # line in the file; None for people not in it
    changes: tuple[FieldChange, ...] = ()   # for updated people: what changed


@dataclass(frozen=True)
class ImportResult:
    source: str                             # the file imported (or what called write_employees)
    sheet: str | None                       # the workbook sheet read; None for CSV
    heading_line: int | None                # the row that held the headings
    encoding: str | None                    # a CSV file's encoding
    columns: tuple[tuple[str, str], ...]    # (heading as written, column it was read as)
    unused_columns: tuple[str, ...]         # headings whose values were not used
    role_map: str | None                    # the job-title mapping file used
    default_role: str | None
    default_role_titles: tuple[tuple[str, int], ...]  # (job title, people) given the default role
    scope: str                              # "full", "departments" or "partial"
    departments: tuple[str, ...]
    dry_run: bool
    active_before: int                      # active employees in the store before the import
    added: tuple[PersonChange, ...]
    updated: tuple[PersonChange, ...]
    deactivated: tuple[PersonChange, ...]
    unchanged: tuple[str, ...]              # employee ids
    needs_confirmation: bool = False        # more would become inactive than the setting allows unasked

    def counts(self) -> str:
        gone = "becoming inactive" if self.dry_run else "marked inactive"
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.deactivated)} {gone}, "
                f"{len(self.unchanged)} unchanged")

    def __str__(self) -> str:
        return self.counts()

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self, limit: int | None = 20) -> str:
        """The summary for the training office; at most ``limit`` people listed per group."""
        out = []
        where = f"sheet '{self.sheet}', " if self.sheet else ""
        if self.heading_line is not None:
            above = self.heading_line - 1
            skipped = (" (line 1 above it skipped)" if above == 1 else
                       f" (lines 1-{above} above it skipped)" if above > 1 else "")
            encoding = f", read as {self.encoding.upper()}" if self.encoding and self.encoding != "utf-8" else ""
            out.append(f"Read {self.source}: {where}headings on line {self.heading_line}{skipped}{encoding}.")
            out.append("Columns: " + ", ".join(f"{h} -> {c}" for h, c in self.columns))
        if self.unused_columns:
            out.append("Not used: " + ", ".join(self.unused_columns))
        if self.role_map:
            out.append(f"Roles from job titles: mapping file {self.role_map}")
        if self.default_role_titles:
            titles = ", ".join(f"{t or '(empty)'} ({n})" for t, n in self.default_role_titles)
            out.append(f"Default role '{self.default_role}' given for: {titles}")
        out.append({
            "full": "Scope: full import; active people missing from the file become inactive.",
            "departments": f"Scope: departments {', '.join(self.departments)}; active people of these "
                           "departments missing from the file become inactive, everyone else is left as is.",
            "partial": "Scope: partial import; only the people in the file are added or updated.",
        }[self.scope])
        out += _group("Added", self.added, limit, lambda p: f"{p.name} ({p.department}, {p.role})")
        out += _group("Updated", self.updated, limit,
                      lambda p: f"{p.name}: " + "; ".join(f"{c.field} '{c.old}' -> '{c.new}'" for c in p.changes))
        out += _group("Becoming inactive" if self.dry_run else "Marked inactive (kept with their progress)",
                      self.deactivated, limit, lambda p: f"{p.name} ({p.department})")
        if self.unchanged:
            out.append(f"Unchanged: {len(self.unchanged)}")
        if self.dry_run and self.needs_confirmation:
            n = len(self.deactivated)
            out.append(f"Marking {n} of the {self.active_before} active employees ({n / self.active_before:.0%}) "
                       "inactive is more than ISO20K_ROSTER_CONFIRM_INACTIVE_SHARE allows unasked: the import "
                       "will ask first (or needs --yes).")
        if self.dry_run:
            out.append(f"Dry run, nothing was written: {self.counts()}.")
        else:
            out.append(f"Roster imported: {self.counts()}.")
        return "\n".join(out)


def _group(title: str, people: tuple[PersonChange, ...], limit: int | None, describe) -> list[str]:
    if not people:
        return []
    lines = [f"{title} ({len(people)}):"]
    shown = people if limit is None else people[:limit]
    for p in shown:
        where = f"line {p.line}: " if p.line else ""
        lines.append(f"  {where}{p.employee_id} {describe(p)}")
    if len(people) > len(shown):
        lines.append(f"  ... and {len(people) - len(shown)} more (--show-all lists everyone)")
    return lines
