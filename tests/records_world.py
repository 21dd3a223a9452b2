"""A small demo company (real progress store, real nbgrader gradebook), its certificates not yet
issued, built once per test module and copied for each test that changes it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from iso20k.settings import Settings

ISO20K = str(Path(sys.executable).with_name("iso20k"))


def build(base: Path, employees: int = 30, departments: int = 3, certificates: bool = False) -> Path:
    from dashboard_world import make_world

    # certificates still to be issued unless asked for: most of these worlds test issuing them
    make_world(base, employees=employees, departments=departments, autograde_count=0, certificates=certificates)
    return base


def copy_world(source: Path, target: Path, **overrides) -> Settings:
    shutil.copytree(source, target)
    return Settings(data_dir=target / "data", course_root=target / "course", **overrides)


def env_of(settings: Settings, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISO20K_")}
    env.update(ISO20K_DATA_DIR=str(settings.data_dir), ISO20K_COURSE_ROOT=str(settings.course_root), **extra)
    return env


def iso20k(settings: Settings, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([ISO20K, *args], env=env_of(settings, **extra), capture_output=True, text=True, timeout=600)
