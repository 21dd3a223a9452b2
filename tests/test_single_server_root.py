"""Issue 19, point 7: on the single-server default, what ``iso20k lab``, ``iso20k dashboard`` and
the demo (``scripts/start.sh``) start as root runs nothing from a folder another account can
write: root's runtime folders are fresh and root-only, and a configuration folder another account
could fill is refused with a message naming it.  Attacked for real: another account plants a
Jupyter configuration file that would leave a mark; the server refuses to start and nothing ran."""

from __future__ import annotations

import os
import pwd
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="what root starts: needs root")

ISO20K = str(Path(sys.executable).with_name("iso20k"))


def _env(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ISO20K_", "JUPYTER"))}
    env.update({"ISO20K_ENV_FILE": "", "ISO20K_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path / "home")})
    env.update(extra)
    return env


def _shared_folder(tmp_path: Path) -> Path:
    """A folder every account can write (like a careless /srv/share), filled by another account."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    return shared


def _plant_as_nobody(folder: Path, marker: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    code = (f"open({str(folder / 'jupyter_server_config.py')!r}, 'w').write("
            f"\"open({str(marker)!r}, 'w').write('ran')\\n\")")
    done = subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
                           "/usr/bin/python3", "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def root_tmp():
    """A folder of root's that other accounts may enter (pytest's own is closed to them)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="iso20k-root-"))
    folder.chmod(0o755)
    (folder / "home").mkdir(mode=0o700)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_lab_as_root_refuses_a_configuration_folder_another_account_fills(root_tmp):
    shared = _shared_folder(root_tmp)
    marker = root_tmp / "marker"
    _plant_as_nobody(shared, marker)
    for extra in ({"JUPYTER_CONFIG_PATH": str(shared)}, {"ISO20K_LAB_CONFIG_DIR": str(shared / "lab-config")}):
        done = subprocess.run([ISO20K, "lab", "--no-browser"], env=_env(root_tmp, **extra), capture_output=True,
                              text=True, timeout=120)
        assert done.returncode != 0, (extra, done.stdout, done.stderr)
        assert "refusing to use" in done.stderr and str(shared) in done.stderr, done.stderr
        assert "writable by everyone" in done.stderr
    assert not marker.exists()


def test_the_dashboard_as_root_refuses_a_data_folder_another_account_can_write(root_tmp):
    shared = _shared_folder(root_tmp)
    done = subprocess.run([ISO20K, "dashboard", "--port", "1"], env=_env(root_tmp, ISO20K_DATA_DIR=str(shared / "data")),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "refusing to use" in done.stderr and str(shared) in done.stderr, done.stderr
    planted = shared / "data" / "run"
    assert not planted.exists()  # nothing made there either


def test_the_lab_as_root_keeps_its_runtime_files_in_a_fresh_root_only_folder(root_tmp):
    from browser import free_port

    port = free_port()
    env = _env(root_tmp, ISO20K_LAB_PORT=str(port))
    proc = subprocess.Popen([ISO20K, "lab", "--no-browser"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        assert proc.poll() is None, proc.stderr.read()
        environ = dict(item.split("=", 1) for item in
                       Path(f"/proc/{proc.pid}/environ").read_bytes().decode().split("\0") if "=" in item)
        runtime = Path(environ["JUPYTER_RUNTIME_DIR"])
        assert runtime.parent == root_tmp / "data" / "run", runtime
        for folder in (runtime, runtime.parent):
            st = os.lstat(folder)
            assert st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o700 and stat.S_ISDIR(st.st_mode)
        assert any(runtime.iterdir()), "the server's runtime files are there"
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)


def test_the_demo_script_keeps_roots_log_folder_private():
    script = (Path(__file__).resolve().parent.parent / "scripts" / "start.sh").read_text()
    assert 'chmod 700 "$logdir"' in script and "iso20k dashboard" in script and "iso20k lab" in script
