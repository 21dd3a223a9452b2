"""Grade-worker: prepare and run submissions, exactly as ``nbgrader autograde`` would, in a
process of its own (limits set by its parent), each with a fresh kernel, and write each run
notebook plus a report.  It never writes the gradebook: nbgrader saves grades in the grader
process afterwards.  It reads student ids on stdin, one per line, and answers ``done <id>``.

The worker itself is trusted: it reads the submission and writes results outside the sandbox.
Only the kernel, which runs the learner's code, is sandboxed (``sandbox.py``), working in a
scratch copy of the submission folder that is thrown away afterwards.

    python -m iso20k.grading.worker COURSE_ROOT ASSIGNMENT OUT_DIR [SANDBOX_UID | none]
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbgrader import utils
from .course_folder import load_course
from .sandbox import SandboxPolicy, prepare_dir
from .tamper import tamper_findings

KERNEL_STOPPED = ("DeadKernelError", "UnresponsiveKernelError")  # nbclient's and nbgrader's
STOPPED_TEXT = "the kernel stopped while running the notebook (the submission's code may have ended it); grade it by hand"
SANITIZE = ("ClearOutput", "DeduplicateIds", "OverwriteKernelspec", "OverwriteCells", "CheckCellMetadata")


def protected_cells(release_nb) -> dict[str, tuple[str, str]]:
    out = {}
    for cell in release_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") and (meta.get("locked") or meta.get("grade") or meta.get("task")):
            out[meta["grade_id"]] = (cell.cell_type, meta.get("checksum") or utils.compute_checksum(cell))
    return out


_PROTECTED: dict[str, dict[str, tuple[str, str]]] = {}


def protected_cells_of(release_path: Path) -> dict[str, tuple[str, str]]:
    """Protected cells of a release notebook, read once per worker process."""
    key = str(release_path)
    if key not in _PROTECTED:
        _PROTECTED[key] = protected_cells(nbformat.from_dict(json.loads(release_path.read_text(encoding="utf-8"))))
    return _PROTECTED[key]


def new_report(student: str, status: str = "graded", problems: list[str] | None = None) -> dict:
    return {"student": student, "status": status, "notebooks": [], "tamper": [], "problems": problems or []}


def _preprocessors(config, policy: SandboxPolicy | None):
    from nbgrader import preprocessors as pp

    from .limited_execute import LimitedExecute

    if policy is not None:
        config.Execute.kernel_manager_class = "iso20k.grading.sandboxed_kernel.SandboxedKernelManager"
        config.SandboxedKernelManager.bwrap = policy.bwrap
        config.SandboxedKernelManager.sandbox_uid = policy.uid
        config.SandboxedKernelManager.process_limit = policy.process_limit
        config.SandboxedKernelManager.disk_mb = policy.disk_mb
    return [getattr(pp, name)(config=config) for name in SANITIZE], LimitedExecute(config=config)


def working_copy(submitted: Path, policy: SandboxPolicy | None) -> Path:
    """A scratch copy of the submission folder, the only folder the learner's code may change."""
    scratch = Path(tempfile.mkdtemp(prefix="iso20k-work-"))
    os.chmod(scratch, 0o755)
    work = scratch / submitted.name
    shutil.copytree(submitted, work, symlinks=True)
    if policy is not None:
        prepare_dir(work, policy)
    return work


def run_submission(root: Path, assignment: str, student: str, out_dir: Path,
                   policy: SandboxPolicy | None = None) -> dict:
    """Sanitize and execute every notebook of one submission; return the report."""
    submitted = root / "submitted" / student / assignment
    work = working_copy(submitted, policy)
    try:
        return _run_notebooks(root, assignment, student, out_dir, policy, submitted, work)
    finally:
        shutil.rmtree(work.parent, ignore_errors=True)


def _run_notebooks(root: Path, assignment: str, student: str, out_dir: Path, policy: SandboxPolicy | None,
                   submitted: Path, work: Path) -> dict:
    config = load_course(root).config.copy()
    db_url = config.CourseDirectory.db_url
    report = new_report(student)
    release_dir = root / "release" / assignment
    sanitize, execute = _preprocessors(config, policy)
    for release_path in sorted(release_dir.glob("*.ipynb")):
        name = release_path.stem
        path = submitted / f"{name}.ipynb"
        if not path.exists():
            report["problems"].append(f"{name}.ipynb was not submitted")
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:  # not JSON, not a notebook: reported, never fatal for the batch
            report["status"] = "failed"
            report["problems"].append(f"{name}.ipynb is not a readable notebook ({type(exc).__name__}: {exc})"[:300])
            continue
        report["tamper"] += [f"{name}: {f}" for f in tamper_findings(nb, protected_cells_of(release_path))]
        resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": name, "db_url": db_url},
                     "metadata": {"path": str(work)}, "unique_key": name}
        for pre in sanitize:
            nb, resources = pre.preprocess(nb, resources)
        os.environ["NBGRADER_EXECUTION"] = "autograde"
        try:
            nb, resources = execute.preprocess(nb, resources)
        except Exception as exc:
            if type(exc).__name__ not in KERNEL_STOPPED:
                raise
            report["status"] = "failed"
            report["problems"].append(f"{name}: {STOPPED_TEXT}")
            continue
        errors = [o.get("ename") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        if "MemoryError" in errors:
            report["status"] = "out of memory"
        if execute.stopped_cells:
            report["status"] = "too much output"
            report["problems"].append(f"{name}: printed more than {execute.output_limit_bytes // 1024} KiB; "
                                      f"the output of {len(execute.stopped_cells)} cell(s) was dropped")
        if "BlockingIOError" in errors:
            report["problems"].append(f"{name}: a cell could not start more processes (the process limit)")
        if "DeadKernelError" in errors:
            report["problems"].append(f"{name}: the kernel stopped while running the notebook")
        (out_dir / student).mkdir(parents=True, exist_ok=True)
        # Plain JSON: the grader checks the result against its own copy cell by cell anyway.
        (out_dir / student / f"{name}.ipynb").write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        report["notebooks"].append(name)
    if not report["notebooks"] and report["status"] == "graded":
        report["status"] = "failed"
    return report


def grade_one(root: Path, assignment: str, student: str, out: Path, policy: SandboxPolicy | None = None) -> None:
    try:
        report = run_submission(root, assignment, student, out, policy)
    except MemoryError:
        report = new_report(student, "out of memory")
    except Exception as exc:
        report = new_report(student, "failed", [f"{type(exc).__name__}: {exc}"[:500]])
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{student}.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = argv or sys.argv[1:]
    root, assignment, out_dir = args[:3]
    isolation = args[3] if len(args) > 3 else "none"
    policy = None if isolation == "none" else SandboxPolicy.from_settings(int(isolation))
    # Answers go to a private copy of stdout: kernels inherit file descriptor 1, and what a
    # learner's code writes there must not pass for an answer of this worker.
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    for line in sys.stdin:
        student = line.strip()
        if student:
            grade_one(Path(root), assignment, student, Path(out_dir), policy)
            print(f"done {student}", file=answers, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
