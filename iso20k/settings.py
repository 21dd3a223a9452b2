"""Every setting of the product, in one place: name, default and help.

Settings come from environment variables prefixed ``ISO20K_`` (for example
``ISO20K_DB_URL``).  ``iso20k settings`` prints them all with their current
values and help, so a trainer never has to read this file.
"""

from __future__ import annotations

import os
import warnings
from functools import lru_cache
from datetime import date
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .course_files import checkout_folder, default_course_root, editable_checkout, learner_folder

#: The checkout this package was installed from with ``pip install -e`` (scripts/start.sh and
#: scripts/test.sh do), or None for an installed wheel.  Defaults never derive from it directly:
#: see course_files.py.
REPO_ROOT = editable_checkout()

LANGUAGES = ("en", "zh")
#: The reminder rules (docs/reminders.md), in the order a run sends them.
REMIND_RULES = ("before-due", "overdue", "certificate", "escalation", "digest")


def check_language(value) -> str:
    """``value`` when it is one of :data:`LANGUAGES`; else ValueError saying which are (the one
    language check: settings, the store, the records' judge and the records service use it)."""
    if not isinstance(value, str) or value not in LANGUAGES:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:60] + "..."
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {shown}")
    return value
#: Every setting is the environment variable of this prefix and the field's name in capitals.
ENV_PREFIX = "ISO20K_"
#: nbgrader's course id; its graders' group (``formgrade-<course>``: the formgrader and the
#: whole-company dashboard) and students' group (``nbgrader-<course>``) are named after it.
COURSE_ID = "iso20k"
GRADERS_GROUP = f"formgrade-{COURSE_ID}"
STUDENTS_GROUP = f"nbgrader-{COURSE_ID}"
#: JupyterHub's own variables in a server or service it starts (read here, as settings, too).
JUPYTERHUB_USER = "JUPYTERHUB_USER"
JUPYTERHUB_API_TOKEN = "JUPYTERHUB_API_TOKEN"
ENV_FILE = "/etc/iso20k/iso20k.env"
from .tracks import TRACKS  # noqa: F401 - re-exported: other modules import it from here


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "iso20k"


