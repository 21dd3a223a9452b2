"""nbgrader preprocessors added by the course, one transformation each (configured in
``grading/config.py``; nbgrader itself is not patched)."""

from __future__ import annotations

import json
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..settings import read_settings
from .regions import HIDDEN, MARK_SCHEME, split_region

_HIDDEN_KEY, _SCHEME_KEY = "iso20k_hidden_lines", "iso20k_scheme_lines"


def _remember(resources: dict, key: str, lines: list[str]) -> None:
    resources.setdefault(key, set()).update(s.strip() for s in lines if len(s.strip()) >= 6)


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback: an autograder test shows its visible part, its name, points and pass/fail;
    the hidden part and anything the test printed (tracebacks quote hidden lines) are removed."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            visible, hidden = split_region(cell.source, HIDDEN)
            _remember(resources, _HIDDEN_KEY, hidden)
            meta = cell.metadata.nbgrader
            score, points = meta.get("score"), meta.get("points")
            cell.source = visible + "\n# (hidden tests are not shown · 隐藏测试不予显示)"
            if score is None:
                verdict = "not graded · 未评分"
            elif points and score >= points:
                verdict = f"passed · 通过 — {score:g}/{points:g}"
            else:
                verdict = f"not passed · 未通过 — {score:g}/{points:g}"
            cell.outputs = [new_output("stream", name="stdout", text=f"{meta.get('grade_id')}: {verdict}\n")]
        return cell, resources


class HideMarkSchemes(NbGraderPreprocessor):
    """Feedback: a task's mark scheme (the grader's rubric) is removed."""

    def preprocess_cell(self, cell, resources, index):
        if utils.is_task(cell) or "BEGIN MARK SCHEME" in cell.source:
            cell.source, scheme = split_region(cell.source, MARK_SCHEME)
            _remember(resources, _SCHEME_KEY, scheme)
        return cell, resources


_BUILTIN_ERRORS = {name for name, obj in vars(__import__("builtins")).items()
                   if isinstance(obj, type) and issubclass(obj, BaseException)}


class HideLearnerOutputs(NbGraderPreprocessor):
    """Feedback: what learners' own code cells printed is not shown.  Their code shares the kernel
    with the hidden tests, so it can hook later cells (``pre_run_cell``, ``sys.settrace``, a
    replaced ``print``, a display updated later) and print what it saw there, even just a key
    letter, which no text match could tell from an answer.  An error shows only its name, and only
    when that is a built-in exception (a learner's class could be named after a key)."""

    def preprocess_cell(self, cell, resources, index):
        test = utils.is_grade(cell) and not utils.is_solution(cell)  # HideHiddenTests' part
        if cell.cell_type == "code" and not test and cell.get("outputs"):
            errors = sorted({o.get("ename") for o in cell.outputs if o.get("output_type") == "error"})
            text = "[output not shown in feedback · 反馈中不显示输出]\n"
            if errors:
                names = [e if e in _BUILTIN_ERRORS else "an error" for e in errors]
                text = f"[this cell raised {', '.join(names)} · 本单元格运行出错]\n"
            cell.outputs = [new_output("stream", name="stdout", text=text)]
        return cell, resources


class RedactLeakedText(NbGraderPreprocessor):
    """Feedback: any output that contains a line of a hidden test or mark scheme (a submission
    that printed or displayed them) is replaced by a notice."""

    def preprocess(self, nb, resources):
        secrets = set(resources.get(_HIDDEN_KEY, ())) | set(resources.get(_SCHEME_KEY, ()))
        if not secrets:
            return nb, resources
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for i, output in enumerate(cell.get("outputs", [])):
                text = json.dumps(output, ensure_ascii=False)
                if any(s in text or json.dumps(s, ensure_ascii=False)[1:-1] in text for s in secrets):
                    cell.outputs[i] = new_output("stream", name="stdout",
                                                 text="[output removed: it contained assessment text · 输出已删除]\n")
        return nb, resources


class UseWorkerExecution(NbGraderPreprocessor):
    """Autograde: instead of running the notebook here, take the run made by a grading worker
    (``iso20k autograde`` runs submissions in separate, limited processes).  The worker's notebook
    must have exactly the cells this one has; only outputs are taken from it."""

    results_dir = Unicode("", help="Folder of worker results: <student>/<notebook>.ipynb").tag(config=True)

    def preprocess(self, nb, resources):
        import nbformat

        folder = self.results_dir or str(read_settings().worker_results or "")
        student = resources["nbgrader"]["student"]
        name = resources["unique_key"]
        path = Path(folder) / student / f"{name}.ipynb"
        if not folder or not path.exists():
            raise RuntimeError(f"no grading-worker result for {student}/{name} in {folder!r}; "
                               "this submission was not run, so it cannot be graded")
        ran = nbformat.from_dict(json.loads(path.read_text(encoding="utf-8")))
        mine = [(c.cell_type, c.source) for c in nb.cells]
        theirs = [(c.cell_type, c.source) for c in ran.cells]
        if mine != theirs:
            raise RuntimeError(f"the worker result for {student}/{name} is not this notebook; refusing it")
        for cell, done in zip(nb.cells, ran.cells):
            if cell.cell_type == "code":
                cell.outputs = done.outputs
                cell.execution_count = done.get("execution_count")
        return nb, resources
