"""The grading sandbox: the command line that runs a learner's kernel inside bubblewrap.

Inside, the kernel sees the system folders (``/usr``, ``/etc``) and this Python read-only, its
own working copy of the submission and a run folder (connection file, IPC sockets, a home)
read-write, and nothing else: no course folder, no gradebook, no other learner, no trainer's
home, no network (a new, empty network namespace; the grader talks to the kernel over ZMQ IPC
sockets in the run folder).  Run as root, it also drops to an unprivileged user id of its own
(so root-only files stay unreadable and the process limit applies; root is exempt from it).
See docs/grading-sandbox.md for the threat model."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: Environment variables a kernel keeps; everything else of the grader's environment is dropped.
KEPT_ENV = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "NBGRADER_EXECUTION", "PYTHONHASHSEED")
SYSTEM_DIRS = ("/usr", "/etc")
#: The whole environment bubblewrap itself starts with (in every mode): inside the sandbox it is
#: process 1, and an unprivileged kernel can read its /proc/1/environ.
BWRAP_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


class SandboxUnavailable(RuntimeError):
    """The machine cannot run learners' code isolated."""


@dataclass(frozen=True)
class SandboxPolicy:
    bwrap: str = "bwrap"
    uid: int = 61000  # used only when the grader runs as root
    process_limit: int = 64
    disk_mb: int = 100

    @classmethod
    def from_settings(cls, uid: int | None = None) -> "SandboxPolicy":
        """The policy the ISO20K_GRADING_* settings describe (read afresh: workers are new processes)."""
        from ..settings import read_settings

        s = read_settings()
        return cls(s.grading_sandbox_bwrap, s.grading_sandbox_uid if uid is None else uid,
                   s.grading_process_limit, s.grading_disk_limit_mb)

    @property
    def drops_user(self) -> bool:
        return os.geteuid() == 0


def python_dirs() -> list[str]:
    """Folders a kernel needs to run this Python with the course's package (read-only)."""
    import importlib.util

    # The module assessment notebooks import (``iso20k`` itself may resolve to a namespace
    # package when the current folder holds a learner's 'iso20k/' course folder).
    package = Path(importlib.util.find_spec("iso20k.exam_checks").origin).resolve().parent
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, str(package)}
    return sorted(d for d in {os.path.realpath(d) for d in dirs} | dirs if os.path.isdir(d))


def _covered(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _tool(name: str) -> str:
    found = shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin")
    if not found:
        raise SandboxUnavailable(f"'{name}' (Debian package util-linux) was not found in /usr/bin")
    return found


def bwrap_command(policy: SandboxPolicy, kernel_cmd: list[str], work_dir: str, run_dir: str,
                  env: dict | None = None) -> list[str]:
    """``kernel_cmd`` wrapped so that it runs isolated with ``work_dir`` as its working copy."""
    bwrap = shutil.which(policy.bwrap) or policy.bwrap
    args = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev"]
    if not policy.drops_user:
        args.append("--unshare-user")  # unprivileged bwrap: the process limit counts in this namespace
    for d in SYSTEM_DIRS:
        args += ["--ro-bind", d, d]
    for link in SYSTEM_LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    args += ["--perms", "1777", "--size", str(policy.disk_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    readonly = [d for d in python_dirs() if not _covered(d, list(SYSTEM_DIRS))]
    writable = [os.path.realpath(work_dir), os.path.realpath(run_dir)]
    made: set[str] = {"/", "/tmp", *SYSTEM_DIRS}
    for target in readonly + writable:
        # bwrap would create missing parents as 0700 root folders, which the kernel's user cannot cross.
        for parent in reversed(Path(target).parents):
            p = str(parent)
            if p not in made and not _covered(p, readonly):
                args += ["--perms", "0755", "--dir", p]
                made.add(p)
        args += ["--ro-bind" if target in readonly else "--bind", target, target]
    args += ["--chdir", writable[0], "--clearenv",
             "--setenv", "PATH", f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
             "--setenv", "HOME", os.path.join(writable[1], "home"), "--setenv", "TMPDIR", "/tmp"]
    for name in KEPT_ENV:
        value = (env or os.environ).get(name)
        if value is not None:
            args += ["--setenv", name, value]
    fsize = policy.disk_mb * 1024 * 1024
    args += ["--", _tool("prlimit"), f"--nproc={policy.process_limit}:{policy.process_limit}",
             f"--fsize={fsize}:{fsize}", "--core=0:0", "--"]
    if policy.drops_user:
        args += [_tool("setpriv"), f"--reuid={policy.uid}", f"--regid={policy.uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return args + list(kernel_cmd)


def prepare_dir(path: Path, policy: SandboxPolicy) -> Path:
    """Make ``path`` (and everything in it) belong to the sandbox's user, so the kernel can write there."""
    if policy.drops_user:
        for folder, dirs, files in os.walk(path):
            os.chown(folder, policy.uid, policy.uid)
            for name in dirs + files:
                os.chown(os.path.join(folder, name), policy.uid, policy.uid, follow_symlinks=False)
    return path


def sandbox_problem(policy: SandboxPolicy) -> str | None:
    """None when a sandboxed process can start on this machine, else what went wrong."""
    import tempfile

    if not shutil.which(policy.bwrap):
        return f"the bubblewrap program '{policy.bwrap}' was not found"
    try:
        with tempfile.TemporaryDirectory(prefix="iso20k-sandbox-check-") as tmp:
            work, run = Path(tmp, "work"), Path(tmp, "run")
            work.mkdir()
            (run / "home").mkdir(parents=True)
            os.chmod(tmp, 0o755)
            prepare_dir(Path(tmp), policy)
            cmd = bwrap_command(policy, [sys.executable, "-c", "import iso20k.exam_checks"], str(work), str(run))
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=dict(BWRAP_ENV))
    except SandboxUnavailable as exc:
        return str(exc)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not be started ({exc})"
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return f"bubblewrap could not create the sandbox: {detail}"
    return None


def require_sandbox(policy: SandboxPolicy) -> None:
    """Raise SandboxUnavailable, with what to do, unless learners' code can run isolated here."""
    problem = sandbox_problem(policy)
    if problem:
        raise SandboxUnavailable(
            f"Cannot isolate learners' code on this machine: {problem}.\n"
            "Install bubblewrap (Debian: apt-get install bubblewrap) and allow user namespaces "
            "(or set ISO20K_GRADING_SANDBOX_BWRAP to its path), then run the command again.\n"
            "To grade anyway, with every submission's code running with your rights and able to read "
            "and change the course folder and gradebook, add --without-isolation (the report records it).")
