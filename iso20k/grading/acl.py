"""A file readable by its owner and one other account only, with a POSIX access ACL written
directly as Linux stores it (the ``system.posix_acl_access`` extended attribute): no ``setfacl``
(Debian's ``acl`` package) and no child process needed.  Used for released feedback
(:mod:`iso20k.grading.exchange`) and checked at hub start (:func:`iso20k.hub.config.prepare_exchange`)."""

from __future__ import annotations

import os
import struct

ACL_XATTR = "system.posix_acl_access"
_UNDEFINED = 0xFFFFFFFF
_USER_OBJ, _USER, _GROUP_OBJ, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x10, 0x20


def acl_blob(owner_perm: int, users: dict[int, int]) -> bytes:
    """An access ACL: the owner ``owner_perm``, each uid in ``users`` its permission bits, the
    owning group and others nothing (the mask allows exactly the named users' bits)."""
    mask = 0
    for perm in users.values():
        mask |= perm
    entries = [(_USER_OBJ, owner_perm, _UNDEFINED), *[(_USER, perm, uid) for uid, perm in sorted(users.items())],
               (_GROUP_OBJ, 0, _UNDEFINED), (_MASK, mask, _UNDEFINED), (_OTHER, 0, _UNDEFINED)]
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)


def readable_by(path: str | os.PathLike, uid: int) -> None:
    """``path`` (a file this account owns) read-write for its owner and readable by account
    ``uid`` alone.  Raises OSError when the file system has no POSIX ACLs."""
    os.chmod(path, 0o600)
    if uid != os.stat(path, follow_symlinks=False).st_uid:
        os.setxattr(path, ACL_XATTR, acl_blob(6, {uid: 4}), follow_symlinks=False)


def named_readers(path: str | os.PathLike) -> dict[int, int]:
    """The accounts an access ACL names on ``path``, with their permission bits ({} for none)."""
    try:
        blob = os.getxattr(path, ACL_XATTR, follow_symlinks=False)
    except OSError:
        return {}
    out = {}
    for offset in range(4, len(blob), 8):
        tag, perm, uid = struct.unpack_from("<HHI", blob, offset)
        if tag == _USER:
            out[uid] = perm
    return out


def supports_acls(folder: str | os.PathLike, uid: int) -> str | None:
    """None when files in ``folder`` can carry an ACL entry for ``uid``; else why not."""
    probe = os.path.join(folder, f".acl-probe-{os.getpid()}")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.close(fd)
        os.setxattr(probe, ACL_XATTR, acl_blob(6, {uid: 4}), follow_symlinks=False)
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass
