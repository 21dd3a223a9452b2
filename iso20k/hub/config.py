"""The product's JupyterHub configuration, built from the settings (``iso20k settings``).

``iso20k hub`` starts JupyterHub with ``jupyterhub_config.py`` beside this file, which calls
:func:`configure`.  Everything here is a setting or a fixed decision explained in
docs/deployment.md; a company adds its own (LDAP/OAuth, Kubernetes, TLS) in the file named by
``ISO20K_HUB_EXTRA_CONFIG``, loaded last.

Who reaches what through the hub (its roles and scopes) is the table in :mod:`iso20k.hub.roles`,
which docs/deployment.md shows; nobody it does not name reaches a service: the hub refuses them
before the service sees a request.

Which operating-system account runs what (docs/deployment.md, "Accounts and files", the table in
:mod:`iso20k.hub.permissions`): only the hub and its proxy run as root; the records service as
``ISO20K_HUB_RECORDS_USER``, the dashboard and the verification page as
``ISO20K_HUB_DASHBOARD_USER``, the formgrader as ``ISO20K_HUB_GRADER_USER``; each service keeps
its runtime files in a folder of its own account that the hub makes fresh at every start.
"""

from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path

from ..grading.config import COURSE_ID, EXCHANGE_FACTORY, QUARANTINE
from ..lab_settings import LabLaunch, write_learner_lab_config
from ..launch import AUDIT_EXTENSION
from ..private_paths import (UntrustedPathError, fresh_owned_dir, lay_out_dir, open_dir_without_following,
                             own_tree_without_following, remove_without_following)
from ..settings import GRADERS_GROUP, Settings, env_name, read_settings
from .roles import (DASHBOARD, DASHBOARD_GROUPS, FORMGRADER, RECORDS, REMINDERS, ROSTER_SYNC,  # noqa: F401
                    ROSTER_SYNC_SCOPES, SERVER_TOKEN_SCOPES, VERIFY, load_roles)
from .spawn import make_pre_spawn_hook
from .tokens import service_token

#: Every Jupyter server the hub starts (learners' and the formgrader; the dashboard's Voila: see
#: iso20k.dashboard.kernel_owners) talks to its kernels over
#: Unix sockets beside the connection file (in the account's private runtime folder), never over
#: TCP on 127.0.0.1: a kernel's IOPub channel is a ZeroMQ PUB socket that anyone who connects to
#: receives (messages are signed, not encrypted), so any local account read every cell and output
#: of another's kernel (found by tests/test_hub_red_team.py).  On the command line: no config
#: file overrides it.
KERNELS_OVER_UNIX_SOCKETS = "--KernelManager.transport=ipc"


def _proxy_command() -> list[str]:
    """Debian's configurable-http-proxy.  Its modules live in /usr/share/nodejs, which a Node.js
    not built by Debian does not search, so the path is given explicitly."""
    found = shutil.which("configurable-http-proxy") or "/usr/bin/configurable-http-proxy"
    node_path = ":".join(p for p in ("/usr/share/nodejs", "/usr/lib/nodejs") if os.path.isdir(p))
    return ["/usr/bin/env", f"NODE_PATH={node_path}", found] if node_path else [found]


def _service_url(host: str, port: int) -> str:
    return f"http://{host}:{port}"


# Each service is reached by its configured host name (127.0.0.1 on one server, its Service name
# in a cluster) and port; nothing here hard-wires an address.
def records_url(settings: Settings) -> str:
    return _service_url(settings.hub_records_host, settings.hub_records_port)


def verify_url(settings: Settings) -> str:
    return _service_url(settings.hub_verify_host, settings.hub_verify_port)


def formgrader_url(settings: Settings) -> str:
    return _service_url(settings.hub_formgrader_host, settings.hub_formgrader_port)


def dashboard_url(settings: Settings) -> str:
    return _service_url(settings.hub_dashboard_host, settings.hub_dashboard_port)


