"""How ``iso20k dashboard`` runs Voila: the standalone app (whose kernels accept only widget
messages, unlike the Jupyter-server extension), preheated kernels, idle kernels culled, only the
widget extension loaded, no code shown, no asset from the internet, a token off 127.0.0.1."""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from ..settings import Settings, env_name

NOTEBOOK = "training-dashboard.ipynb"  # in the ISO20K_DASHBOARD_DIR folder
TEMPLATES = "jupyter"  # in the same folder: voila/templates/iso20k, the page without CDN links
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: The JupyterLab extensions the page needs (the widgets, and Voila's own widget manager); every
#: other installed one is denied: nbgrader's and notebook's throw errors in Voila.
NEEDED_EXTENSIONS = ("@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager")
#: The page's ``<html lang>`` per course language ("zh-Hans": Simplified Chinese glyphs, whatever
#: the browser's own language); the page's template sets it, and follows the language switch.
HTML_LANG = {"en": "en", "zh": "zh-Hans"}


class DashboardSetupError(ValueError):
    pass


@dataclass(frozen=True)
class DashboardServer:
    argv: list[str]
    env: dict[str, str]
    url: str  # never with the token in it
    token: str
    config_file: Path  # voila.json with the token and the identity provider, mode 0600


def installed_lab_extensions() -> list[str]:
    """Names of the prebuilt JupyterLab extensions installed where Voila looks for them."""
    from jupyter_core.paths import jupyter_path

    names = set()
    for base in map(Path, jupyter_path("labextensions")):
        for package in list(base.glob("*/package.json")) + list(base.glob("@*/*/package.json")):
            names.add(package.parent.relative_to(base).as_posix())
    return sorted(names)


def denied_extensions() -> list[str]:
    return [name for name in installed_lab_extensions() if not name.startswith(NEEDED_EXTENSIONS)]


def _voila() -> list[str]:
    """The dashboard's Voila (:mod:`.voila_app`: Voila with its kernels bound to their viewers)."""
    return [sys.executable, "-m", "iso20k.dashboard.voila_app"]


def templates_dir(settings: Settings) -> Path:
    """The Jupyter data folder holding the dashboard's Voila template."""
    return Path(settings.dashboard_dir) / TEMPLATES


def private_config_dir(settings: Settings, port: int) -> Path:
    """A fresh folder only this account can enter, for the server's config file (which holds the
    token) and Jupyter's own runtime and config folders: made with ``mkdir`` at every start (never
    an existing folder, whoever made it), in the private runtime folder (``ISO20K_RUNTIME_DIR``,
    default ``<data_dir>/run``), every component of whose path only root or this account can
    write (:mod:`iso20k.private_paths`).  Older folders of the same port are removed."""
    from ..private_paths import make_private_dir, private_runtime_root, remove_without_following

    root = private_runtime_root(Path(settings.data_dir), settings.runtime_dir)
    prefix = f"dashboard-{port}-"
    for old in root.glob(prefix + "*"):
        if old.lstat().st_uid == os.geteuid():
            remove_without_following(old)
    return make_private_dir(root, prefix)


def kernels_dir(config_dir: Path) -> Path:
    """The folder Voila makes its connection-file folder in (``voila_<random>``, 0700): made fresh
    (``mkdir`` 0700, never an existing folder or link) inside the fresh private config folder, so
    only this account can enter it."""
    import stat

    folder = config_dir / "kernels"
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        raise DashboardSetupError(f"{folder} already exists; refusing to keep kernels' keys in a folder "
                                  "this start did not make") from None
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise DashboardSetupError(f"{folder} is not a private folder of this account")
    return folder


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by this user only (created 0600, never wider)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def dashboard_server(settings: Settings, notebook: Path | None = None, port: int | None = None,
                     ip: str | None = None, token: str | None = None, base_url: str = "/") -> DashboardServer:
    """The command line, environment and private config file that serve ``notebook`` as the
    read-only dashboard.  The token is only in the config file (mode 0600), never on the command
    line, in the environment of the page's kernel, or in the URL this returns."""
    from .access import HEADER, KEY_ENV

    notebook = Path(notebook) if notebook else Path(settings.dashboard_dir) / NOTEBOOK
    ip = ip or settings.dashboard_ip
    port = port or settings.dashboard_port
    token = token if token is not None else (settings.dashboard_token or "")
    if ip not in LOOPBACK and not token:
        token = secrets.token_urlsafe(24)  # never on the network without one
    if not Path(notebook).is_file():
        raise DashboardSetupError(f"The dashboard notebook {notebook} is missing; set ISO20K_DASHBOARD_DIR "
                                  "to the folder holding it, or reinstall iso20k ('git checkout dashboard/' "
                                  "in a checkout).")
    provider = identity_provider_class(settings.dashboard_identity_provider)
    if ip not in LOOPBACK and getattr(provider, "one_operator", False) and not token:
        raise DashboardSetupError("refusing to serve the dashboard off 127.0.0.1 without a token")
    cull = settings.dashboard_cull_idle_s
    config = {
        "Voila": {"ip": ip, "port": port, "open_browser": False, "token": token, "base_url": base_url,
                  "identity_provider_class": settings.dashboard_identity_provider,
                  "kernel_websocket_connection_class":
                      "iso20k.dashboard.kernel_connection.DashboardKernelConnection",
                  # a kernel is used only by the viewer it was served to (iso20k.dashboard.kernel_owners)
                  "authorizer_class": "iso20k.dashboard.kernel_owners.OwnedKernelsAuthorizer"},
        "VoilaConfiguration": {
            "template": "iso20k", "strip_sources": True, "show_tracebacks": False,
            # for the template (dashboard/jupyter/voila/templates/iso20k): the page's language
            "resources": {"iso20k": {"html_lang": HTML_LANG[settings.language], "html_langs": HTML_LANG}},
            "preheat_kernel": True, "default_pool_size": settings.dashboard_pool_size,
            "extension_denylist": denied_extensions(),
            # The only request header a page's kernel gets: the signed viewer the server set.
            "http_header_envs": [HEADER],
            # connection files named without the kernel's id (not on any command line)
            "multi_kernel_manager_class": "iso20k.dashboard.kernel_owners.PrivateConnectionFiles",
        },
        "VoilaKernelManager": {"fill_delay": settings.dashboard_refill_delay_s},
        "MappingKernelManager": {"cull_idle_timeout": cull, "cull_interval": max(2, min(60, cull // 4)),
                                 "cull_connected": settings.dashboard_cull_open_pages},
    }
    config_dir = private_config_dir(settings, port)
    config["Voila"]["connection_dir_root"] = str(kernels_dir(config_dir))
    config_file = config_dir / "voila.json"
    write_private(config_file, json.dumps(config, indent=1))
    argv = [*_voila(), str(notebook)]
    env = dict(os.environ)
    env.pop(env_name("dashboard_token"), None)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(templates_dir(settings)), env.get("JUPYTER_PATH", "")) if p)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(config_dir), env.get("JUPYTER_CONFIG_PATH", "")) if p)
    # Jupyter's and IPython's per-user folders (config, data, runtime, IPython's startup scripts)
    # in the fresh private folder too, never a home or a folder another account could fill.
    for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                      ("IPYTHONDIR", "ipython")):
        (config_dir / sub).mkdir(mode=0o700)
        env[name] = str(config_dir / sub)
    check_code_paths(env, notebook)
    # The page's kernel reads the same settings as this process (but never the token).
    env.update({name: value for name, value in settings.environment().items()
                if value and name != env_name("dashboard_token")})
    env[KEY_ENV] = secrets.token_urlsafe(32)  # signs who is looking; fresh at every start
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
    shown_ip = "127.0.0.1" if ip in ("0.0.0.0", "::") else ip
    url = f"http://{shown_ip}:{port}{base_url}"
    return DashboardServer(argv, env, url, token, config_file)


