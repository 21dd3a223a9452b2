"""A bounded dashboard: more viewers than ISO20K_DASHBOARD_MAX_KERNELS. A real ``iso20k dashboard``
(Voila) on a demo company, real pages in headless Chromium: the viewers beyond the cap get the
bilingual busy page (503), which retries by itself and becomes the dashboard when a page closes or
an idle one is culled; the dashboard's kernels never outnumber the cap (plus the prepared one),
and their memory stays within the budget the setting promises."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS
from dashboard_world import dashboard, make_world

pytestmark = pytest.mark.slow
CAP, POOL = 2, 1
#: What the setting's help promises per kernel (about 120 MB with a company's record), with room.
KERNEL_BUDGET_MB = 250


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid:
            found.append(int(entry))
    return found


def _kernels(server_pid: int) -> dict[int, int]:
    """The dashboard's kernel processes (pid -> resident MB) below the server's process tree."""
    kernels, todo = {}, [server_pid]
    while todo:
        pid = todo.pop()
        for child in _children(pid):
            todo.append(child)
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
                rss = int(Path(f"/proc/{child}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except OSError:
                continue
            if b"ipykernel" in cmdline:
                kernels[child] = rss // 2**20
        # the dashboard command starts Voila as a child: follow the whole tree
    return kernels


class Watch(threading.Thread):
    """Samples the dashboard's kernels every 0.2 s while the test runs."""

    def __init__(self, server_pid: int):
        super().__init__(daemon=True)
        self.server_pid, self.most, self.most_mb, self.stopped = server_pid, 0, 0, threading.Event()

    def run(self):
        while not self.stopped.is_set():
            kernels = _kernels(self.server_pid)
            self.most = max(self.most, len(kernels))
            self.most_mb = max(self.most_mb, sum(kernels.values()))
            time.sleep(0.2)


def _is_dashboard(page) -> bool:
    return page.locator("table.iso20k-table[data-view=departments]").count() > 0


def test_viewers_beyond_the_cap_wait_on_a_busy_page_and_all_get_the_dashboard(tmp_path):
    from playwright.sync_api import sync_playwright

    settings, env, _ = make_world(tmp_path / "w", employees=30, departments=3, autograde_count=0)
    env = {**env, "ISO20K_DASHBOARD_MAX_KERNELS": str(CAP), "ISO20K_DASHBOARD_POOL_SIZE": str(POOL),
           "ISO20K_DASHBOARD_BUSY_RETRY_S": "1", "ISO20K_DASHBOARD_CULL_IDLE_S": "40"}
    log = tmp_path / "voila.log"
    with dashboard(env, log) as url, sync_playwright() as pw:
        watch = Watch(_server_pid(url))
        watch.start()
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            served = []
            for _ in range(CAP):
                page = context.new_page()
                response = page.goto(url)
                assert response.status == 200
                page.wait_for_selector("table.iso20k-table[data-view=departments]", timeout=90_000)
                served.append(page)
            # two more viewers: the busy page, in both languages, each marked with its language
            waiting = []
            for _ in range(2):
                page = context.new_page()
                response = page.goto(url)
                assert response.status == 503 and response.headers["retry-after"] == "1"
                assert page.locator("section[lang=zh-Hans] h1").inner_text() == "看板繁忙，请稍候"
                assert page.locator("section[lang=en] h1").inner_text() == "The dashboard is busy"
                assert "1 秒" in page.locator("section[lang=zh-Hans] p").inner_text()
                assert not _is_dashboard(page)
                waiting.append(page)
            time.sleep(2)  # they retry every second and stay busy while the cap is taken
            assert not any(_is_dashboard(p) for p in waiting)
            assert "busy" in log.read_text()
            # a viewer closes their tab: one of the waiting pages becomes the dashboard by itself
            served.pop(0).close(run_before_unload=True)
            _wait_until(lambda: sum(_is_dashboard(p) for p in waiting) == 1, 60, "a freed page taken by a waiting viewer")
            # nobody closes anything now: the idle pages are culled (ISO20K_DASHBOARD_CULL_IDLE_S) and the
            # last waiting viewer gets the dashboard too
            _wait_until(lambda: all(_is_dashboard(p) for p in waiting), 180, "every viewer served in the end")
            for page in waiting:
                rows = page.locator("table.iso20k-table[data-view=departments] tr").count()
                assert rows >= 3 + 2  # header, three departments, total
        finally:
            browser.close()
            watch.stopped.set()
            watch.join()
    print(f"\nmost dashboard kernels at once: {watch.most} (cap {CAP} + prepared {POOL}); "
          f"their memory at most {watch.most_mb} MB")
    assert 0 < watch.most <= CAP + POOL
    assert watch.most_mb <= (CAP + POOL) * KERNEL_BUDGET_MB


def _server_pid(url: str) -> int:
    """The pid of the process listening on the dashboard's port."""
    import socket

    port = int(url.rstrip("/").rsplit(":", 1)[1])
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
            inode = fields[9]
    assert inode, socket.gethostname()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return int(pid)
        except OSError:
            continue
    raise AssertionError("no process listens on the dashboard's port")


def _wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout} s: {what}")
