"""nbgrader preprocessors for assessments answered with data (see ``judge.py``).

``iso20k autograde`` runs nbgrader's own Autograde with these two in its pipelines (configured in
``config.py``), so nbgrader still copies the submission, restores protected cells and saves the
grades in its gradebook:

* ``RestoreTrustedCells`` (sanitizing, in place of nbgrader's DeduplicateIds, OverwriteCells and
  CheckCellMetadata): every protected cell is put back exactly as the gradebook recorded it, with
  the metadata the release gave it; a cell with an unknown grade id, or a second cell claiming a
  protected cell's id (a disguised copy), becomes a plain learner cell.
* ``JudgeAnswers`` (instead of nbgrader's Execute): reads the answers from the learner cells as
  data, puts back deleted test cells, judges every test with the course's own code in this
  process and gives each test cell the outputs a kernel would have given it.  Nothing in the
  submission is executed.

Both write what they found to ``results_dir/<student>/<notebook>.json`` for the tamper report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades
from traitlets import Unicode

from .answers import first_line, read_answers
from .judge import TrustedCell, TrustedNotebook, judge, load_trusted

_TRUSTED: dict[tuple, TrustedNotebook] = {}


def trusted_notebook(config, resources) -> TrustedNotebook:
    """The trusted cells of the notebook being graded (read once per grading process)."""
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    info = resources["nbgrader"]
    release = Path(coursedir.format_path(coursedir.release_directory, ".", info["assignment"])) / \
        f"{info['notebook']}.ipynb"
    stamp = release.stat().st_mtime_ns if release.exists() else None
    key = (info["db_url"], info["assignment"], info["notebook"], str(release), stamp)
    if key not in _TRUSTED:
        if stamp is None:
            raise RuntimeError(f"{release} is missing: run 'nbgrader generate_assignment {info['assignment']}' first")
        _TRUSTED[key] = load_trusted(info["db_url"], coursedir.course_id, info["assignment"], info["notebook"], release)
    return _TRUSTED[key]


_SCRATCH: list[str] = []


def _scratch() -> str:
    """Where plain ``nbgrader autograde`` keeps what it found (only ``iso20k autograde`` reports it)."""
    import atexit
    import shutil
    import tempfile

    if not _SCRATCH:
        _SCRATCH.append(tempfile.mkdtemp(prefix="iso20k-nbgrader-findings-"))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0]


class _Findings(NbGraderPreprocessor):
    results_dir = Unicode("", help="Folder where what was found in each notebook is written").tag(config=True)

    def _path(self, resources) -> Path:
        info = resources["nbgrader"]
        return Path(self.results_dir or _scratch()) / info["student"] / f"{info['notebook']}.json"

    def _read(self, resources) -> dict:
        path = self._path(resources)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def _write(self, resources, record: dict) -> None:
        path = self._path(resources)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def _nbgrader_meta(cell) -> dict | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else ({} if meta is not None else None)


class RestoreTrustedCells(_Findings):
    """Sanitizing: nbgrader metadata only where the assessment has that cell, as released."""

    def preprocess(self, nb, resources):
        from .form_grading import form_claim_problem, learner_form
        from .form_notebook import FORM_METADATA, slot_texts

        trusted = trusted_notebook(self.config, resources)
        by_id = trusted.by_id()
        findings: list[str] = []
        case = learner_form(self.config, resources)
        form_texts: dict[str, str] = {}
        if case is not None:  # the learner's own questions, from the keyed pool, in place of the slots
            form_texts = slot_texts(case.form, case.pool)
            problem = form_claim_problem(nb, case)
            if problem:
                findings.append(problem)
            nb.metadata[FORM_METADATA] = {**case.form.as_dict(), **(case.sitting.as_dict() if case.sitting else {})}
        claims: dict[str, list[int]] = {}
        for index, cell in enumerate(nb.cells):
            meta = _nbgrader_meta(cell)
            if meta is None:
                continue
            grade_id = meta.get("grade_id")
            if grade_id in by_id:
                claims.setdefault(grade_id, []).append(index)
            else:
                del cell.metadata["nbgrader"]
                what = f"an unknown grade id {grade_id!r}" if grade_id else "no grade id"
                findings.append(f"cell {index + 1} ({first_line(cell.get('source', ''))!r}) carries nbgrader metadata "
                                f"with {what}; treated as a learner cell, never run")
        kept: list[tuple[int, str]] = []
        for grade_id, cell in by_id.items():
            indices = claims.get(grade_id, [])
            if not indices:
                findings.append(f"protected cell '{grade_id}' was deleted")
                continue
            expected = form_texts.get(grade_id, cell.release_source)
            same = [i for i in indices if nb.cells[i].cell_type == cell.cell_type
                    and nb.cells[i].source == expected]
            keep = same[0] if same else indices[-1]  # else nbgrader's rule: the last one
            kept.append((keep, grade_id))
            for i in indices:
                if i != keep:
                    del nb.cells[i].metadata["nbgrader"]
                    findings.append(f"cell {i + 1} ({first_line(nb.cells[i].source)!r}) claims to be protected cell "
                                    f"'{grade_id}' too (a disguised copy); treated as a learner cell, never run")
            if not same:
                findings.append(f"protected cell '{grade_id}' was changed")
            # As nbgrader's OverwriteCells would: the cell as recorded in the gradebook.
            restored = _new_trusted_cell(cell, form_texts.get(grade_id))
            if nb.cells[keep].get("id"):
                restored["id"] = nb.cells[keep]["id"]
            nb.cells[keep] = restored
        rank = {grade_id: i for i, grade_id in enumerate(by_id)}
        order = [grade_id for _, grade_id in sorted(kept)]
        for before, after in zip(order, order[1:]):
            if rank[before] > rank[after]:
                findings.append(f"protected cells were reordered: '{before}' now comes before '{after}'")
                break
        self._write(resources, {"protected": findings})
        return nb, resources


def _new_trusted_cell(cell: TrustedCell, source: str | None = None) -> NotebookNode:
    """The cell as the gradebook recorded it (``source``: a form's question in place of its slot)."""
    from nbformat import from_dict

    meta = {"deletable": False, "editable": False, "nbgrader": dict(cell.metadata, checksum=cell.checksum)}
    new = {"cell_type": cell.cell_type, "metadata": meta, "source": cell.source if source is None else source}
    if cell.cell_type == "code":
        new.update(outputs=[], execution_count=None)
    node = from_dict(new)
    if source is not None:
        from nbgrader.utils import compute_checksum

        node.metadata.nbgrader["checksum"] = compute_checksum(node)
    return node


class JudgeAnswers(_Findings):
    """Autograding without running the submission: see the module's docstring."""

    def preprocess(self, nb, resources):
        trusted = trusted_notebook(self.config, resources)
        if trusted.needs_code:
            raise RuntimeError(f"{trusted.name}: learners' code is needed to grade it ({trusted.needs_code}); "
                               "it must be graded in the sandbox")
        by_id = trusted.by_id()

        def trusted_id(cell) -> str | None:
            meta = _nbgrader_meta(cell) or {}
            return meta.get("grade_id") if meta.get("grade_id") in by_id else None

        learner = [(i + 1, c.source) for i, c in enumerate(nb.cells)
                   if c.cell_type == "code" and trusted_id(c) is None]
        sheet = read_answers(learner, trusted.answer_names)
        # Deleted test and task cells come back, after the answer they judge (else at the end).
        present = {trusted_id(c) for c in nb.cells} - {None}
        inserts: list[tuple[int, NotebookNode]] = []
        for cell in trusted.cells:
            if cell.grade_id in present or not (cell.grade or cell.metadata.get("task")):
                continue
            used = [sheet.answer_cell[n] for n in sorted(trusted.answer_names)
                    if n in sheet.answer_cell and re.search(rf"\b{n}\b", cell.source)]
            inserts.append((max(used) if used else len(nb.cells), _new_trusted_cell(cell)))
        for position, new in sorted(inserts, key=lambda item: item[0], reverse=True):
            nb.cells.insert(position, new)
        from .form_grading import learner_form

        case = learner_form(self.config, resources)
        keys, answers, form_findings, late_notes = {}, sheet.answers, [], []
        if case is not None:
            keys = {"FORM_KEYS": case.form.keys(case.pool)}
            form_findings = [f for f in case.findings if not f.startswith("LATE")]
            late_notes = [f for f in case.findings if f.startswith("LATE")]
            if case.ungraded:
                answers = {}  # late under the 'ungraded' rule: nothing is judged right
        outputs = judge(trusted, answers, keys)
        count = 0
        for cell in nb.cells:
            if cell.cell_type == "code":  # learner cells keep no output: they did not run
                grade_id = trusted_id(cell)
                cell.outputs = outputs.get(grade_id, [])
                count += grade_id in outputs
                cell.execution_count = count if grade_id in outputs else None
        record = self._read(resources)
        record.update(late=late_notes,
                      findings=form_findings + record.get("protected", []) + sheet.findings, answers=sheet.answers,
                      failed=sorted(g for g, outs in outputs.items()
                                    if any(o.get("output_type") == "error" for o in outs)))
        self._write(resources, record)
        return nb, resources



class SaveAutoGradesAtOnce(SaveAutoGrades):
    """nbgrader's SaveAutoGrades (its ``_add_score`` and ``_add_comment``: same scores, same
    manual-grading flags and comments), with the submission's grade and comment rows read in one
    query each instead of one per cell, and committed once per notebook: a submission's grades are
    saved together or not at all."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook:
            session = self.gradebook.db
            submitted = self.gradebook.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
            self._grades = {g.cell.name: g for g in submitted.grades}
            self._comments = {c.cell.name: c for c in submitted.comments}
            session.commit = session.flush  # each cell's changes, sent but not yet committed
            try:
                nb, resources = super(SaveAutoGrades, self).preprocess(nb, resources)
            except BaseException:
                del session.commit
                session.rollback()
                raise
            del session.commit
            session.commit()
        return nb, resources

    def _with_rows(self, method, cell, resources):
        finders = self.gradebook.find_grade, self.gradebook.find_comment
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        self.gradebook.find_grade = lambda *args: self._grades[grade_id]
        self.gradebook.find_comment = lambda *args: self._comments[grade_id]
        try:
            method(cell, resources)
        finally:
            self.gradebook.find_grade, self.gradebook.find_comment = finders

    def _add_score(self, cell, resources):
        self._with_rows(super()._add_score, cell, resources)

    def _add_comment(self, cell, resources):
        self._with_rows(super()._add_comment, cell, resources)
