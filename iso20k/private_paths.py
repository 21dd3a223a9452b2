"""Folders a process may read code, configuration or templates from, and the private runtime
folders it keeps its own files in (issue 19: least privilege for every process).

The rule: a process never loads anything from a folder another account can change.  A path is
*trusted* for an account when every component from ``/`` down is a real folder (a link is
followed only when root owns it, and then its target is checked the same way), owned by root or
by the account itself, and writable by nobody else (group and others have no write bit), except
a sticky folder owned by root such as ``/tmp``, where nobody can rename or remove what another
owns.  A private runtime folder is created fresh with ``mkdir`` (which fails if anything already
has its name, so a planted folder or link is never taken over), mode 0700, and checked after
creation."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path


class UntrustedPathError(PermissionError):
    """A folder this process would read code or configuration from, or keep private files in,
    can be changed by another account; the message names the folder and what to do."""


def _component_problem(path: Path, st: os.stat_result, trusted: set[int]) -> str | None:
    if st.st_uid not in trusted:
        return f"{path} belongs to uid {st.st_uid}, not to root or this account"
    if stat.S_ISDIR(st.st_mode) and st.st_mode & 0o022:
        if st.st_mode & stat.S_ISVTX and st.st_uid == 0:
            return None  # like /tmp: others may add entries but not rename or remove ours
        return f"{path} is writable by {'everyone' if st.st_mode & 0o002 else 'its group'} (mode {stat.S_IMODE(st.st_mode):04o})"
    if not stat.S_ISDIR(st.st_mode) and st.st_mode & 0o022:
        return f"{path} is writable by others (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def untrusted_reason(path: Path | str, uid: int | None = None, _depth: int = 0) -> str | None:
    """Why ``path`` is not trusted for account ``uid`` (default: this process's), or None when it
    is.  Every component is checked with ``lstat``; a link owned by root is followed and its target
    checked from the start; a link owned by anyone else is refused.  A path that does not exist yet
    is judged by the components that do."""
    uid = os.geteuid() if uid is None else uid
    trusted = {0, uid}
    path = Path(os.path.abspath(path))
    if _depth > 20:
        return f"{path}: too many links"
    current = Path("/")
    parts = path.parts[1:]
    for i, part in enumerate(("/", *parts)):
        current = current / part if i else Path("/")
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return None  # the rest does not exist yet: whoever creates it is checked then
        except OSError as exc:
            return f"{current} cannot be checked ({exc.strerror})"
        if stat.S_ISLNK(st.st_mode):
            if st.st_uid != 0:
                return f"{current} is a link owned by uid {st.st_uid}: links are followed only when root made them"
            parent_problem = untrusted_reason(current.parent, uid, _depth + 1)
            if parent_problem:
                return parent_problem
            target = Path(os.path.join(current.parent, os.readlink(current)))
            rest = Path(*parts[i:]) if i < len(parts) else Path()
            return untrusted_reason(Path(os.path.normpath(target / rest)), uid, _depth + 1)
        problem = _component_problem(current, st, trusted)
        if problem:
            return problem
    return None


def require_trusted(path: Path | str, what: str, uid: int | None = None) -> Path:
    """``path``, or :class:`UntrustedPathError` naming ``what`` it is for."""
    reason = untrusted_reason(path, uid)
    if reason:
        raise UntrustedPathError(
            f"refusing to use {path} as {what}: {reason}. Another account could plant code or "
            "configuration there that this process would run; use a folder that only this account "
            "(and root) can write, or fix the owner and mode of the folder named.")
    return Path(path)


def check_private_dir(path: Path | str, uid: int | None = None) -> Path:
    """``path`` is a real folder (no link), owned by ``uid``, mode 0700, on a trusted path."""
    uid = os.geteuid() if uid is None else uid
    path = Path(path)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise UntrustedPathError(f"{path} is not a real folder (a link or a file took its name)")
    if st.st_uid != uid or stat.S_IMODE(st.st_mode) & 0o077:
        raise UntrustedPathError(f"{path} must belong to uid {uid} with mode 0700; it is uid {st.st_uid}, "
                                 f"mode {stat.S_IMODE(st.st_mode):04o}")
    require_trusted(path.parent, f"the parent of the private folder {path}", uid)
    return path


def make_private_dir(parent: Path | str, prefix: str) -> Path:
    """A new folder in ``parent``, created exclusively (a unique name, ``mkdir`` mode 0700; it fails
    rather than reuse anything), owned by this process's account, with every component of its path
    checked."""
    parent = Path(parent)
    require_trusted(parent, "the parent of a private runtime folder")
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    require_trusted(parent, "the parent of a private runtime folder")
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))  # mkdir(0700): exclusive, never reused
    return check_private_dir(folder)


def remove_without_following(path: Path | str) -> None:
    """Remove ``path`` (file, link or folder tree) without following any link in it."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)  # fd-based on Linux: links inside are removed, never followed
    else:
        path.unlink()


def fresh_owned_dir(path: Path | str, uid: int, gid: int, mode: int = 0o700) -> Path:
    """As root: replace whatever has ``path``'s name by a new empty folder owned by ``uid``/``gid``
    (made with ``mkdir``, which fails if something came back in between)."""
    path = Path(path)
    require_trusted(path.parent, f"the parent of {path}", 0)
    remove_without_following(path)
    os.mkdir(path, 0o700)
    os.lchown(path, uid, gid)
    os.chmod(path, mode)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:
        raise UntrustedPathError(f"{path} changed while it was being created")
    return path


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def open_dir_without_following(path: Path | str, dir_fd: int | None = None) -> int:
    """A handle on the folder ``path`` (relative to ``dir_fd`` when given), refusing a link or
    anything that is not a folder with :class:`UntrustedPathError`.  What is done through the
    handle (``fchown``, ``fchmod``, ``dir_fd=`` calls) reaches that folder, whatever is renamed or
    swapped in at its name afterwards: no check-then-use race for root."""
    try:
        return os.open(path, _DIR_FLAGS, dir_fd=dir_fd)
    except (NotADirectoryError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise UntrustedPathError(f"{path} is a link or not a folder ({exc.strerror}); the product never follows "
                                 "a link where another account could have put one: remove it") from None


def lay_out_dir(parent_fd: int, name: str, shown: Path, uid: int, gid: int, mode: int,
                owners: set[int]) -> int:
    """As root, in the folder open as ``parent_fd``: make the folder ``name`` if missing, open it
    without following a link, check that its owner is one of ``owners``, then give it to
    ``uid``/``gid`` with ``mode``, all through the handle, which is returned (the caller closes
    it).  ``shown`` is the path named in errors."""
    try:
        os.mkdir(name, 0o700, dir_fd=parent_fd)
    except FileExistsError:
        pass
    fd = open_dir_without_following(name, dir_fd=parent_fd)
    try:
        owner = os.fstat(fd).st_uid
        if owner not in owners:
            raise UntrustedPathError(f"{shown} belongs to uid {owner}: someone else created it; remove it and "
                                     "start again")
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def own_tree_without_following(top: Path | str, uid: int, gid: int, dir_mode: int, file_mode: int) -> None:
    """As root: give the folder ``top`` and everything in it to ``uid``/``gid``, folders
    ``dir_mode`` and files ``file_mode``, through handles opened without following links.  A link
    anywhere in it, also one swapped in while this runs, or anything that is neither a plain file
    nor a folder, raises :class:`UntrustedPathError` naming it; nothing outside ``top`` is ever
    changed."""
    top = Path(top)
    fd = open_dir_without_following(top)
    try:
        _own_open_dir(fd, top, uid, gid, dir_mode, file_mode)
    finally:
        os.close(fd)


def _own_open_dir(fd: int, shown: Path, uid: int, gid: int, dir_mode: int, file_mode: int) -> None:
    os.fchown(fd, uid, gid)
    os.fchmod(fd, dir_mode)
    for name in os.listdir(fd):
        child = shown / name
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            raise UntrustedPathError(f"{child} is a link: this folder holds no links (whoever could make one could "
                                     "send root's changes elsewhere); remove it, or put the real file there")
        if stat.S_ISDIR(st.st_mode):
            sub = open_dir_without_following(name, dir_fd=fd)
            try:
                _own_open_dir(sub, child, uid, gid, dir_mode, file_mode)
            finally:
                os.close(sub)
            continue
        try:
            sub = os.open(name, _FILE_FLAGS, dir_fd=fd)
        except OSError as exc:
            raise UntrustedPathError(f"{child} changed into a link or something else while it was being laid out "
                                     f"({exc.strerror}): remove it and start again") from None
        try:
            if not stat.S_ISREG(os.fstat(sub).st_mode):
                raise UntrustedPathError(f"{child} is neither a plain file nor a folder: remove it")
            os.fchown(sub, uid, gid)
            os.fchmod(sub, file_mode)
        finally:
            os.close(sub)


def private_runtime_root(data_dir: Path, runtime_dir: Path | None) -> Path:
    """Where this process keeps its private runtime folders: ``runtime_dir`` when set (the hub sets
    it for each service), else ``<data_dir>/run``.  Checked: trusted for this account."""
    root = Path(runtime_dir) if runtime_dir else Path(data_dir) / "run"
    require_trusted(root, "the private runtime folder (ISO20K_RUNTIME_DIR)")
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(root)
    if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid():
        raise UntrustedPathError(f"{root} (the private runtime folder) must be a folder of this account "
                                 f"(uid {os.geteuid()}), not a link or someone else's")
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(root, 0o700)
    return require_trusted(root, "the private runtime folder (ISO20K_RUNTIME_DIR)")
