"""The installed ``iso20k`` console command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from iso20k.launch import lab_command
from iso20k.settings import REPO_ROOT, Settings


def iso20k() -> str:
    return str(Path(sys.executable).with_name("iso20k")) if Path(sys.executable).with_name("iso20k").exists() \
        else shutil.which("iso20k")


def test_help_lists_the_commands():
    out = subprocess.run([iso20k(), "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("check-banks", "import-roster", "roster", "progress", "settings", "whoami", "lab", "build-course"):
        assert command in out


def test_lab_command_opens_the_start_page_on_localhost():
    argv = lab_command(Settings(), open_browser=False)
    assert argv[1] == "lab"
    assert "--LabApp.default_url=/lab/tree/course/START_HERE.ipynb" in argv
    assert "--ServerApp.ip=127.0.0.1" in argv and "--no-browser" in argv
    assert f"--ServerApp.root_dir={REPO_ROOT}" in argv


def test_progress_command_shows_modules(monkeypatch):
    monkeypatch.setenv("ISO20K_LEARNER_ID", "E001")
    out = subprocess.run([iso20k(), "progress"], capture_output=True, text=True, check=True).stdout
    assert "Progress of E001" in out and "start/welcome" in out
