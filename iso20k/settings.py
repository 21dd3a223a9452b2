"""Every setting of the product, in one place: name, default and help.

Settings come from environment variables prefixed ``ISO20K_`` (for example
``ISO20K_DB_URL``).  ``iso20k settings`` prints them all with their current
values and help, so a trainer never has to read this file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The repository root when the package is used from a checkout (the normal case).
REPO_ROOT = Path(__file__).resolve().parent.parent

LANGUAGES = ("en", "zh")
from .tracks import TRACKS  # noqa: F401 - re-exported: other modules import it from here


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "iso20k"


class Settings(BaseSettings):
    """The product's settings.  Each field's ``description`` is its help text."""

    model_config = SettingsConfigDict(env_prefix="ISO20K_", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder for the embedded SQLite progress store and other local data. "
        "Created on first use.",
    )
    db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the progress store. Empty means the embedded SQLite "
        "file <data_dir>/progress.sqlite. A shared deployment can use e.g. "
        "postgresql+psycopg://user@host/iso20k.",
    )
    busy_timeout_ms: int = Field(
        default=30_000,
        ge=0,
        description="How long (milliseconds) a SQLite writer waits for another writer "
        "before giving up.",
    )
    learner_id: str | None = Field(
        default=None,
        description="Learner id to record answers under when not running in JupyterHub "
        "(JUPYTERHUB_USER wins when set; the operating-system user is the last resort). "
        "Use the employee id from the roster.",
    )
    language: str = Field(
        default="en",
        description="Language learners see until they choose one: 'en' (English) or "
        "'zh' (简体中文).",
    )
    banks_dir: Path = Field(
        default=REPO_ROOT / "assessments",
        description="Folder of the YAML question banks used by the quizzes.",
    )
    course_dir: Path = Field(
        default=REPO_ROOT / "course",
        description="Folder of the learner notebooks that JupyterLab opens.",
    )
    content_dir: Path = Field(
        default=REPO_ROOT / "content",
        description="Folder of the Markdown sources the course notebooks are built from.",
    )
    exams_dir: Path = Field(
        default=REPO_ROOT / "exams",
        description="Folder of the graded assessments' definitions (one YAML file per assignment).",
    )
    pass_mark_all_staff: float = Field(
        default=0.65, gt=0, le=1,
        description="Share of points needed to pass the all-staff exam (0.65 = 26 of 40, the "
        "ISO/IEC 20000 Foundation convention).",
    )
    pass_mark_key_personnel: float = Field(
        default=0.70, gt=0, le=1, description="Share of points needed to pass the key-personnel assessment.",
    )
    pass_mark_document_writing: float = Field(
        default=0.70, gt=0, le=1, description="Share of points needed to pass the document-writing assessment.",
    )
    grading_jobs: int = Field(
        default=0, ge=0,
        description="Submissions 'iso20k autograde' grades at once; 0 means one per CPU core.",
    )
    grading_cell_timeout_s: int = Field(
        default=60, gt=0,
        description="Seconds one assessment cell may run during grading before it is interrupted "
        "(nbgrader's Execute.timeout); learners' answers are letters, so a long run means a stuck cell.",
    )
    grading_time_limit_s: int = Field(
        default=600, gt=0,
        description="Wall-clock limit for grading one submission (seconds); past it the submission is "
        "stopped and reported as timed out.",
    )
    grading_memory_limit_mb: int = Field(
        default=2048, gt=64,
        description="Memory limit (address space, MiB) for one submission's grading process and kernel.",
    )
    grading_process_limit: int = Field(
        default=64, ge=16,
        description="Processes and threads one submission's kernel may have at once (a fork bomb stops "
        "there); the kernel itself needs about 12.",
    )
    grading_output_limit_kb: int = Field(
        default=1024, gt=0,
        description="Output (KiB) one submitted notebook may print while it is graded; past it the "
        "printing cell is stopped and the submission reported as 'too much output'.",
    )
    grading_disk_limit_mb: int = Field(
        default=100, gt=0,
        description="Size (MiB) of the private /tmp a sandboxed submission gets, and the largest file "
        "it may write anywhere.",
    )
    grading_sandbox_bwrap: str = Field(
        default="bwrap",
        description="The bubblewrap program that isolates learners' code during 'iso20k autograde' "
        "(Debian package bubblewrap); a name on PATH or a full path.",
    )
    grading_sandbox_uid: int = Field(
        default=61000, gt=0,
        description="When grading runs as root, learners' code runs as this unprivileged user id "
        "(grading job n uses this id + n); pick ids no real account uses.",
    )
    lab_port: int = Field(default=8888, description="Port for 'iso20k lab'.")
    lab_ip: str = Field(default="127.0.0.1", description="Address 'iso20k lab' listens on.")
    course_root: Path = Field(
        default=REPO_ROOT,
        description="The nbgrader course folder (nbgrader_config.py, gradebook.db, submitted/). The "
        "dashboard reads results from it; 'iso20k demo' writes its made-up results into it.",
    )
    dashboard_ip: str = Field(
        default="127.0.0.1",
        description="Address 'iso20k dashboard' listens on. Any address other than 127.0.0.1 or "
        "localhost requires a token (ISO20K_DASHBOARD_TOKEN, generated when empty).",
    )
    dashboard_port: int = Field(default=8866, description="Port for 'iso20k dashboard'.")
    dashboard_token: str | None = Field(
        default=None,
        description="Token viewers must add to the dashboard address (?token=...). Empty: none on "
        "127.0.0.1; a random one, printed at start, on any other address.",
    )
    dashboard_pool_size: int = Field(
        default=1, ge=1,
        description="Dashboard kernels kept prepared in advance (Voila's preheated pool), so a page "
        "opens without waiting for the data to load.",
    )
    dashboard_refill_delay_s: float = Field(
        default=5.0, ge=0,
        description="Seconds after a prepared dashboard page is handed out before the next one is "
        "prepared, so that preparing (reading every database) does not slow down the page being opened.",
    )
    dashboard_cull_idle_s: int = Field(
        default=600, ge=5,
        description="Seconds after which a dashboard kernel with no page open is shut down (Voila "
        "cannot shut it down itself when a tab is closed).",
    )

    lab_config_dir: Path | None = Field(
        default=None,
        description="Folder where 'iso20k lab' writes the learner JupyterLab configuration (news "
        "notifications off, nbgrader's authoring and grading interface hidden). Empty means "
        "<data_dir>/lab-config.",
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {value!r}")
        return value

    def pass_mark(self, track: str) -> float:
        """The pass mark (share of points) of a track's assessment."""
        return getattr(self, f"pass_mark_{track.replace('-', '_')}")

    @property
    def effective_db_url(self) -> str:
        """The SQLAlchemy URL actually used for the progress store."""
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.data_dir / 'progress.sqlite').as_posix()}"

    def describe(self) -> list[tuple[str, str, str, str]]:
        """Rows of (environment variable, current value, default, help) for display."""
        rows = []
        for name, field in type(self).model_fields.items():
            default = field.get_default(call_default_factory=True)
            rows.append(
                (
                    f"ISO20K_{name.upper()}",
                    "" if getattr(self, name) is None else str(getattr(self, name)),
                    "" if default is None else str(default),
                    field.description or "",
                )
            )
        return rows


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()


def reload_settings() -> Settings:
    """Forget cached settings (after the environment changed) and read them again."""
    get_settings.cache_clear()
    return get_settings()
