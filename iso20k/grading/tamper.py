"""Tamper report: which protected cells a submission changed or deleted, and which code cells
hold more than an answer.  nbgrader quietly restores locked and test cells before grading; the
trainer should still know that someone tried."""

from __future__ import annotations

import re

from nbgrader import utils

_ANSWER = re.compile(r"""^\s*answer_[a-z0-9_]+\s*=\s*("[^"\n]*"|'[^'\n]*')\s*(#.*)?$""")


def tamper_findings(nb, source_cells: dict[str, tuple[str, str]]) -> list[str]:
    """Problems found in submitted notebook ``nb``.

    ``source_cells`` maps each protected cell's grade id to (cell type, checksum) as recorded by
    ``nbgrader generate_assignment``."""
    findings = []
    present = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and meta.get("grade_id"):
            present[meta["grade_id"]] = cell
        elif cell.cell_type == "code" and cell.source.strip():
            lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
            if not (len(lines) == 1 and _ANSWER.match(lines[0])):
                first = lines[0].strip()[:60] if lines else ""
                findings.append(f"unexpected code in a learner cell: {first!r}")
    for grade_id, (cell_type, checksum) in sorted(source_cells.items()):
        cell = present.get(grade_id)
        if cell is None:
            findings.append(f"protected cell '{grade_id}' was deleted")
        elif cell.cell_type != cell_type or utils.compute_checksum(cell) != checksum:
            findings.append(f"protected cell '{grade_id}' was changed")
    return findings