class Settings(BaseSettings):
    """The product's settings.  Each field's ``description`` is its help text."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", populate_by_name=True)

    env_file: str = Field(
        default=ENV_FILE,
        description="The deployment's settings file (KEY=value lines of these settings), read where this "
        "process may read it; the environment wins over it. Root only when it holds a password. Empty: none.",
    )

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
        default_factory=lambda: learner_folder("assessments"),
        description="Folder of the YAML question banks the quizzes show (prompts, options). Default: the "
        "banks installed with the package, learners' copies without answers or explanations "
        "(assessments/ of the checkout, with the keys, in an editable install).",
    )
    keyed_banks_dir: Path | None = Field(
        default_factory=lambda: checkout_folder("assessments"),
        description="Folder of the question banks with their answers and explanations, read only where "
        "answers are judged: the records service on a hub (there it must be a folder only the records "
        "service's account can read; 'iso20k hub' checks), the learner's own process on one machine. The "
        "banks installed with the package (ISO20K_BANKS_DIR) are learners' copies without keys. Default: "
        "assessments/ of the checkout in an editable install, else assessments/ in the course folder "
        "(ISO20K_COURSE_ROOT).",
    )
    course_dir: Path = Field(
        default_factory=lambda: learner_folder("course"),
        description="Folder of the learner notebooks that JupyterLab opens. Default: the notebooks "
        "installed with the package (course/ of the checkout in an editable install).",
    )
    content_dir: Path | None = Field(
        default_factory=lambda: checkout_folder("content"),
        description="Folder of the Markdown sources the course notebooks are built from. Default: "
        "content/ of the checkout in an editable install, else content/ in the course folder "
        "(ISO20K_COURSE_ROOT).",
    )
    exams_dir: Path | None = Field(
        default_factory=lambda: checkout_folder("exams"),
        description="Folder of the graded assessments' definitions (one YAML file per assignment, with "
        "the answer keys, so never installed with the package). Default: exams/ of the checkout in an "
        "editable install, else exams/ in the course folder (ISO20K_COURSE_ROOT).",
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
        default_factory=default_course_root,
        description="The nbgrader course folder (nbgrader_config.py, exams/, source/, release/, "
        "gradebook.db, submitted/). The dashboard reads results from it; 'iso20k demo' writes its "
        "made-up results into it. Default: the checkout in an editable install (pip install -e), "
        "else the current folder, as for nbgrader itself.",
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
        default=1.0, ge=0,
        description="Seconds after a prepared dashboard page is handed out before the next one is "
        "prepared, so that preparing (reading every database) does not slow down the page being opened.",
    )
    dashboard_cull_idle_s: int = Field(
        default=600, ge=5,
        description="Seconds after which a dashboard kernel with no page open is shut down (Voila "
        "cannot shut it down itself when a tab is closed).",
    )
    dashboard_max_kernels: int = Field(
        default=12, ge=1,
        description="Most dashboard pages served at once, each with a kernel of its own (about 120 MB "
        "with a company's record: 12 take about 1.5 GB, plus the prepared ones of dashboard_pool_size). "
        "A viewer beyond it gets a short 'the dashboard is busy' page in both languages that retries "
        "by itself and opens the dashboard as soon as a page is closed or culled.",
    )
    dashboard_busy_retry_s: int = Field(
        default=5, ge=1,
        description="Seconds between the retries of the 'dashboard is busy' page (dashboard_max_kernels).",
    )
    dashboard_cull_open_pages: bool = Field(
        default=True,
        description="Also shut down the kernel of a page still open but unused for dashboard_cull_idle_s "
        "(a tab left open overnight does not hold one of the dashboard_max_kernels; its charts stay "
        "on screen, and reloading the page gives fresh ones).",
    )
    roster_confirm_inactive_share: float = Field(
        default=0.10, ge=0, le=1,
        description="A roster import that would mark more than this share of the active employees "
        "inactive (people missing from the file) asks for confirmation first, or needs --yes in "
        "scripts; 0 asks whenever anyone would become inactive, 1 never asks.",
    )
    roster_role_map: Path | None = Field(
        default=None,
        description="Mapping file (YAML or CSV) from HR job titles or grades to the course's roles, "
        "used by 'iso20k import-roster' when --role-map is not given (see docs/roster.md).",
    )
    roster_heading_search_rows: int = Field(
        default=10, ge=1,
        description="How many rows at the top of a roster sheet are searched for the heading row "
        "(title and blank rows above it are skipped).",
    )

    records_url: str | None = Field(
        default=None,
        description="Address of the hub's records service (set by the hub for every learner server). "
        "When set, quiz answers go there to be judged and stored under the signed-in hub user; when "
        "empty, the kernel judges and stores them itself in the progress store (single-user default).",
    )
    trail_url: str | None = Field(
        default=None,
        description="Address of the trail writer (the hub's records service) that grade changes from "
        "formgrader and 'iso20k autograde' are sent to, with the formgrader service's hub token and the "
        "trainer's own; set by the hub for the trainers' formgrader, which holds no progress-store "
        "URL. Empty: grade changes are written to the progress store directly (single-server).",
    )
    db_admin_url: str | None = Field(
        default=None,
        description="PostgreSQL: a role that may create roles (a superuser or CREATEROLE), used only by "
        "'iso20k store-roles' to create the services' roles. Empty: ISO20K_DB_URL (the tables' owner).",
    )
    hub_records_db_url: str | None = Field(
        default=None,
        description="PostgreSQL URL the hub's records service (the trail writer) uses: its own role, "
        "which may add answers, completions, trail entries and certificates but change or delete none "
        "(made by 'iso20k store-roles'). Empty: ISO20K_DB_URL.",
    )
    hub_dashboard_db_url: str | None = Field(
        default=None,
        description="PostgreSQL URL the hub's dashboard and certificate verification page use: a "
        "SELECT-only role (made by 'iso20k store-roles'). Empty: ISO20K_DB_URL, in read-only sessions.",
    )
    hub_ip: str = Field(default="0.0.0.0", description="Address the company hub ('iso20k hub') listens on.")
    hub_port: int = Field(default=8000, description="Port of the company hub ('iso20k hub').")
    hub_state_dir: Path = Field(
        default=Path("/var/lib/iso20k-hub"),
        description="Folder (root's) for the hub's own state: its database, cookie secret and the "
        "service tokens (each 0600), the learner configuration every server reads, and each service's "
        "runtime folder (run/<service>, made fresh at every start). Created 0711 on first start.",
    )
    hub_db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of JupyterHub's own database (users, tokens). Empty: SQLite "
        "in hub_state_dir.",
    )
    hub_authenticator: str = Field(
        default="pam",
        description="JupyterHub authenticator: 'pam' (operating-system accounts, the default), an "
        "entry-point name such as 'ldapauthenticator' or 'github', or a full class path. Configure "
        "the chosen one further in hub_extra_config.",
    )
    hub_spawner: str = Field(
        default="localprocess",
        description="JupyterHub spawner: 'localprocess' (each employee's server runs as their own "
        "operating-system user), or e.g. 'kubespawner.KubeSpawner' for a cluster.",
    )
    hub_extra_config: Path | None = Field(
        default=None,
        description="Optional JupyterHub configuration file loaded after the product's own (for "
        "LDAP/OAuth settings, a Kubernetes spawner, TLS). It may override anything.",
    )
    hub_admins: str = Field(
        default="",
        description="Comma-separated hub user names with the hub's admin page (IT staff); they get no "
        "course data by this.",
    )
    hub_python: Path = Field(
        default=Path("/opt/iso20k/venv/bin/python"),
        description="Python of the environment learners' servers and the hub's services run from; it "
        "must be readable by every employee's operating-system user (not under /root).",
    )
    hub_api_port: int = Field(
        default=8081, description="Port (127.0.0.1) of the hub's own API, used by 'iso20k hub-sync'.",
    )
    hub_records_port: int = Field(
        default=8010, description="Port (127.0.0.1) of the hub's records service.",
    )
    records_max_body_bytes: int = Field(
        default=64 * 1024, ge=1024,
        description="Largest request body the records service accepts, in bytes (an answer is under "
        "5 KB). A larger body is refused with 413 before it is read: at once when its Content-Length "
        "says so, else as soon as that many bytes arrived (chunked bodies).",
    )
    records_max_json_depth: int = Field(
        default=16, ge=4,
        description="Deepest nesting of arrays and objects the records service accepts in a JSON body "
        "(an answer needs 3); deeper bodies are refused with 400 before they are parsed.",
    )
    records_answer_burst: int = Field(
        default=40, ge=1,
        description="Answers one learner may send to the records service at once before the sustained "
        "rate applies (a token bucket: a whole module answered back to back fits). Beyond it: 429 with "
        "Retry-After; nothing is stored.",
    )
    records_answers_per_minute: int = Field(
        default=60, ge=1,
        description="Answers per minute one learner may send to the records service, sustained (the "
        "bucket's refill; one a second is faster than anyone reads a question).",
    )
    records_request_burst: int = Field(
        default=200, ge=1,
        description="Requests of any kind (answers, progress, 'My training') one learner may send to "
        "the records service at once (opening a notebook asks once per question).",
    )
    records_requests_per_minute: int = Field(
        default=600, ge=1,
        description="Requests of any kind per minute one learner may send to the records service, "
        "sustained. Beyond it: 429 with Retry-After.",
    )
    records_refusal_delay_s: float = Field(
        default=1.0, ge=0,
        description="Seconds the records service waits before answering a learner over their rate "
        "with 429, so a script that sends request after request is slowed to one a second per "
        "connection (at most 16 such answers per learner wait at once). 0: answer at once.",
    )
    records_processes: int = Field(
        default=0, ge=0,
        description="Processes of the records service, all serving its one port (the kernel spreads the "
        "connections). 0: one per CPU core. Rate limits are kept per process: a learner whose requests "
        "come over several connections can get up to this many times their rate.",
    )
    records_db_threads: int = Field(
        default=4, ge=1,
        description="Database connections of each records service process. On PostgreSQL its answers "
        "are sent from the event loop over this many connections, and reads run in as many threads; "
        "on SQLite answers run in the threads too. A few per process keep the database busy; more only "
        "queue inside it.",
    )
    records_token_cache_size: int = Field(
        default=20000, ge=100,
        description="Hub tokens the records service remembers the owner of (each process, and as "
        "many again in a table its processes share; the oldest are forgotten first). Above the number "
        "of learners active at once, the hub is asked once per learner per ISO20K_RECORDS_TOKEN_CACHE_S, "
        "whichever process their requests reach.",
    )
    records_token_cache_s: float = Field(
        default=300.0, ge=1,
        description="Seconds the records service trusts the hub's word on a token (and on a refused "
        "token) before asking again; a revoked token keeps working that long.",
    )
    open_enrolment: bool | None = Field(
        default=None,
        description="Accept quiz answers to tracks the learner is not enrolled in (the roster's "
        "enrolments). Empty: refused by the hub's records service, accepted in the single-user lab "
        "(where the learner's own process keeps the records and there may be no roster). The welcome "
        "quiz of the start page is open to everyone, and a learner not in the roster takes all-staff.",
    )
    hub_home_course_folder: str = Field(
        default="iso20k-course",
        description="Folder in each learner's home that receives the course notebooks at every "
        "server start (new and unchanged lessons are updated; lessons the learner changed are kept).",
    )
    exchange_dir: Path | None = Field(
        default=None,
        description="nbgrader's exchange folder (learners fetch and submit there). Empty: "
        "<course_root>/exchange, for one machine. The hub needs a folder outside the course folder, "
        "e.g. /srv/nbgrader/exchange, because learners may not enter the course folder.",
    )
    hub_create_system_users: bool = Field(
        default=False,
        description="With PAM sign-in: let the hub create a (password-less) operating-system account for "
        "each new hub user. Off: IT creates the accounts, and 'iso20k hub-sync' lists employees without one.",
    )
    hub_roster_sync_share: float = Field(
        default=0.25, gt=0, le=1,
        description="'iso20k hub-sync' refuses (without --yes) to remove access from more than this "
        "share of the hub's users at once.",
    )
    trainers: str = Field(
        default="",
        description="Comma-separated employee ids of the trainers (training office), the one list of them: "
        f"'iso20k hub-sync' puts them in the hub group {GRADERS_GROUP} (nbgrader's graders: the formgrader "
        "service), and the dashboard shows them the whole company. Replaces ISO20K_HUB_TRAINERS and "
        "ISO20K_DASHBOARD_TRAINERS, which are still read (with a warning) and added to it.",
    )
    hub_trainers: str = Field(
        default="",
        description="Deprecated: use ISO20K_TRAINERS (its ids are added to it, with a warning).",
    )
    hub_grader_user: str = Field(
        default="grader-iso20k",
        description="Operating-system account the trainers' formgrader service runs as (nbgrader's shared "
        "grader account). It owns the course folder (ISO20K_COURSE_ROOT) with the answer keys and the "
        "gradebook; nobody signs in as it. scripts/deploy-hub.sh creates it.",
    )
    hub_records_user: str = Field(
        default="iso20k-records",
        description="Operating-system account the hub's records service runs as (a system account nobody "
        "signs in as). It judges and stores answers and alone reads the quiz keys in ISO20K_KEYED_BANKS_DIR; "
        "it owns the data folder (ISO20K_DATA_DIR): the SQLite progress store and the audit trail's anchor. "
        "scripts/deploy-hub.sh creates it; 'iso20k hub' refuses to start without it.",
    )
    hub_dashboard_user: str = Field(
        default="iso20k-dashboard",
        description="Operating-system account the hub's dashboard (Voila) and certificate verification "
        "services run as (a system account nobody signs in as). Its group may read the data folder and "
        "enter the course folder; it writes only its own runtime folder. scripts/deploy-hub.sh creates it; "
        "'iso20k hub' refuses to start without it.",
    )
    hub_verify_port: int = Field(
        default=8013, description="Port (127.0.0.1) of the certificate verification service on the hub "
        "(public at /services/verify/verify/<code>).",
    )
    runtime_dir: Path | None = Field(
        default=None,
        description="Folder for this process's private runtime files (Voila's configuration folder, the "
        "dashboard's kept reading, Jupyter's runtime files); each start makes a fresh folder in it. It must "
        "be writable by this account and root only, on every component of its path. Empty: <data_dir>/run. "
        "The hub sets it for each of its services (a folder in its state folder).",
    )
    hub_formgrader_port: int = Field(
        default=8012, description="Port (127.0.0.1) of the trainers' formgrader service on the hub.",
    )
    hub_dashboard_port: int = Field(
        default=8011, description="Port (127.0.0.1) of the management dashboard service on the hub.",
    )
    hub_proxy_api_port: int = Field(
        default=8001, description="Port (127.0.0.1) of the hub proxy's own API (used by the hub only).",
    )
    hub_api_host: str = Field(
        default="127.0.0.1",
        description="Host name the hub's own API is reached by ('iso20k hub-sync', the services). One server: "
        "127.0.0.1. In a cluster: the hub's Service name (the Zero to JupyterHub chart's is 'hub').",
    )
    hub_records_host: str = Field(
        default="127.0.0.1",
        description="Host name the records service is reached by (from the hub, learners' servers and the "
        "formgrader). One server: 127.0.0.1. In a cluster: its Service name (deploy/kubernetes: iso20k-records).",
    )
    hub_dashboard_host: str = Field(
        default="127.0.0.1",
        description="Host name the dashboard service is reached by (from the hub's proxy). In a cluster: its "
        "Service name (deploy/kubernetes: iso20k-dashboard).",
    )
    hub_formgrader_host: str = Field(
        default="127.0.0.1",
        description="Host name the trainers' formgrader is reached by (from the hub's proxy). In a cluster: "
        "its Service name (deploy/kubernetes: iso20k-formgrader).",
    )
    hub_verify_host: str = Field(
        default="127.0.0.1",
        description="Host name the certificate verification service is reached by (from the hub's proxy). In "
        "a cluster: its Service name (deploy/kubernetes: iso20k-verify).",
    )
    hub_services_bind_ip: str = Field(
        default="",
        description="Address the product's hub services listen on. Empty: the host of their own address "
        "(127.0.0.1 on one server). In a cluster, where each service is its own pod reached through its "
        "Service: 0.0.0.0.",
    )
    hub_services_managed: bool = Field(
        default=True,
        description="The hub starts the product's services itself (records, dashboard, formgrader, "
        "verification), each as its own account (one server). Off: they run on their own (a cluster's "
        "deployments, deploy/kubernetes) and the hub only routes to them and knows their tokens "
        "(ISO20K_HUB_SERVICE_TOKENS_DIR).",
    )
    hub_service_tokens_dir: Path | None = Field(
        default=None,
        description="Folder of the services' hub API tokens, one file '<service>.token' each, when the "
        "services run on their own (hub_services_managed off; in a cluster: a Secret mounted as files). "
        "Empty: the hub's state folder, where the hub creates them.",
    )
    hub_k8s_image: str = Field(
        default="iso20k-singleuser:latest",
        description="Kubernetes only: the image of learners' servers (deploy/kubernetes/Dockerfile.singleuser, "
        "built from this package's wheel: the course and the learners' copies of the banks, no keys).",
    )
    hub_k8s_course_dir: Path = Field(
        default=Path("/opt/iso20k/course"),
        description="Kubernetes only: where the course notebooks are inside the learners' image; the init "
        "container delivers them into the learner's home from there.",
    )
    hub_k8s_uid_base: int = Field(
        default=200000, ge=1000,
        description="Kubernetes only: each learner's server and its init container run as user id "
        "<this> + the learner's hub user id (never 0, one per learner), so on the shared exchange volume "
        "one learner's hand-ins are not another's files, as with one operating-system account each on one server.",
    )
    hub_k8s_fs_gid: int = Field(
        default=100, ge=1,
        description="Kubernetes only: group id the learner's volumes are given (fsGroup).",
    )
    hub_k8s_cpu_limit: float = Field(
        default=1.0, gt=0, description="Kubernetes only: CPU cores one learner's server may use at most.",
    )
    hub_k8s_cpu_guarantee: float = Field(
        default=0.05, ge=0,
        description="Kubernetes only: CPU cores reserved for each learner's server (a lesson is idle most "
        "of the time; 0.05 lets about 20 learners share a core).",
    )
    hub_k8s_mem_limit: str = Field(
        default="1G", description="Kubernetes only: memory one learner's server may use at most (e.g. 1G).",
    )
    hub_k8s_mem_guarantee: str = Field(
        default="256M",
        description="Kubernetes only: memory reserved for each learner's server (a lesson's kernel and "
        "server take about 200 MB).",
    )
    hub_k8s_exchange_claim: str = Field(
        default="iso20k-exchange",
        description="Kubernetes only: the PersistentVolumeClaim (ReadWriteMany) of nbgrader's exchange, "
        "mounted at ISO20K_EXCHANGE_DIR in learners' servers and the formgrader.",
    )

    company_name: str = Field(
        default="Example IT Services Co., Ltd.",
        description="The issuing company's name in English, printed on certificates and evidence packs.",
    )
    company_name_zh: str = Field(
        default="示例信息技术服务有限公司",
        description="The issuing company's name in Chinese, printed on certificates and evidence packs.",
    )
    company_home_page: str = Field(
        default="https://training.example.com",
        description="The company's home page (a URL): xAPI statements name each employee as an account "
        "on it, and activity ids start with it.",
    )
    role_requirements_file: Path | None = Field(
        default=None,
        description="YAML file mapping each role to the tracks it requires (e.g. 'manager: [all-staff, "
        "key-personnel]'); empty means the built-in rules ('iso20k competence --rules' shows them).",
    )
    certificate_validity_months_all_staff: int = Field(
        default=12, ge=1, description="Months an all-staff certificate stays valid before a refresher is needed.",
    )
    certificate_validity_months_key_personnel: int = Field(
        default=36, ge=1, description="Months a key-personnel certificate stays valid before a refresher is needed.",
    )
    certificate_validity_months_document_writing: int = Field(
        default=36, ge=1,
        description="Months a document-writing certificate stays valid before a refresher is needed.",
    )
    certificate_warning_days: int = Field(
        default=60, ge=0,
        description="Days before a certificate expires from which the employee is due for the refresher "
        "(shown as 'expiring').",
    )
    certificate_font: Path = Field(
        default=Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
        description="Font (TrueType/OpenType file or .ttc collection with a Simplified Chinese face) whose "
        "subset is embedded in certificates and evidence PDFs (Debian package fonts-noto-cjk).",
    )
    verify_url: str = Field(
        default="http://127.0.0.1:8867/verify",
        description="Address of the certificate verification page; a certificate's QR code points to "
        "<this>/<code>. Set it to where 'iso20k verify-server' is reachable for auditors.",
    )
    verify_ip: str = Field(default="127.0.0.1", description="Address 'iso20k verify-server' listens on.")
    verify_port: int = Field(default=8867, description="Port for 'iso20k verify-server'.")
    audit_actor: str | None = Field(
        default=None,
        description="Name the audit trail records as the person making a change from this account; empty "
        "means JUPYTERHUB_USER, else the operating-system user.",
    )
    lrs_url: str | None = Field(
        default=None,
        description="xAPI endpoint of an external Learning Record Store (e.g. https://lrs.example.com/xAPI); "
        "'iso20k xapi --send' posts statements to <this>/statements. Empty: no sending.",
    )
    lrs_username: str | None = Field(default=None, description="User name (key) for the Learning Record Store.")
    lrs_password: SecretStr | None = Field(
        default=None, description="Password (secret) for the Learning Record Store; never printed.",
    )

    gradebook_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of nbgrader's gradebook (nbgrader's CourseDirectory.db_url). Empty "
        "means the SQLite file gradebook.db in the course folder (ISO20K_COURSE_ROOT); a company "
        "deployment can keep it in PostgreSQL, e.g. postgresql+psycopg://grader:PASSWORD@db.internal/gradebook.",
    )
    dashboard_dir: Path = Field(
        default_factory=lambda: learner_folder("dashboard"),
        description="Folder of the dashboard notebook (training-dashboard.ipynb) and its Voila page "
        "template (jupyter/). Default: the copy installed with the package (dashboard/ of the checkout "
        "in an editable install).",
    )

    @model_validator(mode="after")
    def _course_folders(self) -> Settings:
        # Outside a checkout, the trainers' folders are in the course folder unless set on their own.
        if self.content_dir is None:
            self.content_dir = self.course_root / "content"
        if self.exams_dir is None:
            self.exams_dir = self.course_root / "exams"
        if self.keyed_banks_dir is None:
            self.keyed_banks_dir = self.course_root / "assessments"
        return self

    time_zone: str = Field(
        default="",
        description="IANA time zone (e.g. Asia/Shanghai) for every day boundary the dashboard draws: "
        "which day an answer, completion or hand-in counts on, and what 'today' is. Empty: the "
        "server's own time zone.",
    )
    dashboard_identity_provider: str = Field(
        default="iso20k.dashboard.access.OperatorIdentityProvider",
        description="Jupyter Server IdentityProvider class (import path) that authenticates dashboard "
        "visitors. It must mix in iso20k.dashboard.access.ViewerStamp. The default is the single-user "
        "dashboard: its operator sees the company. Behind JupyterHub, a class mixing ViewerStamp into "
        "the hub's identity provider; the roster then decides what each person sees.",
    )
    dashboard_trainers: str = Field(
        default="",
        description="Deprecated: use ISO20K_TRAINERS (its names are added to it, with a warning).",
    )
    dashboard_trainer_groups: str = Field(
        default=GRADERS_GROUP,
        description="Comma-separated hub groups whose members see the whole company on the dashboard "
        f"(default: nbgrader's graders group {GRADERS_GROUP}, the trainers of ISO20K_TRAINERS).",
    )
    dashboard_signing_key: SecretStr | None = Field(
        default=None,
        description="Key with which the dashboard server signs, for its page kernels, who is looking "
        "(HMAC). Empty: a random one made at every start and passed to its kernels in their environment; "
        "never printed.",
    )
    dashboard_manager_departments: str = Field(
        default="",
        description="Departments a manager sees besides their own roster department: "
        "'E0042=Service Desk|Operations; E0043=Finance'.",
    )
    audit_date: date | None = Field(
        default=None,
        description="Day of the certification audit (YYYY-MM-DD). The dashboard projects, per department, "
        "whether required training will be complete by then at the current pace.",
    )

    # -- reminders and escalations (docs/reminders.md) ----------------------------------------------
    remind_rules: str = Field(
        default="before-due,overdue,escalation,certificate,digest",
        description="Which reminder rules 'iso20k remind' applies (comma-separated; leave one out to switch it "
        "off): before-due (to the employee before a track's due date), overdue (to the employee on the day it "
        "becomes overdue, then weekly), escalation (to the department's managers), certificate (to the holder "
        "before a certificate expires), digest (weekly, to the training office). Empty: none.",
    )
    remind_before_days: str = Field(
        default="14,7,1",
        description="Days before a track's due date on which the employee is reminded (comma-separated).",
    )
    remind_overdue_every_days: int = Field(
        default=7, ge=1,
        description="After the day a track becomes overdue, the employee is reminded again every this many days.",
    )
    remind_escalate_after_days: int = Field(
        default=7, ge=1,
        description="From this many days overdue the department's managers (roster role manager) are told too, "
        "one message per manager listing their overdue people, again every ISO20K_REMIND_OVERDUE_EVERY_DAYS.",
    )
    remind_digest_weekday: int = Field(
        default=0, ge=0, le=6,
        description="Day of the week of the training office's digest (0 Monday ... 6 Sunday); a week whose day "
        "was missed gets its digest at the next run.",
    )
    remind_digest_to: str = Field(
        default="",
        description="Comma-separated addresses the weekly digest goes to. Empty: the trainers' (ISO20K_TRAINERS) "
        "e-mail addresses from the roster.",
    )
    remind_time: str = Field(
        default="07:00",
        description="Local time (HH:MM, in ISO20K_TIME_ZONE) at which the hub's reminders service runs "
        "'iso20k remind' every day.",
    )
    remind_max_per_run: int = Field(
        default=200, ge=1,
        description="Most messages one run sends; the rest wait for the next run.",
    )
    remind_pause_s: float = Field(
        default=1.0, ge=0,
        description="Seconds between two messages of a run (spares the mail server).",
    )
    remind_max_attempts: int = Field(
        default=3, ge=1,
        description="Runs in which a message the mail server put off (4xx) or lost is tried; then it is reported "
        "as refused and not tried again. A refused (5xx) address is not tried again at all.",
    )
    hub_url: str = Field(
        default="",
        description="Public address of the company hub (e.g. https://training.example.com); reminders link to "
        "each person's lesson or assessment there. Empty: messages carry no links.",
    )
    mail_from: str = Field(
        default="training@example.com",
        description="Sender address of reminders (the training office's mailbox; replies go there).",
    )
    mail_from_name: str = Field(
        default="",
        description="Sender name of reminders. Empty: '<company name> Training Office' in the message's "
        "language (ISO20K_COMPANY_NAME, ISO20K_COMPANY_NAME_ZH).",
    )
    smtp_host: str = Field(default="", description="Mail server reminders are sent through. Empty: none "
                           "('iso20k remind' then only works with --dry-run).")
    smtp_port: int = Field(default=587, description="Port of the mail server (587 STARTTLS, 465 implicit TLS).")
    smtp_security: str = Field(
        default="starttls",
        description="'starttls' (plain connection upgraded to TLS before logging in), 'tls' (implicit TLS, "
        "usually port 465) or 'none' (only for a mail server on 127.0.0.1).",
    )
    smtp_username: str = Field(default="", description="User name to log in to the mail server. Empty: no login.")
    smtp_password_file: Path | None = Field(
        default=None,
        description="File holding the mail server's password (one line; readable by its owner only, mode 0600). "
        "The password is never a setting, an option or printed.",
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="CA certificates (PEM) the mail server's certificate is checked against. Empty: the "
        "system's. The server's name is always checked.",
    )
    smtp_timeout_s: float = Field(default=30.0, gt=0, description="Seconds to wait for the mail server.")

    @field_validator("remind_rules")
    @classmethod
    def _known_rules(cls, value: str) -> str:
        unknown = [r for r in _parse_list(value) if r not in REMIND_RULES]
        if unknown:
            raise ValueError(f"unknown reminder rule(s) {', '.join(unknown)}; known: {', '.join(REMIND_RULES)}")
        return value

    @field_validator("remind_before_days")
    @classmethod
    def _day_list(cls, value: str) -> str:
        for part in _parse_list(value):
            if not part.isdigit():
                raise ValueError(f"remind_before_days: {part!r} is not a number of days (write e.g. 14,7,1)")
        return value

    @field_validator("remind_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        import re

        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError(f"remind_time {value!r} is not a time of day; write it as HH:MM, e.g. 07:00")
        return value.strip()

    @field_validator("smtp_security")
    @classmethod
    def _security(cls, value: str) -> str:
        if value not in ("starttls", "tls", "none"):
            raise ValueError(f"smtp_security must be starttls, tls or none, not {value!r}")
        return value

    @property
    def remind_rule_set(self) -> set[str]:
        """The reminder rules switched on."""
        return set(_parse_list(self.remind_rules))

    @property
    def remind_before(self) -> list[int]:
        """The days before a due date on which employees are reminded, largest first."""
        return sorted({int(p) for p in _parse_list(self.remind_before_days)}, reverse=True)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"time_zone {value!r} is not a known IANA time zone (e.g. Asia/Shanghai)")
        return value

    def zone(self):
        """The time zone for day boundaries (``time_zone``, else the server's own)."""
        from datetime import datetime
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.time_zone) if self.time_zone else datetime.now().astimezone().tzinfo

    worker_results: Path | None = Field(
        default=None,
        description="Folder of grading workers' runs (<student>/<notebook>.ipynb) that nbgrader's "
        "autograde, run with the course's configuration, takes instead of running the notebooks itself "
        "('iso20k autograde' gives nbgrader its own folder). Empty: autograde runs them.",
    )
    jupyterhub_user: str = Field(
        default="",
        validation_alias=AliasChoices(JUPYTERHUB_USER, "jupyterhub_user"),
        description="Set by JupyterHub (JUPYTERHUB_USER, not an ISO20K_ setting): the signed-in hub user whose "
        "server this is; answers are recorded under this name (it wins over ISO20K_LEARNER_ID).",
    )
    jupyterhub_api_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(JUPYTERHUB_API_TOKEN, "jupyterhub_api_token"),
        description="Set by JupyterHub (JUPYTERHUB_API_TOKEN, not an ISO20K_ setting): this server's or "
        "service's hub token, sent to the records service and the trail writer; never printed.",
    )

    lab_config_dir: Path | None = Field(
        default=None,
        description="Folder where 'iso20k lab' writes the learner JupyterLab configuration (news "
        "notifications off, nbgrader's authoring and grading interface hidden). Empty means "
        "<data_dir>/lab-config.",
    )
    learners_dir: Path | None = Field(
        default=None,
        description="Folder of the learners' own folders on one machine: 'iso20k lab' delivers the course "
        "into <this>/<learner id> (as the hub delivers it into each home: new and unchanged lessons "
        "updated, lessons the learner changed kept) and opens JupyterLab there, so the learner's file "
        "browser reaches no answer keys, gradebook or hand-ins and autosaves never touch the installed "
        "course. Empty means <data_dir>/learners.",
    )
    trainer_lab_port: int = Field(
        default=8889,
        description="Port for 'iso20k lab --trainer': the trainer's JupyterLab on one machine, on the course "
        "folder (ISO20K_COURSE_ROOT), with nbgrader's formgrader at /formgrader.",
    )
    exchange_one_account: bool | None = Field(
        default=None,
        description="One machine, one account: every learner learns under the operating-system account that "
        "also grades (scripts/start.sh), so 'nbgrader collect' takes a hand-in named for a learner who has no "
        "account of their own when that hand-in belongs to the collecting account (another account's is "
        "refused, as always), and feedback for such a learner is released to that account. Empty: on when "
        "ISO20K_EXCHANGE_DIR is empty (the exchange in the course folder, one machine), off otherwise (the "
        "hub, where every learner has an account).",
    )

    @property
    def one_account_exchange(self) -> bool:
        """Whether learners without an account of their own hand in under this account
        (``exchange_one_account``, by default on exactly when no exchange folder is set)."""
        return self.exchange_dir is None if self.exchange_one_account is None else self.exchange_one_account

    exam_forms: bool = Field(
        default=True,
        description="Give every learner their own form of an assessment that has a blueprint (items "
        "drawn from exams/pool/ by the blueprint, options shuffled, decided by learner, assessment and "
        "attempt) when they fetch it. Needs a pool that 'iso20k check-banks' accepts. Off (0): everyone "
        "sits the exam file's items, the same questions in the same order, and no time limit is enforced; "
        "after changing it run 'iso20k build-assessments' and 'nbgrader generate_assignment ASSIGNMENT "
        "--force', and release again.",
    )
    exam_grace_minutes: int = Field(
        default=5, ge=0,
        description="Minutes after an assessment's time limit (its 'minutes', counted from the fetch) "
        "during which a hand-in still counts as on time.",
    )
    exam_late_rule: str = Field(
        default="flag",
        description="What happens to a hand-in after the time limit plus grace: 'flag' (graded, reported "
        "late by 'iso20k autograde') or 'ungraded' (its answers are not judged: it scores 0, reported late; "
        "a trainer may still grade it by hand). Either way the trail's hand-in entry records it as late.",
    )
    exam_retake_wait_days: float = Field(
        default=1, ge=0,
        description="Days a learner waits after handing in an assessment before fetching it again for a "
        "retake (a new form).",
    )
    exam_max_attempts: int = Field(
        default=3, ge=1,
        description="Attempts a learner may start at one assessment (the first sitting included).",
    )
    item_facility_min: float = Field(
        default=0.2, ge=0, le=1,
        description="Item analysis flags an item for review when fewer than this share of its "
        "candidates got it right.",
    )
    item_facility_max: float = Field(
        default=0.95, ge=0, le=1,
        description="Item analysis flags an item for review when more than this share got it right.",
    )
    item_discrimination_min: float = Field(
        default=0.2, ge=-1, le=1,
        description="Item analysis flags an item for review when its discrimination (item score vs the "
        "rest of the form) is below this.",
    )

    @field_validator("exam_late_rule")
    @classmethod
    def _late_rule(cls, value: str) -> str:
        if value not in ("flag", "ungraded"):
            raise ValueError(f"exam_late_rule must be 'flag' or 'ungraded', not {value!r}")
        return value

    @model_validator(mode="after")
    def _one_list_of_trainers(self) -> Settings:
        for old in ("hub_trainers", "dashboard_trainers"):
            value = getattr(self, old)
            if value.strip():
                warnings.warn(f"{env_name(old)} is deprecated: name the trainers in {env_name('trainers')} "
                              f"(its value is added to it this time)", FutureWarning, stacklevel=2)
                self.trainers = ",".join(dict.fromkeys([*self.trainer_ids, *_parse_list(value)]))
                setattr(self, old, "")
        return self

    @property
    def trainer_ids(self) -> list[str]:
        """The trainers' employee ids (hub user names are these in lower case)."""
        return _parse_list(self.trainers)

    @property
    def trainer_groups(self) -> list[str]:
        """Hub groups whose members see the whole company on the dashboard."""
        return _parse_list(self.dashboard_trainer_groups)

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        return check_language(value)

    def certificate_validity_months(self, track: str) -> int:
        """Months a certificate of ``track`` stays valid."""
        return getattr(self, f"certificate_validity_months_{track.replace('-', '_')}")

    def pass_mark(self, track: str) -> float:
        """The pass mark (share of points) of a track's assessment."""
        return getattr(self, f"pass_mark_{track.replace('-', '_')}")

    @property
    def effective_db_url(self) -> str:
        """The SQLAlchemy URL actually used for the progress store."""
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.data_dir / 'progress.sqlite').as_posix()}"

    @property
    def shown_db_url(self) -> str:
        """:attr:`effective_db_url` with any password masked, for messages and logs."""
        return mask_secret_in_url(self.effective_db_url)

    def describe(self) -> list[tuple[str, str, str, str]]:
        """Rows of (environment variable, current value, default, help) for display: passwords
        in URLs and every token, password or secret setting are masked."""
        rows = []
        for name, field in type(self).model_fields.items():
            default = field.get_default(call_default_factory=True)
            rows.append(
                (
                    env_name(name),
                    "" if getattr(self, name) is None else shown_value(name, getattr(self, name)),
                    "" if default is None else shown_value(name, default),
                    field.description or "",
                )
            )
        return rows

    def environment(self) -> dict[str, str]:
        """The settings that have a value, as environment variables for a child process (unmasked:
        never print this)."""
        return {env_name(name): value.get_secret_value() if isinstance(value, SecretStr) else str(value)
                for name in type(self).model_fields
                if name not in NOT_PASSED_ON and (value := getattr(self, name)) is not None}