def service_bind_address(settings: Settings, url) -> str:
    """The address a hub service listens on: ISO20K_HUB_SERVICES_BIND_IP, else its URL's host."""
    return settings.hub_services_bind_ip or url.hostname or "127.0.0.1"


#: Settings that reach the progress store (or the hub's database); each service gets at most its own.
STORE_SETTINGS = tuple(env_name(f) for f in ("db_url", "db_admin_url", "hub_db_url", "hub_records_db_url",
                                              "hub_dashboard_db_url"))


def service_environment(settings: Settings, runtime_dir: Path | None = None, db_url: str | None = None) -> dict[str, str]:
    """The settings a hub service needs, passed in its environment (never on its command line):
    every setting but the store URLs, and ``db_url`` as the service's ISO20K_DB_URL when given
    (without one, the SQLite store in the data folder); ``runtime_dir``: the service's own
    private runtime folder (see :func:`runtime_dir`)."""
    env = {k: v for k, v in settings.environment().items() if k not in STORE_SETTINGS}
    if db_url:
        env[env_name("db_url")] = db_url
    env.update({"LANG": "C.UTF-8", "PATH": f"{settings.hub_python.parent}:/usr/bin:/bin"})
    env.pop(env_name("runtime_dir"), None)
    if runtime_dir is not None:
        # Jupyter's and IPython's per-user folders too: never the account's home
        env.update({env_name("runtime_dir"): str(runtime_dir), "HOME": str(runtime_dir),
                    "JUPYTER_RUNTIME_DIR": str(runtime_dir / "jupyter-runtime"),
                    "JUPYTER_CONFIG_DIR": str(runtime_dir / "jupyter-config"),
                    "JUPYTER_DATA_DIR": str(runtime_dir / "jupyter-data"),
                    "IPYTHONDIR": str(runtime_dir / "ipython")})
    return env


def records_environment(settings: Settings, runtime_dir: Path | None = None) -> dict[str, str]:
    """The records service, the trail writer: the store as its own role (PostgreSQL)."""
    return service_environment(settings, runtime_dir, settings.hub_records_db_url or settings.db_url)


def dashboard_environment(settings: Settings, runtime_dir: Path | None = None) -> dict[str, str]:
    """The dashboard and the verification page: the store as the SELECT-only role (PostgreSQL)."""
    return service_environment(settings, runtime_dir, settings.hub_dashboard_db_url or settings.db_url)


def trail_url(settings: Settings) -> str:
    return records_url(settings) + f"/services/{RECORDS}/"


def grader_environment(settings: Settings) -> dict[str, str]:
    """The environment of the trainers' formgrader (it opens on the formgrader page; nbgrader
    reads the course's nbgrader_config.py from its working folder, the course folder).  No
    progress-store URL or password: grade changes go to the trail writer (ISO20K_TRAIL_URL) with
    the service's hub token and the signed-in trainer's."""
    return {**service_environment(settings), "JUPYTERHUB_DEFAULT_URL": "/formgrader",
            env_name("trail_url"): trail_url(settings),
            "PATH": f"{settings.hub_python.parent}:/usr/local/bin:/usr/bin:/bin"}


