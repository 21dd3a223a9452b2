"""Per-learner forms drawn from a blueprinted pool, through nbgrader's own fetch and autograde:
forms per learner and attempt, grading against the learner's form (honest and adversarial),
check-banks' pool check, the time limit, and item analysis across forms."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nbgrader_course import fill, nbgrader, new_course, submit

A = "all-staff-exam"
LEARNERS = [f"e{n:03d}" for n in range(12)]
AREAS = {"alpha": ["4"], "beta": ["8"]}


def item(area: str, difficulty: str, n: int, rng: random.Random) -> dict:
    tag = f"{area}-{difficulty}-{n:02d}"
    return {"id": f"{area}-{difficulty[0]}{n:02d}", "kind": "choice", "points": 1, "clauses": [AREAS[area][0] + ".1"],
            "difficulty": difficulty, "prompt": {"en": f"Question {tag}?", "zh": f"题目 {tag}？"},
            "options": [{"en": f"Option {k} of {tag}", "zh": f"{tag} 的选项 {k}"} for k in "1234"],
            "answer": rng.choice("ABCD")}


def write_exams(folder: Path, per_cell: int = 6) -> Path:
    rng = random.Random(7)
    exam = {"assignment": A, "title": {"en": "Generated exam", "zh": "生成的考试"}, "minutes": 30,
            "blueprint": {"item_points": 1, "pool_factor": 2, "difficulty": {"easy": 50, "medium": 50, "hard": 0},
                          "areas": [{"id": "alpha", "weight": 66.67, "draw": 4, "clauses": AREAS["alpha"]},
                                    {"id": "beta", "weight": 33.33, "draw": 2, "clauses": AREAS["beta"]}]},
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


def reference_keys(nb: dict, exams: Path) -> dict[str, str]:
    """What each slot's right letter is, judged from the question as the learner's notebook shows
    it: the letter in front of the text of the item's right option (independent of forms.py)."""
    texts = {}
    for path in [exams / f"{A}.yaml", *sorted((exams / "pool" / A).glob("*.yaml"))]:
        for it in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            if it["kind"] == "choice":
                texts[it["prompt"]["en"]] = it["options"]["ABCD".index(it["answer"])]["en"]
    keys = {}
    for cell in nb["cells"]:
        grade_id = (cell["metadata"].get("nbgrader") or {}).get("grade_id", "")
        if re.fullmatch(r"s\d\d-text", grade_id):
            source = "".join(cell["source"])
            prompt = next(t for t in texts if f"**{t}**" in source)
            letter = re.search(r"- \*\*([A-D])\.\*\* " + re.escape(texts[prompt]) + " ·", source).group(1)
            keys[grade_id[:3]] = letter
    return keys


class World:
    def __init__(self, base: Path):
        self.base = base
        self.exams = write_exams(base / "exams")
        self.env = {"ISO20K_EXAM_FORMS": "1", "ISO20K_DATA_DIR": str(base / "data"), "ISO20K_ENV_FILE": "",
                    "ISO20K_EXAM_RETAKE_WAIT_DAYS": "0", "ISO20K_EXAM_MAX_ATTEMPTS": "2"}
        with pytest.MonkeyPatch.context() as mp:
            for k, v in self.env.items():
                mp.setenv(k, v)
            from iso20k.settings import reload_settings

            reload_settings()
            self.course = new_course(base / "course", self.exams)
        nbgrader(self.course, "release_assignment", A, "--force", env=self.env)

    def fetch(self, learner: str, check: bool = True) -> subprocess.CompletedProcess:
        home = self.base / "learners" / learner
        home.mkdir(parents=True, exist_ok=True)
        return nbgrader(self.course, "fetch_assignment", A, f"--CourseDirectory.student_id={learner}",
                        f"--Exchange.assignment_dir={home}", env=self.env, check=check)

    def fetched(self, learner: str) -> dict:
        return json.loads((self.base / "learners" / learner / "iso20k" / A / f"{A}.ipynb").read_text(encoding="utf-8"))

    def hand_in(self, learner: str) -> None:
        with pytest.MonkeyPatch.context() as mp:
            for k, v in self.env.items():
                mp.setenv(k, v)
            from iso20k.grading.sittings import record_hand_in
            from iso20k.settings import reload_settings

            record_hand_in(reload_settings(), learner, A)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("forms"))


def items_of(nb: dict) -> list[str]:
    return [s["item"] for s in nb["metadata"]["iso20k_form"]["slots"]]


def test_forms_differ_between_learners_repeat_for_one_and_renew_for_a_retake(world):
    for learner in ("e900", "e901"):
        world.fetch(learner)
    one, two = world.fetched("e900"), world.fetched("e901")
    assert items_of(one) != items_of(two) or [s["order"] for s in one["metadata"]["iso20k_form"]["slots"]] != \
        [s["order"] for s in two["metadata"]["iso20k_form"]["slots"]]
    for nb in (one, two):  # both satisfy the blueprint: 4 alpha (2 easy, 2 medium), 2 beta (1 + 1)
        drawn = items_of(nb)
        assert len(set(drawn)) == 6
        areas = [("alpha" if i.startswith(("alpha", "q01")) else "beta") for i in drawn]
        assert areas.count("alpha") == 4 and areas.count("beta") == 2
        assert sum(1 for i in drawn if "-e" in i or i == "q01") == 3
        assert "Step 1" in json.dumps(nb) and "answer_q02" in json.dumps(nb)  # the fixed item is on every form
        assert "answer" not in json.dumps(nb["metadata"]["iso20k_form"])  # the form carries no key
        assert (world.base / "learners" / "e900" / "iso20k" / A / "time-limit.json").exists()
        assert not (world.base / "learners" / "e900" / "iso20k" / A / "form-pool.json").exists()
    # the same learner fetching again (copy removed) gets the same form and the same clock
    import shutil

    first = world.fetched("e900")["metadata"]["iso20k_form"]
    shutil.rmtree(world.base / "learners" / "e900" / "iso20k" / A)
    world.fetch("e900")
    again = world.fetched("e900")["metadata"]["iso20k_form"]
    assert again == first
    assert "already have a copy" in world.fetch("e900", check=False).stdout + world.fetch("e900", check=False).stderr
    # after a hand-in a fetch is a retake: a new form, attempt 2, the old copy kept
    world.hand_in("e900")
    world.fetch("e900")
    retake = world.fetched("e900")["metadata"]["iso20k_form"]
    assert retake["attempt"] == 2 and retake["slots"] != first["slots"]
    assert (world.base / "learners" / "e900" / "iso20k" / f"{A}-attempt-1").is_dir()
    # the retake rule: at most 2 attempts here
    world.hand_in("e900")
    refused = world.fetch("e900", check=False)
    assert refused.returncode != 0 and "attempts are used" in refused.stdout + refused.stderr
