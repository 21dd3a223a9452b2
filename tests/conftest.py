"""Shared fixtures: every test gets its own real SQLite store in a temporary folder; tests that
ask for ``postgres_url`` get a fresh database in a real PostgreSQL cluster started once per run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from iso20k.settings import REPO_ROOT, get_settings, reload_settings
from iso20k.store import ProgressStore
from iso20k.widgets import QuizSession, use_session

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Point every setting at a temporary folder so no test touches a real store."""
    for var in ("JUPYTERHUB_USER", "ISO20K_DB_URL", "ISO20K_LEARNER_ID", "ISO20K_LANGUAGE",
                "ISO20K_GRADEBOOK_URL", "ISO20K_COURSE_ROOT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ISO20K_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ISO20K_ENV_FILE", "")  # never a deployment's settings file
    settings = reload_settings()
    yield settings
    use_session(None)
    get_settings.cache_clear()  # the next test reads its own environment


@pytest.fixture
def store(tmp_path) -> ProgressStore:
    s = ProgressStore(f"sqlite:///{tmp_path / 'progress.sqlite'}")
    yield s
    s.close()


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL cluster (Debian's postgresql package) for the whole test run."""
    from postgres import PostgresCluster

    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster) -> str:
    """The URL of a new, empty PostgreSQL database of this test alone."""
    return postgres_cluster.create_database()


@pytest.fixture
def banks_dir(tmp_path) -> Path:
    target = tmp_path / "banks"
    shutil.copytree(FIXTURES / "banks", target)
    return target


@pytest.fixture
def session(store, banks_dir) -> QuizSession:
    return use_session(QuizSession(store, "alice", banks_dir=banks_dir, language="en"))


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
