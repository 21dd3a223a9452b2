"""Per-learner forms drawn from a blueprinted pool, through nbgrader's own fetch and autograde:
forms per learner and attempt, grading against the learner's form (honest and adversarial),
check-banks' pool check, the time limit, and item analysis across forms."""

from __future__ import annotations

import json
import random
import re
import subprocess
from pathlib import Path

import pytest
from nbgrader_course import fill, new_course, submit

from form_pool import A, LEARNERS, fetch_in_process, reference_keys, release_in_process, write_exams


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
        release_in_process(self.course, self.env)

    def fetch(self, learner: str, check: bool = True) -> subprocess.CompletedProcess:
        result = fetch_in_process(self.course, learner, self.base / "learners" / learner, self.env)
        if check and result.returncode:
            raise AssertionError(result.stderr)
        return result

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


FORMS = (str.lower, str.upper, lambda s: f" {s} ", lambda s: s.translate({c: c + 0xFEE0 for c in range(65, 91)}))


@pytest.fixture(scope="module")
def graded(world):
    """LEARNERS fetch their forms and hand in honest answers (all right, all wrong, mixed, in the
    friendly forms); three more hand in attacks; everything graded by 'iso20k autograde'."""
    from iso20k.grading.form_grading import forget
    from iso20k.grading.parallel import autograde

    rng = random.Random(11)
    deserved: dict[str, dict[str, float]] = {}
    for n, learner in enumerate(LEARNERS + ["swapper", "keyfaker", "latecomer"]):
        world.fetch(learner)
        nb = world.fetched(learner)
        keys = reference_keys(nb, world.exams)
        mode = ("right", "wrong", "mixed")[n % 3]
        answers, marks = {}, {}
        for slot, key in keys.items():
            right = mode == "right" or (mode == "mixed" and rng.random() < 0.5)
            answers[slot] = rng.choice(FORMS)(key if right else rng.choice([x for x in "ABCD" if x != key]))
            marks[f"{slot}-test"] = 1.0 if right else 0.0
        answers["q02"] = "cab"
        marks["q02-test"] = 2.0
        if learner == "swapper":  # claims another learner's (all-easy) form and its questions
            other = world.fetched(LEARNERS[0])
            nb["metadata"]["iso20k_form"] = other["metadata"]["iso20k_form"]
            for mine, theirs in zip(nb["cells"], other["cells"]):
                if re.fullmatch(r"s\d\d-text", (mine["metadata"].get("nbgrader") or {}).get("grade_id", "")):
                    mine["source"] = theirs["source"]
            theirs_keys = reference_keys(other, world.exams)
            answers = {**{s: k for s, k in theirs_keys.items()}, "q02": "cab"}
            marks = {f"{s}-test": float(theirs_keys[s] == keys[s]) for s in keys} | {"q02-test": 2.0}
        filled = fill(nb, answers)
        if learner == "keyfaker":  # sets the keys the tests use to its own wrong answer
            wrong = next(x for x in "ABCD" if x != keys["s01"])
            for cell in filled["cells"]:
                if "".join(cell["source"]).startswith("answer_s01"):
                    cell["source"] = f'FORM_KEYS = {{"s01": "{wrong}"}}\nanswer_s01 = "{wrong}"'
            marks["s01-test"] = 0.0
        stamp = "2026-11-20 10:00:00.000000 UTC"
        if learner == "latecomer":
            import datetime as dt

            started = dt.datetime.fromisoformat(nb["metadata"]["iso20k_form"]["started_at"])
            stamp = (started + dt.timedelta(minutes=30 + 5 + 20)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        elif learner != "swapper":
            world.hand_in(learner)
        submit(world.course, A, learner, filled, timestamp=stamp if learner == "latecomer" else
               _now_stamp())
        deserved[learner] = marks
    with pytest.MonkeyPatch.context() as mp:
        for k, v in world.env.items():
            mp.setenv(k, v)
        from iso20k.settings import reload_settings

        reload_settings()
        forget()
        summary = autograde(world.course, A, jobs=2, progress=False)
        forget()
    return summary, deserved


def _now_stamp() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def test_every_form_is_graded_against_the_learners_own_form(world, graded):
    from nbgrader_course import grades

    summary, deserved = graded
    got = grades(world.course, A)
    for learner, marks in deserved.items():
        scores = {g: s for g, (s, _) in got[learner].items() if g.endswith("-test")}
        assert scores == marks, learner
    findings = {o.student: " ".join(o.tamper + o.problems) for o in summary.outcomes}
    late = next(o for o in summary.outcomes if o.student == "latecomer")
    assert late.status == "graded" and not late.tamper and "LATE" in " ".join(late.problems)
    assert "not this learner's form" in findings["swapper"]
    assert "LATE" in findings["latecomer"] and "graded and flagged late" in findings["latecomer"]
    assert "LATE" not in findings[LEARNERS[0]]
    # feedback and formgrader read the autograded notebook: it shows the learner's own questions
    autograded = json.loads((world.course / "autograded" / "swapper" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
    mine = world.fetched("swapper")
    assert ["".join(c["source"]) for c in autograded["cells"] if "-text" in str(c["metadata"])][:6] == \
        ["".join(c["source"]) for c in mine["cells"] if re.fullmatch(r"s\d\d-text", str(
            (c["metadata"].get("nbgrader") or {}).get("grade_id")))]


@pytest.mark.slow
def test_nbgraders_own_autograde_judges_each_form_as_iso20k_autograde_does(world, graded, tmp_path):
    """Plain 'nbgrader autograde' (what formgrader's Autograde button runs) on a copy of the
    course, every score wiped first: each learner's slots score what their own form deserves,
    and nothing a learner wrote is executed (the key faker's FORM_KEYS is ignored)."""
    import shutil
    import sqlite3

    from nbgrader_course import grades, nbgrader

    _, deserved = graded
    copy = tmp_path / "course"
    shutil.copytree(world.course, copy)
    shutil.rmtree(copy / "autograded")
    with sqlite3.connect(copy / "gradebook.db") as db:
        db.execute("UPDATE grade SET auto_score = NULL")
    nbgrader(copy, "autograde", A, "--force", env=world.env)
    got = grades(copy, A)
    from iso20k.results.form_items import form_slots

    for learner, marks in deserved.items():
        assert {g: s for g, (s, _) in got[learner].items() if g.endswith("-test")} == marks, learner
        # the clause table's record of the form: the learner's real one, even for the swapper
        assert form_slots(copy, learner, A) == {s["slot"]: s["item"] for s in
                                                world.fetched(learner)["metadata"]["iso20k_form"]["slots"]}, learner


def test_item_analysis_across_forms_matches_a_hand_computation(world, graded):
    """Each pool item over exactly the candidates whose form held it, computed here by hand from
    the gradebook and the forms the learners fetched."""
    import statistics

    from nbgrader_course import grades

    from iso20k.grading.item_analysis import analyse_forms, flagged
    from iso20k.settings import Settings

    got = grades(world.course, A)
    per_item: dict[str, list[tuple[float, float]]] = {}
    for learner, cells in got.items():
        total = sum(s for g, (s, _) in cells.items() if g.endswith("-test"))
        slots = {f"{s['slot']}-test": s["item"] for s in world.fetched(learner)["metadata"]["iso20k_form"]["slots"]}
        for cell, (score, _) in cells.items():
            if cell.endswith("-test"):
                per_item.setdefault(slots.get(cell, cell), []).append((score, total - score))
    stats = {s.item: s for s in analyse_forms(f"sqlite:///{world.course / 'gradebook.db'}", A, world.course)}
    assert set(stats) == set(per_item)
    for name, pairs in per_item.items():
        xs, rest = [x for x, _ in pairs], [r for _, r in pairs]
        points = 2.0 if name == "q02-test" else 1.0
        assert stats[name].candidates == len(xs)
        assert stats[name].facility == pytest.approx(sum(xs) / (len(xs) * points))
        try:
            r = statistics.correlation(xs, rest) if len(xs) >= 3 else None
        except statistics.StatisticsError:
            r = None
        assert stats[name].discrimination == (pytest.approx(r) if r is not None else None)
    review = dict((s.item, why) for s, why in flagged(list(stats.values()), Settings(item_facility_max=0.95)))
    assert "q02-test" in review and "facility 1.00 above 0.95" in review["q02-test"]  # everyone got it right


def test_check_banks_names_every_bad_pool_item_and_every_area_short_of_items(tmp_path):
    """All or nothing: each problem names its file and item; a pool too small for pool_factor
    forms names the area, the difficulty and what to add."""
    import yaml

    from iso20k.grading.item_pool import PoolError, load_pools, shortfalls

    exams = write_exams(tmp_path / "exams", per_cell=3)
    beta = tmp_path / "exams" / "pool" / A / "beta.yaml"
    data = yaml.safe_load(beta.read_text(encoding="utf-8"))
    data["items"][0]["clauses"] = ["4.1"]  # beta covers clause 8 only
    data["items"][1]["id"] = "q01"  # the exam file's id
    data["items"][2]["options"] = data["items"][2]["options"][:3]
    beta.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (beta.parent / "gamma.yaml").write_text(yaml.safe_dump({"area": "gamma", "items": []}), encoding="utf-8")
    with pytest.raises(PoolError) as caught:
        load_pools(exams)
    text = "\n".join(caught.value.problems)
    assert f"{beta}: item beta-e01: none of its clauses (4.1) is covered by area 'beta' (8)" in text
    assert f"{beta}: item q01: id 'q01' is already used in" in text
    assert f"{beta}: item beta-e03: a choice item needs exactly 4 options (A-D)" in text
    assert "gamma.yaml: area 'gamma' is not in the blueprint" in text
    assert len(caught.value.problems) == 4
    exams = write_exams(tmp_path / "small", per_cell=3)
    [pool] = load_pools(exams)
    assert shortfalls(pool) == [
        f"{A}: area 'alpha', medium: 3 item(s) in the pool, a form draws 2, so at least 4 are needed (2 times "
        f"over); add 1 medium item(s) to exams/pool/{A}/alpha.yaml"]


def test_forms_are_on_by_default_and_off_builds_the_exam_files_items_without_pools(tmp_path):
    """The forms-off path, set off explicitly: everyone's notebook holds the exam file's items, and
    the pools a build with forms left behind are removed (else the grader would take it for a form)."""
    from iso20k.grading.build import build_sources
    from iso20k.settings import Settings

    exams, course = write_exams(tmp_path / "exams"), tmp_path / "course"
    notebook, released, keyed = (course / "source" / A / f"{A}.ipynb", course / "source" / A / "form-pool.json",
                                 course / "forms" / f"{A}.json")
    assert Settings(_env_file=None).exam_forms
    build_sources(exams, course / "source", Settings(_env_file=None))
    def code() -> str:
        return "\n".join("".join(c["source"]) for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"])

    assert released.exists() and keyed.exists() and 'answer_s01 = ""' in code()
    changed = build_sources(exams, course / "source", Settings(_env_file=None, exam_forms=False))
    assert {Path(A) / "form-pool.json", Path("..") / "forms" / f"{A}.json"} <= set(changed)
    assert not released.exists() and not keyed.exists()
    text = code()
    assert 'answer_s01' not in text and 'answer_q01 = ""' in text and 'answer_q02 = ""' in text
    assert build_sources(exams, course / "source", Settings(_env_file=None, exam_forms=False)) == []


def test_a_form_assessment_whose_keyed_pool_is_missing_is_not_graded_but_says_why(world, graded, tmp_path):
    """A course folder that got release/ but not forms/ (the graders' keyed pools): every hand-in
    fails with what to do, instead of scoring 0 against no keys."""
    import shutil

    from iso20k.grading.form_grading import forget
    from iso20k.grading.parallel import autograde

    copy = tmp_path / "course"
    shutil.copytree(world.course, copy, ignore=shutil.ignore_patterns("autograded"))
    shutil.rmtree(copy / "forms")
    shutil.rmtree(copy / "submitted")
    shutil.copytree(world.course / "submitted" / LEARNERS[0], copy / "submitted" / LEARNERS[0])
    with pytest.MonkeyPatch.context() as mp:
        for k, v in world.env.items():
            mp.setenv(k, v)
        forget()
        summary = autograde(copy, A, jobs=1, progress=False)
        forget()
    [outcome] = summary.outcomes
    assert outcome.status == "failed", outcome
    assert "keyed pool" in " ".join(outcome.problems) and "iso20k build-assessments" in " ".join(outcome.problems)


def test_a_grading_process_that_lives_on_sees_sittings_started_after_it_first_graded(world, graded, monkeypatch):
    """As formgrader's server (nbgrader's own Autograde button) does: one process grades, a learner
    fetches later, the same process grades their hand-in: against the sitting the trail holds now."""
    from iso20k.grading import form_grading
    from iso20k.grading.answer_grading import grade_here
    from iso20k.grading.course_folder import load_course

    for k, v in world.env.items():
        monkeypatch.setenv(k, v)
    form_grading.forget()
    course = load_course(world.course)
    grade_here(course, A, [LEARNERS[0]], progress=False)  # this process has read the sittings
    world.fetch("e951")
    nb = world.fetched("e951")
    submit(world.course, A, "e951", fill(nb, {**reference_keys(nb, world.exams), "q02": "cab"}), timestamp=_now_stamp())
    world.hand_in("e951")
    monkeypatch.setattr(form_grading, "SITTINGS_FRESH_S", 0.0)  # the process has lived on past it
    [outcome] = grade_here(course, A, ["e951"], progress=False)
    form_grading.forget()
    assert outcome.status == "graded" and not outcome.tamper and not outcome.problems, outcome
