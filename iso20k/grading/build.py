"""Build ``source/<assignment>/<assignment>.ipynb`` from ``exams/<assignment>.yaml``."""

from __future__ import annotations

from pathlib import Path

import nbformat

from ..settings import Settings
from ..tracks import TRACK_OF_ASSESSMENT
from .exam_model import ExamError
from .source_notebook import build_source_notebook


def build_sources(exams_dir: Path, source_dir: Path, settings: Settings, check_only: bool = False) -> list[Path]:
    """Write (or, with ``check_only``, list) the source notebooks that differ from the definitions,
    with each form assessment's pools (the learners' copy beside the notebook, the graders' keyed
    copy in ``forms/``); with forms off those pools are removed."""
    import json

    from .form_notebook import RELEASED_POOL, keyed_pool, keyed_pool_path, released_pool
    from .item_pool import load_pools, shortfalls

    changed = []
    for pool in load_pools(exams_dir):
        exam = pool.exam if settings.exam_forms else pool.exam.model_copy(update={"blueprint": None})
        track = TRACK_OF_ASSESSMENT.get(exam.assignment)
        if track is None:
            raise ExamError(f"{exams_dir / (exam.assignment + '.yaml')}: unknown assignment {exam.assignment!r}; "
                            f"use one of {', '.join(TRACK_OF_ASSESSMENT)}")
        outputs = {Path(source_dir) / exam.assignment / f"{exam.assignment}.ipynb":
                   nbformat.writes(build_source_notebook(exam, settings.pass_mark(track)), version=4) + "\n"}
        if exam.blueprint is not None and settings.exam_forms:
            short = shortfalls(pool)
            if short:
                raise ExamError("\n".join(short))
            dump = lambda data: json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"  # noqa: E731
            outputs[Path(source_dir) / exam.assignment / RELEASED_POOL] = dump(released_pool(pool))
            outputs[keyed_pool_path(Path(source_dir).parent, exam.assignment)] = dump(keyed_pool(pool))
        else:  # forms off (or no blueprint): a pool left from a build with forms would make a form of it
            outputs[Path(source_dir) / exam.assignment / RELEASED_POOL] = None
            outputs[keyed_pool_path(Path(source_dir).parent, exam.assignment)] = None
        for target, text in outputs.items():
            if text is None and not target.exists():
                continue
            if text is None or not target.exists() or target.read_text(encoding="utf-8") != text:
                changed.append(target.relative_to(source_dir) if target.is_relative_to(source_dir)
                               else Path("..") / target.relative_to(Path(source_dir).parent))
                if check_only:
                    continue
                if text is None:
                    target.unlink()
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text, encoding="utf-8")
    return changed
