"""Resource limits for a grading worker and everything it starts (its kernel included)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess


def limited(memory_mb: int):
    """A ``preexec_fn``: new process group (so the whole tree can be stopped) and a memory cap."""

    def apply() -> None:
        os.setsid()
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def stop_group(proc: subprocess.Popen) -> None:
    """Stop a worker and its kernel (they share the worker's process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
