"""A jupyter_client kernel manager whose kernels run in the grading sandbox (``sandbox.py``).

nbgrader's Execute (an nbclient NotebookClient) starts every kernel through its configurable
``kernel_manager_class``; the grading worker sets it to this class.  Each kernel gets a fresh
run folder for its connection file and ZMQ IPC sockets (no network needed), interrupts go
through the control channel (a signal would reach bubblewrap, not the kernel), and the kernel's
working folder (nbclient's ``cwd``: the submission's working copy) is the only other folder it
may write.  bubblewrap itself is started with an almost empty environment (``BWRAP_ENV``)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, Unicode

from .sandbox import BWRAP_ENV, SandboxPolicy, bwrap_command, prepare_dir


MAX_RUN_DIR = 90


class SandboxedKernelManager(AsyncKernelManager):
    bwrap = Unicode("bwrap", help="bubblewrap executable").tag(config=True)
    sandbox_uid = Integer(61000, help="User id the kernel runs as when the grader is root").tag(config=True)
    process_limit = Integer(64, help="Processes and threads the kernel may have").tag(config=True)
    disk_mb = Integer(100, help="Size of the kernel's /tmp and of the largest file it may write (MiB)").tag(config=True)

    run_dir: Path | None = None

    @property
    def policy(self) -> SandboxPolicy:
        return SandboxPolicy(self.bwrap, self.sandbox_uid, self.process_limit, self.disk_mb)

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec

    async def _async_pre_start_kernel(self, **kw):
        if self.run_dir is None:
            self.run_dir = Path(tempfile.mkdtemp(prefix="iso20k-kernel-"))
            if len(str(self.run_dir)) > MAX_RUN_DIR:  # IPC socket paths are limited to 107 bytes
                shutil.rmtree(self.run_dir)
                self.run_dir = Path(tempfile.mkdtemp(prefix="iso20k-kernel-", dir="/tmp"))
            (self.run_dir / "home").mkdir()
            prepare_dir(self.run_dir, self.policy)
        self.transport = "ipc"
        self.ip = str(self.run_dir / "kernel")
        self.connection_file = str(self.run_dir / "kernel.json")
        try:
            return await super()._async_pre_start_kernel(**kw)
        except BaseException:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None
            raise

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        if self.policy.drops_user:  # jupyter_client writes it 0600: the kernel's user must read it
            os.chown(self.connection_file, self.sandbox_uid, self.sandbox_uid)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        launch = self._launch_args or {}
        work_dir = launch.get("cwd") or os.getcwd()
        return bwrap_command(self.policy, cmd, str(work_dir), str(self.run_dir), launch.get("env"))

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        # bubblewrap starts with an almost empty environment: the kernel's own variables are
        # passed with --setenv (format_kernel_cmd), nothing of the grader's reaches the sandbox.
        kw["env"] = dict(BWRAP_ENV)
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None

    cleanup_resources = _async_cleanup_resources
