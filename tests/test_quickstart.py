"""Issue 21, point 1: command 1 gives each user their place, checked without starting servers
(the whole journey in a browser: tests/test_quickstart_journey.py).

- the learner's folder is a delivered copy of the course (the hub's delivery), outside the
  package, holding no trainers' file, and the learner's lab is rooted there;
- the learner's nbgrader configuration names the learner as nbgrader's student and the course's
  exchange; one machine's exchange is laid out with the hub's modes and refuses a folder another
  account made;
- on one machine a hand-in named for a learner without an account of their own belongs to this
  account (and only to it); on the hub (an exchange folder set) such a name belongs to nobody;
- the trainer's lab is rooted at the course folder, opens formgrader and reads no learner
  configuration (which hides formgrader)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from iso20k.launch import (deliver_learner_folder, learner_folder, learner_nbgrader_config, trainer_lab_command,
                           trainer_token)
from iso20k.settings import REPO_ROOT, Settings

TRAINERS_FILES = {"exams", "forms", "source", "release", "submitted", "autograded", "feedback", "gradebook.db",
                  "nbgrader_config.py", "assessments", "exchange", "content"}


@pytest.fixture
def settings(tmp_path) -> Settings:
    course = tmp_path / "course-folder"
    course.mkdir()
    return Settings(data_dir=tmp_path / "data", course_root=course, _env_file=None)


def test_the_learner_works_in_a_delivered_copy_of_the_course_without_keys(settings):
    home, delivery = deliver_learner_folder(settings, "E321")
    assert home == Path(settings.data_dir).resolve() / "learners" / "E321"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    # as on the hub: the course one folder down (nbgrader fetches into iso20k/ beside it)
    assert [p.name for p in home.iterdir()] == ["iso20k-course"]
    folder = home / "iso20k-course"
    names = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    assert names == {"START_HERE.ipynb", "all-staff", "key-personnel", "document-writing"}
    assert not names & TRAINERS_FILES
    everything = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert everything and all(p.suffix in (".ipynb", ".md", ".png", ".svg") for p in everything)
    assert len(delivery.copied) == len(everything)
    # The learner's autosave changes their copy, never the course; a new start keeps their work.
    lesson = folder / "all-staff" / "01-intro.en.ipynb"
    course_lesson = Path(settings.course_dir) / "all-staff" / "01-intro.en.ipynb"
    before = course_lesson.read_bytes()
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("ISO/IEC", "ISO/IEC ", 1), encoding="utf-8")
    mine = lesson.read_bytes()
    _again, second = deliver_learner_folder(settings, "E321")
    assert lesson.read_bytes() == mine and course_lesson.read_bytes() == before
    assert second.copied == [] and "all-staff/01-intro.en.ipynb" not in second.updated


@pytest.mark.parametrize("bad", ["../E1", "a/b", "", ".hidden"])
def test_a_learner_id_that_cannot_be_a_folder_name_is_refused(settings, bad):
    with pytest.raises(ValueError, match="cannot name a learner's folder"):
        learner_folder(settings, bad)


def test_the_learners_folder_comes_from_the_settings(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", learners_dir=tmp_path / "elsewhere", _env_file=None)
    assert learner_folder(settings, "E1") == (tmp_path / "elsewhere" / "E1").resolve()


def test_the_learners_assignment_list_names_the_learner_and_the_exchange(settings):
    folder = learner_nbgrader_config(settings, "E321")
    config = json.loads((folder / "nbgrader_config.json").read_text())
    assert config["CourseDirectory"] == {"course_id": "iso20k", "student_id": "E321"}
    assert config["Exchange"]["root"] == str(Path(settings.course_root).resolve() / "exchange")
    from iso20k.grading.config import EXCHANGE_FACTORY

    # the course's exchange plugins, as on the hub (private hand-ins, per-learner forms)
    assert config["ExchangeFactory"] == EXCHANGE_FACTORY
    # feedback is looked for in nbgrader's cache of hand-ins, whoever made them: one per learner
    assert config["Exchange"]["cache"] == str(Path(settings.data_dir).resolve() / "nbgrader-cache" / "E321")


def test_one_machines_exchange_is_laid_out_with_the_hubs_modes(settings):
    from iso20k.grading.local_exchange import lay_out_local_exchange

    root = lay_out_local_exchange(settings)
    modes = {p.relative_to(root).as_posix(): stat.S_IMODE(p.stat().st_mode)
             for p in [root, *sorted(root.rglob("*"))]}
    assert modes == {".": 0o1777, "iso20k": 0o755, "iso20k/outbound": 0o755, "iso20k/inbound": 0o3733,
                     "iso20k/feedback": 0o711, "iso20k/quarantine": 0o700}
    assert lay_out_local_exchange(settings) == root  # again: the same


def test_one_machines_exchange_refuses_a_link(settings, tmp_path):
    from iso20k.grading.local_exchange import lay_out_local_exchange
    from iso20k.private_paths import UntrustedPathError

    (tmp_path / "elsewhere").mkdir()
    exchange = Path(settings.course_root) / "exchange"
    exchange.mkdir()
    (exchange / "iso20k").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UntrustedPathError, match="link"):
        lay_out_local_exchange(settings)


def test_a_learner_without_an_account_hands_in_under_this_account_on_one_machine_only(monkeypatch, tmp_path):
    from iso20k.grading.exchange import student_account
    from iso20k.settings import reload_settings

    monkeypatch.setenv("ISO20K_ENV_FILE", "")
    monkeypatch.delenv("ISO20K_EXCHANGE_DIR", raising=False)
    monkeypatch.delenv("ISO20K_EXCHANGE_ONE_ACCOUNT", raising=False)
    reload_settings()
    assert student_account("demo-learner-without-account") == os.geteuid()
    assert student_account("root") == 0  # an account of that name is always that account
    monkeypatch.setenv("ISO20K_EXCHANGE_DIR", str(tmp_path / "srv-exchange"))  # the hub's
    reload_settings()
    assert student_account("demo-learner-without-account") is None
    monkeypatch.setenv("ISO20K_EXCHANGE_ONE_ACCOUNT", "true")
    reload_settings()
    assert student_account("demo-learner-without-account") == os.geteuid()
    monkeypatch.undo()
    reload_settings()


def test_the_trainers_lab_opens_formgrader_on_the_course_folder(settings):
    argv = trainer_lab_command(settings)
    course = Path(settings.course_root).resolve()
    assert f"--ServerApp.root_dir={course}" in argv and "--LabApp.default_url=/formgrader" in argv
    assert f"--ServerApp.port={settings.trainer_lab_port}" in argv and "--no-browser" in argv
    assert not any("app_settings_dir" in a for a in argv)  # the learners' settings hide formgrader
    assert any(a.startswith("--ServerApp.jpserver_extensions=iso20k.audit.formgrader_hook") for a in argv)
    token, path = trainer_token(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(token) >= 32
    assert trainer_token(settings) == (token, path)  # kept


def test_start_sh_starts_the_three_users_places():
    script = (REPO_ROOT / "scripts" / "start.sh").read_text(encoding="utf-8")
    for line in ("iso20k demo --if-empty", "iso20k dashboard", "iso20k lab --trainer --no-browser",
                 "iso20k verify-server", 'iso20k lab "$@"'):
        assert line in script, line
