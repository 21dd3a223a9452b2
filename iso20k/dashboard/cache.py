"""What a dashboard kernel read, kept for the next kernel, so that a page with no prepared kernel
left does not have to read every database from the start: it takes the last reading and reads
only what changed since (the change detection of :class:`.sources.Reader`).

The file holds the company's training records, so it lives in the dashboard's private runtime
folder (``ISO20K_RUNTIME_DIR``, default ``<data_dir>/run``, mode 0700; on the hub a folder of the
dashboard account in the hub's state folder) with mode 0600, and is used only if this user owns it and nobody
else can write it (it is a pickle: whoever could write it could run code in the kernel)."""

from __future__ import annotations

import os
import pickle
import stat
import tempfile
from pathlib import Path

from .kernel_log import log

VERSION = 3  # 2: the reader knows which learners the last refresh changed; 3: change counters


def cache_file(data_dir: Path, runtime_dir: Path | None = None) -> Path:
    return (Path(runtime_dir) if runtime_dir else Path(data_dir) / "run") / "dashboard-reading.pickle"


def sources_stamp(*folders: Path) -> tuple:
    """Names, sizes and times of the question banks and exam definitions the reading used."""
    out = []
    for folder in folders:
        for path in sorted(Path(folder).glob("**/*.yaml")):
            st = path.stat()
            out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


def _private(path: Path) -> bool:
    try:
        for p in (path.parent, path):
            st = p.lstat()
            if st.st_uid != os.geteuid() or st.st_mode & 0o022 or stat.S_ISLNK(st.st_mode):
                return False
        from ..private_paths import untrusted_reason

        return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0 and untrusted_reason(path.parent) is None
    except OSError:
        return False


def load(path: Path, key: tuple):
    """The kept (reader, snapshot) for ``key``, or None."""
    if not path.is_file() or not _private(path):
        return None
    try:
        with open(path, "rb") as f:
            version, kept_key, reader, snapshot = pickle.load(f)
    except Exception as exc:  # noqa: BLE001 - a damaged file is just not used
        log.warning("kept reading not used: %s", type(exc).__name__)
        return None
    if version != VERSION or kept_key != key:
        return None
    return reader, snapshot


def save(path: Path, key: tuple, reader, snapshot) -> None:
    """Keep the reading (written to a private temporary file, then moved into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".reading-")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump((VERSION, key, reader, snapshot), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
