"""Who the learner is, and where every setting comes from."""

from __future__ import annotations

import getpass
import subprocess
import sys

import pytest
from pydantic import ValidationError

from iso20k.identity import resolve_learner_id
from iso20k.settings import Settings, reload_settings


def test_jupyterhub_user_wins():
    settings = Settings(learner_id="E001")
    assert resolve_learner_id(settings, {"JUPYTERHUB_USER": "E777"}) == "E777"


def test_configured_learner_id_next():
    assert resolve_learner_id(Settings(learner_id="E001"), {}) == "E001"
    assert resolve_learner_id(Settings(learner_id="E001"), {"JUPYTERHUB_USER": "  "}) == "E001"


def test_operating_system_user_last():
    assert resolve_learner_id(Settings(), {}) == getpass.getuser()


def test_settings_come_from_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("ISO20K_LEARNER_ID", "E042")
    monkeypatch.setenv("ISO20K_LANGUAGE", "zh")
    monkeypatch.setenv("ISO20K_DB_URL", "postgresql+psycopg://trainer@db.internal/iso20k")
    s = reload_settings()
    assert (s.learner_id, s.language) == ("E042", "zh")
    assert s.effective_db_url == "postgresql+psycopg://trainer@db.internal/iso20k"


def test_default_store_is_sqlite_in_the_data_dir(isolated_settings, tmp_path):
    assert isolated_settings.effective_db_url == f"sqlite:///{tmp_path / 'data' / 'progress.sqlite'}"


def test_bad_language_setting_is_refused(monkeypatch):
    monkeypatch.setenv("ISO20K_LANGUAGE", "fr")
    with pytest.raises(ValidationError, match="'en', 'zh'|en, zh"):
        reload_settings()


def test_every_setting_has_a_name_default_and_help():
    rows = Settings().describe()
    assert {r[0] for r in rows} >= {"ISO20K_DB_URL", "ISO20K_DATA_DIR", "ISO20K_LEARNER_ID", "ISO20K_LANGUAGE",
                                    "ISO20K_BUSY_TIMEOUT_MS", "ISO20K_BANKS_DIR"}
    for env, _value, _default, help_text in rows:
        assert len(help_text) > 20, f"{env} has no real help text"


def test_settings_command_prints_them(monkeypatch):
    monkeypatch.setenv("ISO20K_LEARNER_ID", "E042")
    out = subprocess.run([sys.executable, "-m", "iso20k.cli", "settings"], capture_output=True, text=True, check=True)
    assert "ISO20K_LEARNER_ID = E042" in out.stdout
    assert "ISO20K_DB_URL" in out.stdout and "default:" in out.stdout


def test_whoami_command(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "E900")
    out = subprocess.run([sys.executable, "-m", "iso20k.cli", "whoami"], capture_output=True, text=True, check=True)
    assert "learner id: E900" in out.stdout


def test_passwords_and_tokens_never_appear_in_command_output(monkeypatch):
    secret = "s3cr/et@pw"  # unescaped '/' and '@': the mask must still cover all of it
    monkeypatch.setenv("ISO20K_DB_URL", f"postgresql+psycopg://trainer:{secret}@db.internal:5432/iso20k")
    monkeypatch.setenv("ISO20K_GRADEBOOK_URL", "postgresql+psycopg://grader:gb-pass-77@db.internal/gradebook")
    monkeypatch.setenv("ISO20K_DASHBOARD_TOKEN", "tok-abcdef-123")
    for command in ("settings", "whoami"):
        out = subprocess.run([sys.executable, "-m", "iso20k.cli", command], capture_output=True, text=True, check=True)
        text = out.stdout + out.stderr
        for leak in ("s3cr", "et@pw", "gb-pass-77", "tok-abcdef-123"):
            assert leak not in text, f"'iso20k {command}' printed a secret"
        assert "postgresql+psycopg://trainer:***@db.internal:5432/iso20k" in text
    settings_out = subprocess.run([sys.executable, "-m", "iso20k.cli", "settings"], capture_output=True, text=True).stdout
    assert "ISO20K_DASHBOARD_TOKEN = ***" in settings_out
    assert "ISO20K_GRADEBOOK_URL = postgresql+psycopg://grader:***@db.internal/gradebook" in settings_out


def test_child_processes_still_get_the_real_secrets(monkeypatch):
    from iso20k.dashboard import dashboard_server

    url = "postgresql+psycopg://trainer:pw-123@db.internal/iso20k"
    server = dashboard_server(Settings(db_url=url, dashboard_token="tok-9"))
    assert server.env["ISO20K_DB_URL"] == url
    # the token reaches Voila only through its private config file, never a kernel's environment
    assert "ISO20K_DASHBOARD_TOKEN" not in server.env and "tok-9" in server.config_file.read_text()


def test_in_a_checkout_every_folder_is_the_checkouts_wherever_commands_run(monkeypatch, tmp_path):
    from iso20k.settings import REPO_ROOT

    monkeypatch.chdir(tmp_path)  # the editable install, not the current folder, decides
    s = Settings()
    assert REPO_ROOT is not None and (REPO_ROOT / "pyproject.toml").is_file()
    assert (s.banks_dir, s.course_dir, s.dashboard_dir) == (
        REPO_ROOT / "assessments", REPO_ROOT / "course", REPO_ROOT / "dashboard")
    assert (s.course_root, s.exams_dir, s.content_dir) == (REPO_ROOT, REPO_ROOT / "exams", REPO_ROOT / "content")


def test_in_a_checkout_another_course_folder_still_takes_the_checkouts_exams(monkeypatch, tmp_path):
    from iso20k.settings import REPO_ROOT

    monkeypatch.setenv("ISO20K_COURSE_ROOT", str(tmp_path / "course"))
    monkeypatch.setenv("ISO20K_CONTENT_DIR", str(tmp_path / "lessons"))
    s = reload_settings()
    assert s.course_root == tmp_path / "course"
    assert s.exams_dir == REPO_ROOT / "exams"  # the repository stays the source of the definitions
    assert s.content_dir == tmp_path / "lessons"  # set on its own: kept
