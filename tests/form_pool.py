"""A generated exam with a blueprint and its item pool, for the forms' tests and benchmark (the
real pool is written by people; these items only have to be told apart)."""

from __future__ import annotations

import os
import random
import re
import subprocess
from pathlib import Path

import yaml

A = "all-staff-exam"
LEARNERS = [f"e{n:03d}" for n in range(12)]
AREAS = {"alpha": ["4"], "beta": ["8"]}


def item(area: str, difficulty: str, n: int, rng: random.Random) -> dict:
    tag = f"{area}-{difficulty}-{n:02d}"
    return {"id": f"{area}-{difficulty[0]}{n:02d}", "kind": "choice", "points": 1, "clauses": [AREAS[area][0] + ".1"],
            "difficulty": difficulty, "prompt": {"en": f"Question {tag}?", "zh": f"题目 {tag}？"},
            "options": [{"en": f"Option {k} of {tag}", "zh": f"{tag} 的选项 {k}"} for k in "1234"],
            "answer": rng.choice("ABCD")}


def write_exams(folder: Path, per_cell: int = 6, scale: int = 1) -> Path:
    """The exam (``scale`` times 4 alpha and 2 beta items per form, plus a fixed ordering item)
    and a pool of ``per_cell`` items per area and difficulty."""
    rng = random.Random(7)
    exam = {"assignment": A, "title": {"en": "Generated exam", "zh": "生成的考试"}, "minutes": 30,
            "blueprint": {"item_points": 1, "pool_factor": 2, "difficulty": {"easy": 50, "medium": 50, "hard": 0},
                          "areas": [{"id": "alpha", "weight": 66.67, "draw": 4 * scale, "clauses": AREAS["alpha"]},
                                    {"id": "beta", "weight": 33.33, "draw": 2 * scale, "clauses": AREAS["beta"]}]},
            "items": [{**item("alpha", "easy", 0, rng), "id": "q01", "area": "alpha"},
                      {"id": "q02", "kind": "order", "points": 2, "clauses": ["8.5"],
                       "prompt": {"en": "Order these.", "zh": "排序。"},
                       "steps": [{"en": f"Step {k}", "zh": f"步骤 {k}"} for k in "123"], "answer": "CAB"}]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{A}.yaml").write_text(yaml.safe_dump(exam, allow_unicode=True), encoding="utf-8")
    for area in AREAS:
        items = [item(area, d, n, rng) for d in ("easy", "medium") for n in range(1, per_cell + 1)]
        target = folder / "pool" / A / f"{area}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump({"area": area, "items": items}, allow_unicode=True), encoding="utf-8")
    return folder


def answer_texts(exams: Path) -> dict[str, str]:
    """Every choice item's English prompt -> the English text of its right option."""
    texts = {}
    for path in [exams / f"{A}.yaml", *sorted((exams / "pool" / A).glob("*.yaml"))]:
        for it in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            if it["kind"] == "choice":
                texts[it["prompt"]["en"]] = it["options"]["ABCD".index(it["answer"])]["en"]
    return texts


def reference_keys(nb: dict, exams: Path, texts: dict | None = None) -> dict[str, str]:
    """What each slot's right letter is, judged from the question as the learner's notebook shows
    it: the letter in front of the text of the item's right option (independent of forms.py)."""
    texts = texts or answer_texts(exams)
    keys = {}
    for cell in nb["cells"]:
        grade_id = (cell["metadata"].get("nbgrader") or {}).get("grade_id", "")
        if re.fullmatch(r"s\d\d-text", grade_id):
            source = "".join(cell["source"])
            prompt = next(t for t in texts if f"**{t}**" in source)
            letter = re.search(r"- \*\*([A-D])\.\*\* " + re.escape(texts[prompt]) + " ·", source).group(1)
            keys[grade_id[:3]] = letter
    return keys


def release_in_process(course: Path, env: dict) -> None:
    """``nbgrader release_assignment`` of the exam as the course configures it, in this process."""
    saved = {k: os.environ.get(k) for k in env}
    try:
        exchange(course, env, "release_assignment", None, None).start()
    finally:
        _restore(saved)


def _restore(saved: dict) -> None:
    from iso20k.settings import reload_settings

    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    reload_settings()


def exchange(course: Path, env: dict, step: str, learner: str | None, home: Path | None):
    """The course's nbgrader exchange plugin for ``step`` (ExchangeFactory), configured as nbgrader
    would configure it for ``learner`` (None: the trainer)."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.utils.importstring import import_item

    from iso20k.grading.config import apply_course_config

    os.environ.update(env)
    config = Config()
    apply_course_config(config, str(course))
    if learner:
        config.CourseDirectory.student_id = learner
    config.CourseDirectory.assignment_id = A
    if home is not None:
        config.Exchange.assignment_dir = str(home)
    config.ExchangeReleaseAssignment.force = True
    plugin = config.ExchangeFactory[step] if step in config.ExchangeFactory else \
        f"nbgrader.exchange.default.{step}.Exchange" + "".join(w.title() for w in step.split("_"))
    return import_item(plugin)(coursedir=CourseDirectory(config=config), authenticator=Authenticator(config=config),
                               config=config)


def fetch_in_process(course: Path, learner: str, home: Path, env: dict) -> subprocess.CompletedProcess:
    """nbgrader's fetch as the course configures it (``ExchangeFactory.fetch_assignment``) for
    ``learner`` into ``home``, in this process (a subprocess per fetch costs seconds), with the
    settings ``env``; the outcome as a CompletedProcess (1 and the message when refused)."""
    from nbgrader.exchange import ExchangeError

    from iso20k.settings import reload_settings

    home.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in env}
    try:
        os.environ.update(env)
        reload_settings()
        fetch = exchange(course, env, "fetch_assignment", learner, home)
        try:
            fetch.start()
            return subprocess.CompletedProcess([], 0, "", "")
        except ExchangeError as exc:
            return subprocess.CompletedProcess([], 1, "", str(exc))
    finally:
        _restore(saved)