def check_code_paths(env: dict[str, str], notebook: Path) -> None:
    """Voila reads configuration, templates and code from these folders at start: each must be
    writable only by root and this account (see :mod:`iso20k.private_paths`)."""
    from ..private_paths import require_trusted

    folders = [("the dashboard notebook's folder", Path(notebook).parent),
               ("the Python that runs Voila", Path(sys.executable).parent), ("sys.prefix", Path(sys.prefix))]
    for name in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR",
                 "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        folders += [(name, Path(p)) for p in env.get(name, "").split(os.pathsep) if p]
    from ..launch import jupyter_code_paths

    for what, folder in folders + jupyter_code_paths(env):
        require_trusted(folder, f"{what} for the dashboard")


def identity_provider_class(path: str):
    """The IdentityProvider class named by ``ISO20K_DASHBOARD_IDENTITY_PROVIDER``, checked."""
    from importlib import import_module

    from .access import ViewerStamp

    module, _, name = path.rpartition(".")
    try:
        cls = getattr(import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise DashboardSetupError(f"ISO20K_DASHBOARD_IDENTITY_PROVIDER={path}: cannot import it ({exc})") from exc
    if not (isinstance(cls, type) and issubclass(cls, ViewerStamp)):
        raise DashboardSetupError(f"ISO20K_DASHBOARD_IDENTITY_PROVIDER={path} does not mix in "
                                  "iso20k.dashboard.access.ViewerStamp, so pages could not learn who is looking")
    return cls
