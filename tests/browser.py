"""Helpers for tests that drive real servers in Debian's headless Chromium."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


#: Hosts a page of the product may ask: the servers the tests start on this machine.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def outside_requests(urls) -> list[str]:
    """The web requests among ``urls`` that go to another host than this machine (data:, blob:
    and the like go nowhere)."""
    from urllib.parse import urlsplit

    return [u for u in urls if urlsplit(u).scheme in ("http", "https", "ws", "wss")
            and urlsplit(u).hostname not in LOCAL_HOSTS]


@contextmanager
def chromium_page(tolerated: tuple[str, ...] = ()):
    """A page in headless Chromium.  Every product page must work without the internet (a
    company's training server may have none): a test whose pages asked any other host than
    this machine fails at the end of the block, naming the addresses.  ``tolerated``: parts of
    addresses a page that is not the product's own may ask for (say why where it is used)."""
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.context.on("request", lambda request: requested.append(request.url))
            yield page
        finally:
            browser.close()
    outside = [u for u in outside_requests(requested) if not any(part in u for part in tolerated)]
    assert not outside, f"pages asked hosts on the internet: {sorted(set(outside))}"


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


TOKEN = "t0ken"


@contextmanager
def serve(cmd: list[str], ready_url: str, env: dict, log_path, cwd=None):
    """Run a server until the block ends; its output goes to ``log_path`` for diagnosing failures."""
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_http(ready_url, proc)
            yield proc
        finally:
            stop(proc)


@contextmanager
def jupyter_lab(root, tmp_path, env_updates: dict | None = None, extra_args: tuple = ()):
    """A real JupyterLab on ``root`` (also its working folder), with its own config and runtime
    folders under ``tmp_path``; yields its base URL.  Requests authenticate with ``TOKEN``."""
    import sys
    from pathlib import Path

    from iso20k.grading.environment import nbgrader_env

    port = free_port()
    env = nbgrader_env({"JUPYTER_CONFIG_DIR": str(Path(tmp_path) / "jcfg"),
                        "JUPYTER_RUNTIME_DIR": str(Path(tmp_path) / "jrun"), **(env_updates or {})})
    env.pop("JUPYTERHUB_USER", None)
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser", f"--ServerApp.port={port}",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={TOKEN}",
           "--allow-root", *extra_args]
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, f"{base}/api/status?token={TOKEN}", env, Path(tmp_path) / "lab-server.log", cwd=root):
        yield base
