"""Judge answers with the course's own code, in this process, without a kernel.

The trusted code is the assessment's as nbgrader recorded it in the gradebook when it generated
the assignment (the source notebook's setup and test cells, hidden tests included): exactly what
``nbgrader autograde`` puts back into a submission before running it.  It runs here on the answers
read by ``answers.py`` (plain ``str`` values, never objects a learner made), and each test cell
gets the outputs a kernel would give it (an error, printed text, a last value), from which
nbgrader's own ``SaveAutoGrades`` decides the score.

Which assessments can be judged so (``TrustedNotebook.needs_code``): those whose learners' code
cells are all answer templates such as ``answer_q01 = ""``, with no nbgrader solution code cells,
and whose trusted code is plain Python.  Others need learners' code and go through the sandbox.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import linecache
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .answers import template_names

#: Output kept per trusted cell (what the course's checks print is short).
MAX_OUTPUT_CHARS = 20_000


@dataclass(frozen=True)
class TrustedCell:
    grade_id: str
    cell_type: str
    source: str  # as recorded by nbgrader (hidden tests included)
    release_source: str | None  # as learners received it (None: not in the release)
    metadata: dict  # the release's nbgrader metadata (what a genuine cell carries)
    checksum: str

    @property
    def grade(self) -> bool:
        return bool(self.metadata.get("grade"))

    @property
    def locked(self) -> bool:
        return bool(self.metadata.get("locked"))


@dataclass
class TrustedNotebook:
    name: str
    cells: list[TrustedCell]  # in the release's order
    answer_names: set[str] = field(default_factory=set)
    needs_code: str | None = None  # why learners' code must run, or None

    def by_id(self) -> dict[str, TrustedCell]:
        return {c.grade_id: c for c in self.cells}

    def setup_cells(self) -> list[TrustedCell]:
        return [c for c in self.cells if c.cell_type == "code" and not c.grade]

    def test_cells(self) -> list[TrustedCell]:
        return [c for c in self.cells if c.cell_type == "code" and c.grade]


def load_trusted(db_url: str, course_id: str, assignment: str, notebook: str, release_path: Path) -> TrustedNotebook:
    """The trusted cells of one notebook: sources and checksums from nbgrader's gradebook, order and
    the learners' view from the release notebook."""
    from .environment import open_gradebook

    release = json.loads(Path(release_path).read_text(encoding="utf-8"))
    release_cells = release.get("cells", [])
    reasons = []
    names: set[str] = set()
    order: list[str] = []
    release_meta: dict[str, tuple[str, dict]] = {}
    for cell in release_cells:
        source = "".join(cell.get("source", ""))
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and meta.get("grade_id"):
            order.append(meta["grade_id"])
            release_meta[meta["grade_id"]] = (source, dict(meta))
        elif cell.get("cell_type") == "code" and source.strip():
            offered = template_names(source)
            if offered is None:
                reasons.append(f"learners write code in a cell starting {source.strip().splitlines()[0][:40]!r}")
            else:
                names |= offered
    with open_gradebook(db_url, course_id) as gb:
        nb = gb.find_notebook(notebook, assignment)
        solutions = {c.name for c in nb.solution_cells}
        source_cells = {c.name: (c.cell_type, c.source, c.checksum) for c in nb.source_cells}
        grade_points = {c.name: c.max_score for c in nb.grade_cells}
        task_points = {c.name: c.max_score for c in nb.task_cells}
    for name in source_cells:
        if name not in order:
            order.append(name)
    cells = []
    for grade_id in order:
        if grade_id not in source_cells:
            continue  # in the release only: nothing nbgrader would restore or grade
        cell_type, source, checksum = source_cells[grade_id]
        release_source, meta = release_meta.get(grade_id, (None, {}))
        if not meta:  # not in the release: describe it as nbgrader records it
            meta = {"grade": grade_id in grade_points, "grade_id": grade_id, "locked": True,
                    "solution": grade_id in solutions, "task": grade_id in task_points, "schema_version": 3}
            points = grade_points.get(grade_id, task_points.get(grade_id))
            if points is not None:
                meta["points"] = points
        meta["cell_type"] = cell_type
        cells.append(TrustedCell(grade_id, cell_type, source, release_source, meta, checksum))
        if grade_id in solutions and cell_type == "code":
            reasons.append(f"cell {grade_id!r} is an nbgrader solution cell for code")
        if cell_type == "code":
            try:
                compile(source, grade_id, "exec")
            except SyntaxError:
                reasons.append(f"cell {grade_id!r} is not plain Python")
    if not names and any(c.cell_type == "code" and c.grade for c in cells):
        reasons.append("no answer cells found")
    return TrustedNotebook(notebook, cells, names, "; ".join(reasons) or None)


def _output(output_type: str, **fields) -> dict:
    from nbformat import from_dict

    if output_type == "execute_result":
        fields.setdefault("metadata", {})
    return from_dict({"output_type": output_type, **fields})


def run_trusted(cell: TrustedCell, namespace: dict, count: int) -> list[dict]:
    """Run one trusted cell in ``namespace`` as a kernel would, returning its outputs."""
    filename = f"<{cell.grade_id}>"
    linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(True), filename)
    tree = ast.parse(cell.source, filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not cell.source.rstrip().endswith(";"):
        last = ast.Expression(tree.body.pop().value)
    out, err = io.StringIO(), io.StringIO()
    outputs: list[dict] = []
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            exec(compile(tree, filename, "exec"), namespace)  # trusted: the course's own cell
            value = eval(compile(last, filename, "eval"), namespace) if last is not None else None
    except Exception as exc:  # what a kernel shows as an error output (the test fails)
        error = exc
    else:
        error = None
    for name, stream in (("stdout", out), ("stderr", err)):
        text = stream.getvalue()
        if text:
            outputs.append(_output("stream", name=name, text=text[:MAX_OUTPUT_CHARS]))
    if error is not None:
        frames = traceback.format_exception(type(error), error, error.__traceback__.tb_next)
        outputs.append(_output("error", ename=type(error).__name__, evalue=str(error)[:2000],
                               traceback=[line.rstrip("\n") for line in frames][-40:]))
    elif value is not None:
        outputs.append(_output("execute_result", data={"text/plain": repr(value)[:MAX_OUTPUT_CHARS]},
                               execution_count=count))
    return outputs


def judge(trusted: TrustedNotebook, answers: dict[str, str], given: dict | None = None) -> dict[str, list[dict]]:
    """Outputs of every trusted code cell (grade id -> outputs) for these answers: the setup
    cells first, then, with the answers set, every test in the assessment's order.  ``given``
    are names the grader sets for the tests (a form's keys: ``FORM_KEYS``), never a learner."""
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins, **(given or {})}
    results: dict[str, list[dict]] = {}
    count = 0
    for cell in trusted.setup_cells():
        count += 1
        results[cell.grade_id] = run_trusted(cell, namespace, count)
    namespace.update({name: str(value) for name, value in answers.items() if name in trusted.answer_names})
    for cell in trusted.test_cells():
        count += 1
        results[cell.grade_id] = run_trusted(cell, namespace, count)
    return results