def prepare_store(settings: Settings) -> None:
    """PostgreSQL with service roles: bring the schema up to date as the tables' owner (the
    services' roles may not change it) and give the roles their rights again (after an upgrade
    added tables).  The roles themselves are made once by 'iso20k store-roles'."""
    if not (settings.db_url or "").startswith("postgresql"):
        return
    if not (settings.hub_records_db_url or settings.hub_dashboard_db_url):
        return
    from sqlalchemy.engine import make_url

    from ..store.engine import make_engine
    from ..store.migrations import migrate
    from ..store.roles import grant_service_roles

    engine = make_engine(settings.db_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    try:
        grant_service_roles(settings.db_url, settings.hub_records_db_url and make_url(settings.hub_records_db_url).username,
                            settings.hub_dashboard_db_url and make_url(settings.hub_dashboard_db_url).username)
    except Exception as exc:  # noqa: BLE001 - the message says what to do
        raise HubConfigError(f"the progress store's service roles could not be given their rights ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''}); run 'iso20k store-roles' as the "
                             "tables' owner first (docs/deployment.md)") from None


def learner_environment(settings: Settings, learner_config_dir: Path) -> dict[str, str]:
    """The environment of every learner's server: where the records are, the learner config."""
    return {env_name("records_url"): records_url(settings) + f"/services/{RECORDS}/",
            env_name("language"): settings.language,
            "JUPYTER_CONFIG_PATH": str(learner_config_dir),
            "PATH": f"{settings.hub_python.parent}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8"}


def write_learner_config(settings: Settings, folder: Path) -> LabLaunch:
    """Jupyter configuration every learner's server reads (readable by all, writable by root):
    the learner JupyterLab of :mod:`iso20k.lab_settings` (no news, no nbgrader authoring or
    grading), and nbgrader's exchange for the Assignment List."""
    import json

    launch = write_learner_lab_config(folder)
    (launch.folder / "nbgrader_config.json").write_text(json.dumps({
        "CourseDirectory": {"course_id": COURSE_ID},
        "Exchange": {"root": str(settings.exchange_dir), "path_includes_course": True},
        # hand-ins 0750/0640 for the grader account's group only (iso20k.grading.exchange)
        "ExchangeFactory": EXCHANGE_FACTORY,
    }, indent=1))
    for path in [launch.folder, *launch.folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return launch


class HubConfigError(ValueError):
    """A setting the hub cannot start with; the message says which and what to do."""


def check_settings(settings: Settings) -> None:
    course = Path(settings.course_root).resolve()
    if not settings.exchange_dir:
        raise HubConfigError("ISO20K_EXCHANGE_DIR is empty: the hub needs an nbgrader exchange outside the "
                             "course folder, e.g. ISO20K_EXCHANGE_DIR=/srv/nbgrader/exchange")
    if Path(settings.exchange_dir).resolve().is_relative_to(course):
        raise HubConfigError(f"ISO20K_EXCHANGE_DIR ({settings.exchange_dir}) is inside the course folder "
                             f"({course}), which learners may not enter: choose a folder outside it")
    if not Path(settings.hub_python).exists():
        raise HubConfigError(f"ISO20K_HUB_PYTHON ({settings.hub_python}) does not exist: install the course "
                             "into an environment every employee can read (see docs/deployment.md)")


def _account(name: str, setting: str, runs: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise HubConfigError(f"{setting}={name}: there is no operating-system account of that name, and {runs} "
                             f"runs as it (never as root); create it (scripts/deploy-hub.sh does: useradd "
                             f"--system --no-create-home --shell /usr/sbin/nologin {name}) or name another "
                             f"account in {setting}") from None


def records_account(settings: Settings) -> pwd.struct_passwd:
    """The records service's account (it owns the data folder); it must exist, not be root, and
    be a member of the dashboard account's group, which may read the course folder (a learner's
    *My training* shows their assessment results from the gradebook)."""
    import grp

    entry = _account(settings.hub_records_user, env_name("hub_records_user"), "the records service")
    _not_root(entry, env_name("hub_records_user"))
    dashboard = dashboard_account(settings)
    group = grp.getgrgid(dashboard.pw_gid)
    if entry.pw_gid != dashboard.pw_gid and entry.pw_name not in group.gr_mem:
        raise HubConfigError(f"ISO20K_HUB_RECORDS_USER={entry.pw_name} must be in the group {group.gr_name} (the "
                             f"dashboard account's, which reads the course's results): run 'usermod -a -G "
                             f"{group.gr_name} {entry.pw_name}' (scripts/deploy-hub.sh does)")
    return entry


def dashboard_account(settings: Settings) -> pwd.struct_passwd:
    """The account of the dashboard and the verification page; it must exist and not be root."""
    entry = _account(settings.hub_dashboard_user, env_name("hub_dashboard_user"),
                     "the dashboard (Voila) and the certificate verification page")
    _not_root(entry, env_name("hub_dashboard_user"))
    return entry


def _not_root(entry: pwd.struct_passwd, setting: str) -> None:
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise HubConfigError(f"{setting}={entry.pw_name}: that account is root (uid or group 0); a service "
                             "account must be an unprivileged account of its own")


def grader_account(settings: Settings) -> pwd.struct_passwd:
    """The grader account, checked: it exists and owns the course folder, which nobody else may
    enter (answer keys, hidden tests, the gradebook) except the dashboard account's group, which
    may read (the dashboard shows the assessment results)."""
    name = settings.hub_grader_user
    entry = _account(name, env_name("hub_grader_user"), "the trainers' formgrader")
    course = Path(settings.course_root)
    if not course.is_dir():
        raise HubConfigError(f"ISO20K_COURSE_ROOT ({course}) is not a folder: lay out the course there "
                             "(scripts/deploy-hub.sh does)")
    info = course.stat()
    group_ok = info.st_mode & 0o070 == 0 or (info.st_mode & 0o020 == 0 and _is_dashboard_group(settings, info.st_gid))
    if info.st_uid != entry.pw_uid or info.st_mode & 0o007 or not group_ok:
        raise HubConfigError(f"the course folder {course} must belong to {name} (the trainers' formgrader "
                             f"account) and be closed to everyone else (the dashboard account's group may "
                             f"read): run 'chown -R {name}: {course}', 'chgrp {settings.hub_dashboard_user} "
                             f"{course}' and 'chmod 0750 {course}' (or 'chmod 0700 {course}')")
    return entry


def _is_dashboard_group(settings: Settings, gid: int) -> bool:
    try:
        return pwd.getpwnam(settings.hub_dashboard_user).pw_gid == gid
    except KeyError:
        return False


def prepare_state(settings: Settings) -> Path:
    """Lay out, before anything starts, every folder the hub and its services use, with the owners
    and modes of :mod:`iso20k.hub.permissions`: the hub's state folder (0711, root; learners may
    only enter its public parts) with its files root-only, each service's fresh runtime folder, the
    data folder (the records account's), the course folder and the exchange."""
    check_settings(settings)
    grader = grader_account(settings)
    records, dashboard = records_account(settings), dashboard_account(settings)
    state = Path(settings.hub_state_dir)
    state.mkdir(parents=True, exist_ok=True)
    if state.is_symlink() or state.stat().st_uid != 0 and os.geteuid() == 0:
        raise HubConfigError(f"ISO20K_HUB_STATE_DIR ({state}) must be a folder of root, not a link or another's")
    state.chmod(0o711)
    close_state_files(state)
    if os.geteuid() == 0:
        runtime = state / "run"
        runtime.mkdir(mode=0o711, exist_ok=True)
        os.lchown(runtime, 0, 0)
        runtime.chmod(0o711)
        for service, account in ((RECORDS, records), (DASHBOARD, dashboard), (REMINDERS, records)):
            fresh_owned_dir(runtime / service, account.pw_uid, account.pw_gid, 0o700)
        own_data_folder(Path(settings.data_dir), records.pw_uid, dashboard.pw_gid)
        close_home(grader)
    prepare_exchange(Path(settings.exchange_dir), grader)
    prepare_keyed_banks(settings)
    return state


def close_home(account: pwd.struct_passwd) -> None:
    """The grader account's home becomes 0700: the formgrader runs with it as HOME, so the
    trainers' IPython history, Jupyter's files and logs land there, and ``useradd --system
    --create-home`` makes it 0755 (learners read it; found by tests/test_hub_red_team.py).
    Opened without following a link; left alone unless it is a folder of that account."""
    try:
        fd = os.open(account.pw_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return  # no home (or not a folder): nothing of the account's to close
    try:
        if os.fstat(fd).st_uid == account.pw_uid:
            os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def _records_account(settings: Settings) -> tuple[int, int]:
    """uid and gid the records service runs as: its own account when the settings name one that
    exists (ISO20K_HUB_RECORDS_USER), else the hub's own user."""
    name = settings.hub_records_user
    if name:
        try:
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
        except KeyError:
            pass
    return os.geteuid(), os.getegid()


def prepare_keyed_banks(settings: Settings) -> None:
    """The question banks with the keys (ISO20K_KEYED_BANKS_DIR): the records service's alone
    (0700/0600, owned by its account), never a learners' copy; and the banks learners' servers
    read (ISO20K_BANKS_DIR, the package's) carry no answers or explanations."""
    from ..banks import BankError, load_catalog

    keyed = Path(settings.keyed_banks_dir)
    hint = ("copy the repository's assessments/ there (scripts/deploy-hub.sh does) and set "
            "ISO20K_KEYED_BANKS_DIR to a folder outside the course folder, e.g. /srv/iso20k/keyed-banks")
    if keyed.is_symlink() or not keyed.is_dir():
        raise HubConfigError(f"ISO20K_KEYED_BANKS_DIR ({keyed}) is not a folder: {hint}")
    for other, what in ((settings.course_root, "the course folder, which only the grader account may enter"),
                        (settings.exchange_dir, "nbgrader's exchange")):
        if other and keyed.resolve().is_relative_to(Path(other).resolve()):
            raise HubConfigError(f"ISO20K_KEYED_BANKS_DIR ({keyed}) is inside {what}: {hint}")
    for path in keyed.rglob("*"):  # checked again, race-free, when they are given to the records account
        if path.is_symlink():
            raise HubConfigError(f"{path} is a link: the keyed banks must be plain files; copy them again")
    try:
        catalog, learners = load_catalog(keyed), load_catalog(settings.banks_dir)
    except BankError as exc:
        raise HubConfigError(f"the question banks do not load: {exc}") from None
    if not catalog.keyed:
        raise HubConfigError(f"ISO20K_KEYED_BANKS_DIR ({keyed}) holds learners' copies without answers: {hint}")
    keyed_in_learners = sorted(q.full_id for q in learners.questions.values() if q.keyed or q.explanation)
    if keyed_in_learners:
        raise HubConfigError(
            f"the banks learners' servers read (ISO20K_BANKS_DIR, {settings.banks_dir}) carry answers "
            f"({len(keyed_in_learners)} questions, e.g. {keyed_in_learners[0]}): install the course from its "
            "built wheel (pip install iso20k-*.whl), whose banks are learners' copies, not from a checkout")
    unknown = sorted(set(learners.questions) - set(catalog.questions))
    if unknown:
        raise HubConfigError(f"the learners' banks ask {len(unknown)} question(s) the keyed banks in {keyed} do not "
                             f"have (e.g. {unknown[0]}): install the keyed banks of the same course version")
    uid, gid = _records_account(settings)
    try:
        own_tree_without_following(keyed, uid, gid, 0o700, 0o600)
    except UntrustedPathError as exc:
        raise HubConfigError(f"{exc} (the keyed banks must be plain files; copy them again)") from None


#: Files the hub writes into its state folder; made root-only before JupyterHub opens them (it
#: keeps the mode of a file that exists, and would create them world-readable otherwise).
STATE_FILES = ("jupyterhub.sqlite", "jupyterhub.pid")  # proxy.pid: see iso20k.hub.proxy


def close_state_files(state: Path) -> None:
    """Every file directly in the state folder becomes 0600 (jupyterhub.sqlite was 0644: a learner
    read every user and group from it); the hub's own files are created 0600 before it starts."""
    for name in STATE_FILES:
        fd = os.open(state / name, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        os.close(fd)
    for path in state.iterdir():
        if path.is_symlink():
            raise HubConfigError(f"{path} is a link: the hub's state folder holds no links; remove it")
        if path.is_file():
            path.chmod(0o600)


def runtime_dir(settings: Settings, service: str) -> Path:
    """The private runtime folder of hub service ``service`` (made fresh by :func:`prepare_state`)."""
    return Path(settings.hub_state_dir) / "run" / service


def own_data_folder(data: Path, records_uid: int, dashboard_gid: int) -> None:
    """The product's data folder (the SQLite store, the audit trail's anchor) belongs to the
    records account (the trail writer); the dashboard account's group reads it; nobody else,
    the grader account's group included, enters it.  Everything in it is given to the records
    account (files 0640, folders 2750); a link is refused, never followed; the runtime folder
    earlier versions kept there (``run/``, which the grader's group could write) is removed."""
    data.mkdir(parents=True, exist_ok=True)
    if data.is_symlink():
        raise HubConfigError(f"ISO20K_DATA_DIR ({data}) is a link: name the real folder")
    remove_without_following(data / "run")
    try:  # through handles opened without following links: no check-then-use race
        own_tree_without_following(data, records_uid, dashboard_gid, 0o2750, 0o640)
    except UntrustedPathError as exc:
        raise HubConfigError(str(exc)) from None


def service_umask() -> None:
    """In a hub service: files it creates are readable by its own group at most (the data
    folder's group is the dashboard account's, which reads the store), writable by nobody else."""
    os.umask(0o027)


def enter_service_account() -> None:
    """First thing in a hub service: the umask above, and, when the hub gave it one, its private
    runtime folder checked (a real folder of this account, mode 0700, on a path only root and this
    account can write) and made its home, so nothing reads per-user configuration from elsewhere."""
    service_umask()
    folder = read_settings().runtime_dir
    if folder:
        from ..private_paths import check_private_dir

        check_private_dir(folder)
        os.environ["HOME"] = str(folder)
        os.chdir(folder)


def prepare_exchange(exchange: Path, grader: pwd.struct_passwd) -> None:
    """nbgrader's exchange, laid out before any learner can touch it.  nbgrader makes the root
    world-writable (0777) on release; with the sticky bit set here first it stays 1777, so nobody
    can remove or replace another's entry.  The course's own folders exist before a learner could
    create them, owned by the grader account (nbgrader's release, collect and feedback commands
    insist on owning them): ``outbound`` 0755 (everyone fetches), ``inbound`` 3733 (everyone hands
    in, only the grader account lists or reads what others handed in, which is the grader group's
    (setgid) and 0750/0640; sticky: nobody renames or removes another's hand-in), ``feedback``
    0711 (each learner's feedback file is 0600 plus an ACL entry for that learner alone; nobody
    lists the folder), ``quarantine`` 0700 (hand-ins collect refused, for trainers only; see
    :mod:`iso20k.grading.exchange`)."""
    exchange.mkdir(parents=True, exist_ok=True)
    course = exchange / COURSE_ID
    # Every folder is opened without following a link and changed through its handle: the grader
    # account owns the course folder, so a name checked first and changed later could be swapped
    # for a link to anything root owns in between.
    me, owners = os.geteuid(), {os.geteuid(), grader.pw_uid}
    try:
        top = open_dir_without_following(exchange)
        try:
            if os.fstat(top).st_uid != me:
                raise UntrustedPathError(f"{exchange} belongs to another account: the exchange's root must be the "
                                         "hub's own folder")
            os.fchmod(top, 0o1777)
            course_fd = lay_out_dir(top, COURSE_ID, course, grader.pw_uid, grader.pw_gid, 0o755, owners)
        finally:
            os.close(top)
        try:
            for name, mode in (("outbound", 0o755), ("inbound", 0o3733), ("feedback", 0o711), (QUARANTINE, 0o700)):
                os.close(lay_out_dir(course_fd, name, course / name, grader.pw_uid, grader.pw_gid, mode, owners))
        finally:
            os.close(course_fd)
    except UntrustedPathError as exc:
        raise HubConfigError(f"{exc} (the exchange's folders must be the hub's or the grader account's)") from None
    # released feedback is readable by its learner alone through a POSIX ACL entry
    from ..grading.acl import supports_acls

    problem = supports_acls(course / "feedback", grader.pw_uid if grader.pw_uid != os.geteuid() else 65534)
    if problem:
        raise HubConfigError(f"the exchange {exchange} is on a file system without POSIX ACLs ({problem}): "
                             "learners' feedback could not be made private; put ISO20K_EXCHANGE_DIR on ext4, "
                             "xfs or btrfs (ACLs on by default) or mount with 'acl'")


def configure(c, settings: Settings) -> None:
    """Fill JupyterHub config object ``c`` for one server (the hub starts every service)."""
    state = prepare_state(settings)
    prepare_store(settings)
    c.JupyterHub.ip = settings.hub_ip
    c.JupyterHub.port = settings.hub_port
    c.JupyterHub.hub_ip = settings.hub_api_host
    c.JupyterHub.hub_port = settings.hub_api_port
    c.JupyterHub.db_url = settings.hub_db_url or f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.JupyterHub.proxy_class = "iso20k.hub.proxy.PrivateFilesProxy"
    c.ConfigurableHTTPProxy.command = _proxy_command()
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.hub_proxy_api_port}"
    c.ConfigurableHTTPProxy.auth_token = service_token(state, "proxy")

    configure_sign_in(c, settings)
    # One server per employee, as their own operating-system user, on the course in their home.
    c.JupyterHub.spawner_class = settings.hub_spawner
    c.Spawner.cmd = [str(settings.hub_python.with_name("jupyterhub-singleuser"))]
    c.Spawner.notebook_dir = "~"
    c.Spawner.default_url = learners_start_page(settings)
    learner_lab = write_learner_config(settings, state / "learner-config")
    c.Spawner.environment = learner_environment(settings, learner_lab.folder)
    c.Spawner.args = [*learner_lab.args, KERNELS_OVER_UNIX_SOCKETS]
    c.Spawner.pre_spawn_hook = make_pre_spawn_hook(settings)
    c.Spawner.server_token_scopes = list(SERVER_TOKEN_SCOPES)
    c.JupyterHub.services = hub_services(settings, state)
    configure_roles(c, settings)


def learners_start_page(settings: Settings) -> str:
    return f"/lab/tree/{settings.hub_home_course_folder}/START_HERE.ipynb"


def configure_sign_in(c, settings: Settings) -> None:
    """Login: operating-system accounts by default; only users the roster put on the hub."""
    c.JupyterHub.authenticator_class = settings.hub_authenticator
    c.Authenticator.allow_all = False
    c.Authenticator.allow_existing_users = True
    c.LocalAuthenticator.create_system_users = settings.hub_create_system_users
    c.Authenticator.admin_users = {n.strip().lower() for n in settings.hub_admins.split(",") if n.strip()}


def configure_roles(c, settings: Settings) -> None:
    """Who reaches what (iso20k.hub.roles), then the company's own configuration file, last."""
    c.JupyterHub.load_groups = {GRADERS_GROUP: {"users": [settings.hub_grader_user]},
                                **{g: {} for g in DASHBOARD_GROUPS if g != GRADERS_GROUP}}
    c.JupyterHub.load_roles = load_roles()  # who reaches what: iso20k.hub.roles
    if settings.hub_extra_config:
        c.merge(_load_config_file(settings.hub_extra_config))


def hub_services(settings: Settings, state: Path) -> list[dict]:
    """The product's hub services.  On one server the hub starts each (command, account, runtime
    folder, environment); with ``hub_services_managed`` off (a cluster) they run on their own and
    the hub only knows their address and token (:func:`external_service_token`)."""
    def token(service: str) -> str:
        return service_token(state, service) if settings.hub_services_managed else external_service_token(settings, service)

    services = [
        # Each service as its own unprivileged account, in its own fresh runtime folder.
        {"name": RECORDS, "url": records_url(settings), "display": False,
         "user": settings.hub_records_user, "cwd": str(runtime_dir(settings, RECORDS)),
         "command": [str(settings.hub_python), "-m", "iso20k.hub.records_service"],
         "environment": records_environment(settings, runtime_dir(settings, RECORDS))},
        {"name": ROSTER_SYNC, "api_token": token(ROSTER_SYNC), "display": False},
        # nbgrader's formgrader for several graders: a shared server named after the course, run
        # as the grader account in the course folder; trainers sign in through the hub.
        # its hub token (JUPYTERHUB_API_TOKEN in its environment) is what the trail writer accepts
        # grade changes with, together with the signed-in trainer's own token
        {"name": FORMGRADER, "url": formgrader_url(settings), "display": True, "oauth_no_confirm": True,
         "api_token": token(FORMGRADER),
         "user": settings.hub_grader_user, "cwd": str(settings.course_root),
         "command": [str(settings.hub_python.with_name("jupyterhub-singleuser")),
                     "--ServerApp.identity_provider_class=iso20k.hub.grader_identity.TrainerIdentityProvider",
                     # manual grades go into the audit trail under the trainer who gave them
                     f"--ServerApp.jpserver_extensions={AUDIT_EXTENSION}=True", KERNELS_OVER_UNIX_SOCKETS],
         "environment": grader_environment(settings)},
        # The management dashboard: Voila behind the hub's login (see iso20k.hub.dashboard_service).
        {"name": DASHBOARD, "url": dashboard_url(settings), "display": True, "oauth_no_confirm": True,
         "user": settings.hub_dashboard_user, "cwd": str(runtime_dir(settings, DASHBOARD)),
         "command": [str(settings.hub_python), "-m", "iso20k.hub.dashboard_service"],
         "environment": dashboard_environment(settings, runtime_dir(settings, DASHBOARD))},
        # The certificate verification page, public (anyone holding a certificate checks its code),
        # as the dashboard account, reading the store only (see iso20k.hub.verify_service).
        {"name": VERIFY, "url": verify_url(settings), "display": False,
         "user": settings.hub_dashboard_user, "cwd": "/",
         "command": [str(settings.hub_python), "-m", "iso20k.hub.verify_service"],
         "environment": dashboard_environment(settings)},
        # The daily reminders (iso20k.hub.reminders_service): no address, no hub token; as the records
        # account, the trail writer, with the store as its role (it adds trail entries and reminders).
        {"name": REMINDERS, "display": False,
         "user": settings.hub_records_user, "cwd": str(runtime_dir(settings, REMINDERS)),
         "command": [str(settings.hub_python), "-m", "iso20k.hub.reminders_service"],
         "environment": records_environment(settings, runtime_dir(settings, REMINDERS))},
    ]
    if settings.hub_services_managed:
        return services
    # on their own: the hub knows each by its address and its token (which its deployment holds too);
    # the reminders need neither (they run beside the records service: docs/reminders.md)
    return [{**{k: v for k, v in service.items() if k not in ("user", "cwd", "command", "environment")},
             "api_token": token(service["name"])} for service in services if service["name"] != REMINDERS]


def external_service_token(settings: Settings, service: str) -> str:
    """The hub API token of a service that runs on its own: ``<service>.token`` in
    ISO20K_HUB_SERVICE_TOKENS_DIR (in a cluster, a Secret mounted as files), which the service's
    own deployment reads as JUPYTERHUB_API_TOKEN; never in a setting or on a command line."""
    from .tokens import read_service_token

    folder = settings.hub_service_tokens_dir or settings.hub_state_dir
    try:
        return read_service_token(Path(folder), service)
    except (FileNotFoundError, PermissionError) as exc:
        raise HubConfigError(f"the {service} service runs on its own (ISO20K_HUB_SERVICES_MANAGED=false) but its "
                             f"token could not be read: {exc}. Put it in ISO20K_HUB_SERVICE_TOKENS_DIR as "
                             f"{service}.token (deploy/kubernetes: the iso20k-service-tokens Secret)") from None


def _load_config_file(path: Path):
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(path)
    return PyFileConfigLoader(path.name, str(path.parent)).load_config()
