"""How ``iso20k dashboard`` runs Voila: the standalone app (whose kernels accept only widget
messages, unlike the Jupyter-server extension), preheated kernels, idle kernels culled, only the
widget extension loaded, no code shown, no asset from the internet, a token off 127.0.0.1."""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from ..settings import Settings

NOTEBOOK = "training-dashboard.ipynb"  # in the ISO20K_DASHBOARD_DIR folder
TEMPLATES = "jupyter"  # in the same folder: voila/templates/iso20k, the page without CDN links
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: The JupyterLab extensions the page needs (the widgets, and Voila's own widget manager); every
#: other installed one is denied: nbgrader's and notebook's throw errors in Voila.
NEEDED_EXTENSIONS = ("@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager")


class DashboardSetupError(ValueError):
    pass


@dataclass(frozen=True)
class DashboardServer:
    argv: list[str]
    env: dict[str, str]
    url: str
    token: str


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


def _voila() -> str:
    local = Path(sys.executable).with_name("voila")
    return str(local) if local.exists() else "voila"


def templates_dir(settings: Settings) -> Path:
    """The Jupyter data folder holding the dashboard's Voila template."""
    return Path(settings.dashboard_dir) / TEMPLATES


def dashboard_server(settings: Settings, notebook: Path | None = None, port: int | None = None,
                     ip: str | None = None, token: str | None = None) -> DashboardServer:
    """The command line and environment that serve ``notebook`` (default: the dashboard notebook
    in ISO20K_DASHBOARD_DIR) as the read-only dashboard."""
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
    cull = settings.dashboard_cull_idle_s
    argv = [
        _voila(), str(notebook),
        f"--Voila.ip={ip}", f"--Voila.port={port}", "--Voila.open_browser=False",
        f"--Voila.token={token}" if token else "--Voila.token=",
        "--Voila.kernel_websocket_connection_class="
        "iso20k.dashboard.kernel_connection.DashboardKernelConnection",
        "--VoilaConfiguration.template=iso20k",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.preheat_kernel=True",
        f"--VoilaConfiguration.default_pool_size={settings.dashboard_pool_size}",
        f"--VoilaKernelManager.fill_delay={settings.dashboard_refill_delay_s}",
        *(f"--VoilaConfiguration.extension_denylist={name}" for name in denied_extensions()),
        f"--MappingKernelManager.cull_idle_timeout={cull}",
        f"--MappingKernelManager.cull_interval={max(2, min(60, cull // 4))}",
        "--MappingKernelManager.cull_connected=False",
    ]
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(templates_dir(settings)), env.get("JUPYTER_PATH", "")) if p)
    # The page's kernel reads the same settings as this process.
    env.update({name: value for name, value in settings.environment().items() if value})
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
    shown_ip = "127.0.0.1" if ip in ("0.0.0.0", "::") else ip
    url = f"http://{shown_ip}:{port}/" + (f"?token={token}" if token else "")
    return DashboardServer(argv, env, url, token)