#: Settings never handed on to a child process by :meth:`Settings.environment`: JupyterHub's own
#: variables (the hub gives each process its own) and the deprecated trainer lists (merged into
#: ``trainers``).
NOT_PASSED_ON = frozenset({"jupyterhub_user", "jupyterhub_api_token", "hub_trainers", "dashboard_trainers"})


def env_name(field: str) -> str:
    """The environment variable of setting ``field`` (``ISO20K_<FIELD>``, or JupyterHub's own name
    for the two JupyterHub sets); a name that is no setting is refused."""
    info = Settings.model_fields[field]
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return ENV_PREFIX + field.upper()


def _parse_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


#: Settings whose whole value is secret, recognised by a word in their name.
SECRET_WORDS = ("token", "password", "secret", "api_key", "signing_key")
MASK = "***"


def mask_secret_in_url(url: str) -> str:
    """``url`` with the password (``user:PASSWORD@``) replaced by ``***``, even a password with
    unescaped ``@`` or ``/`` in it.  SQLite URLs name a file and hold no password."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.startswith("sqlite"):
        return url
    at = rest.partition("?")[0].rfind("@")
    user, colon, _password = rest[:at].partition(":")
    if at < 0 or not colon:
        return url
    return f"{scheme}://{user}:{MASK}{rest[at:]}"


def shown_value(name: str, value) -> str:
    """How setting ``name`` may be shown: secrets masked, URLs without their password."""
    text = str(value)
    if any(word in name for word in SECRET_WORDS):
        return MASK if text else text
    return mask_secret_in_url(text) if "://" in text else text


def read_settings() -> Settings:
    """The settings, read now from the environment and, where this process may read it, the
    deployment's settings file (``ISO20K_ENV_FILE``, default /etc/iso20k/iso20k.env, root only
    when it holds a password; the environment wins over the file)."""
    env_file = os.environ.get(env_name("env_file"), ENV_FILE)
    if env_file and os.access(env_file, os.R_OK):
        return Settings(_env_file=env_file)
    return Settings()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once (see :func:`read_settings`)."""
    return read_settings()


def reload_settings() -> Settings:
    """Forget cached settings (after the environment changed) and read them again."""
    get_settings.cache_clear()
    return get_settings()
