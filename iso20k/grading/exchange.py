"""nbgrader's exchange with each hand-in belonging to the person who made it.

nbgrader's default exchange trusts the name of a hand-in's folder (``<student>+<assignment>+
<timestamp>+<random>``): anyone who can write to ``inbound`` can hand in under a colleague's name,
``collect`` only warns ("cheating attempt?") and replaces the colleague's submission, and it copies
with ``shutil.copytree``, which follows links (a ``notes.txt`` linked to the answer key is copied
into ``submitted/``).  Hand-ins are 0644 in 0777 folders, so only the random part of the name keeps
them from other learners, and released feedback is 0644 too.

These classes replace nbgrader's through its own plugin points (``ExchangeFactory.collect``,
``.submit``, ``.release_feedback``; see :func:`iso20k.grading.config.use_owned_exchange`), nothing of nbgrader is
patched:

* :class:`OwnedCollect` opens every hand-in without following links (``O_NOFOLLOW`` on every
  path component, relative to the folder already opened) and copies from the opened files, so
  nothing can be swapped for a link between the check and the copy.  A hand-in is **refused** when
  its folder or any file or folder in it is not owned by the operating-system account of the
  student it names (``pwd`` lookup of the nbgrader student id, which on the hub is the user name),
  when it holds a link or anything but plain files and folders (links are never followed nor
  copied: refused), or when its name does not parse.  A refused hand-in is **quarantined**: moved
  out of ``inbound`` into the grader-only quarantine folder (``<exchange>/<course>/quarantine``,
  0700) with a record beside it, appended to the audit trail (``hand-in-quarantined``), and
  reported in collect's output (formgrader's log when collected from formgrader) and by
  ``iso20k quarantine``.  It never reaches ``submitted/``; the newest genuine hand-in of that
  student is collected instead, and an existing submission is only replaced once the new one has
  been copied and checked in full.
* :class:`PrivateSubmit` (learners) creates the hand-in folder 0750 and its files 0640 from the
  start; ``inbound`` is setgid to the grader account's group, so only the grader account (and the
  learner) can read them, and nobody else can add to them.
* :class:`PrivateReleaseFeedback` releases each feedback file 0600 to the grader account plus a
  POSIX ACL entry letting exactly the student's account read it (written as the
  ``system.posix_acl_access`` attribute; no ``setfacl`` needed); another learner cannot read it
  even knowing its name.  Where the student is the grader account itself (one machine), no ACL
  is needed.

Whose account a student's hand-ins and feedback belong to is :func:`student_account`: the account
named like the student; on one machine (``scripts/start.sh``, the ISO20K_EXCHANGE_ONE_ACCOUNT
setting) every learner without an account of their own learns under the account that grades, so
their hand-ins must belong to it, and a hand-in another account made is refused as on the hub.
"""

from __future__ import annotations

import datetime
import errno
import fnmatch
import hashlib
import json
import os
import pwd
import secrets
import shutil
import stat
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect, groupby
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.utils import notebook_hash, parse_utc

from .acl import readable_by
from .config import QUARANTINE

#: Opens a file or folder itself, never what a link points to; a FIFO does not block the open.
_OPEN = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
TRAIL_ACTION = "hand-in-quarantined"


class Refused(Exception):
    """A hand-in that is not collected; ``quarantine`` when it is not (all) the named student's."""

    def __init__(self, reason: str, quarantine: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.quarantine = quarantine


def _name_of(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def student_account(student: str) -> int | None:
    """The operating-system account (uid) hand-ins and feedback of nbgrader student ``student``
    belong to: the account of that name; on one machine (the ISO20K_EXCHANGE_ONE_ACCOUNT setting)
    a learner without an account of their own learns under this one.  None: nobody's."""
    try:
        return pwd.getpwnam(student).pw_uid
    except KeyError:
        pass
    from ..settings import read_settings

    return os.geteuid() if read_settings().one_account_exchange else None


def quarantine_folder(exchange_root: str | os.PathLike, course_id: str) -> Path:
    return Path(exchange_root) / course_id / QUARANTINE


def ensure_private_folder(path: Path) -> Path:
    """``path`` as a folder only this account can enter: created 0700 if missing, refused if it
    is a link, belongs to someone else or is open to others."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise PermissionError(f"{path} must be a folder of {_name_of(os.geteuid())} closed to everyone else "
                              f"(it is {stat.filemode(info.st_mode)} of {_name_of(info.st_uid)}); remove it "
                              "and collect again")
    return path


class CopyRules:
    """nbgrader's CourseDirectory.ignore / include / max_file_size / max_dir_size, applied to
    what was opened (sizes from the opened file, never from a path that could have changed)."""

    def __init__(self, coursedir=None, log=None):
        self.exclude = list(getattr(coursedir, "ignore", []) or [])
        self.include = list(getattr(coursedir, "include", []) or [])
        self.max_file = 1000 * (getattr(coursedir, "max_file_size", 0) or 0)
        self.max_dir = 1000 * (getattr(coursedir, "max_dir_size", 0) or 0)
        self.log = log
        self.total = 0

    def excluded(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, glob) for glob in self.exclude)

    def skip_file(self, name: str, size: int, rel: str) -> bool:
        if self.include and not any(fnmatch.fnmatch(name, glob) for glob in self.include):
            return True
        if self.max_file and size > self.max_file:
            if self.log:
                self.log.warning("Ignoring file too large '%s' (see config option CourseDirectory.max_file_size)", rel)
            return True
        self.total += size
        if self.max_dir and self.total > self.max_dir:
            raise Refused(f"the hand-in is larger than {self.max_dir} bytes (CourseDirectory.max_dir_size)",
                          quarantine=False)
        return False


def _copy_fd(src_fd: int, dest: str, mode: int) -> None:
    out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        while chunk := os.read(src_fd, 1 << 20):
            view = memoryview(chunk)
            while view:
                view = view[os.write(out, view):]
    finally:
        os.close(out)


def copy_owned_tree(dir_fd: int, dest: str, uid: int, rules: CopyRules, rel: str = "") -> None:
    """Copy the folder open as ``dir_fd`` into the existing folder ``dest``, checking that every
    entry belongs to ``uid`` and is a plain file or folder.  Each entry is opened relative to its
    already opened folder without following links, checked on the opened descriptor and copied
    from it; raises :class:`Refused` at the first entry that is not the student's."""
    for name in sorted(os.listdir(dir_fd)):
        path = f"{rel}{name}"
        if rules.excluded(name):
            continue
        try:
            fd = os.open(name, _OPEN, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise Refused(f"'{path}' is a link (links in hand-ins are never followed)") from None
            if exc.errno == errno.ENOENT:
                raise Refused(f"'{path}' disappeared while it was collected") from None
            raise Refused(f"'{path}' cannot be opened: {exc.strerror}") from None
        try:
            info = os.fstat(fd)
            if info.st_uid != uid:
                raise Refused(f"'{path}' belongs to {_name_of(info.st_uid)}, not to the student")
            if stat.S_ISDIR(info.st_mode):
                target = os.path.join(dest, name)
                os.mkdir(target, 0o700)
                copy_owned_tree(fd, target, uid, rules, rel=f"{path}/")
                os.chmod(target, 0o755)
            elif stat.S_ISREG(info.st_mode):
                if not rules.skip_file(name, info.st_size, path):
                    _copy_fd(fd, os.path.join(dest, name), 0o644)
            else:
                raise Refused(f"'{path}' is not a plain file or folder ({stat.filemode(info.st_mode)})")
        finally:
            os.close(fd)


def manifest_and_copy(dir_fd: int, dest: str | None, rel: str = "", out: list | None = None) -> list:
    """What a refused hand-in holds, for the trainers: every entry with its owner and mode, plain
    files with their SHA-256 (read without following links) and copied into ``dest`` unless it is
    None, links with their target (never followed).  Best effort: what cannot be read is listed."""
    out = [] if out is None else out
    try:
        names = sorted(os.listdir(dir_fd))
    except OSError as exc:
        out.append({"path": rel or ".", "unreadable": exc.strerror})
        return out
    for name in names:
        path = f"{rel}{name}"
        try:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError as exc:
            out.append({"path": path, "unreadable": exc.strerror})
            continue
        item = {"path": path, "owner": _name_of(info.st_uid), "mode": stat.filemode(info.st_mode)}
        out.append(item)
        if stat.S_ISLNK(info.st_mode):
            try:
                item["link_to"] = os.readlink(name, dir_fd=dir_fd)
            except OSError:
                pass
            continue
        if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
            continue
        try:
            fd = os.open(name, _OPEN, dir_fd=dir_fd)
        except OSError as exc:
            item["unreadable"] = exc.strerror
            continue
        try:
            opened = os.fstat(fd)
            if stat.S_ISDIR(opened.st_mode):
                if dest is not None:
                    os.mkdir(os.path.join(dest, name), 0o700)
                manifest_and_copy(fd, None if dest is None else os.path.join(dest, name), f"{path}/", out)
            elif stat.S_ISREG(opened.st_mode) and opened.st_size <= 50_000_000:
                digest = hashlib.sha256()
                copy = None if dest is None else open(os.path.join(dest, name), "xb")
                try:
                    while chunk := os.read(fd, 1 << 20):
                        digest.update(chunk)
                        if copy:
                            copy.write(chunk)
                finally:
                    if copy:
                        copy.close()
                item["sha256"] = digest.hexdigest()
        except OSError as exc:
            item["unreadable"] = exc.strerror
        finally:
            os.close(fd)
    return out


def record_in_trail(claimed: str, assignment: str, details: dict) -> str | None:
    """Append the quarantine to the audit trail (who collected it, whose name the hand-in used,
    who made it, why).  Where a trail writer is configured (``trail_url``: the hub's records
    service, for a grader account that may not write the trail) the report goes there with the
    formgrader service's hub token (``POST api/trail/hand-ins``, :mod:`iso20k.hub.trail_handins`);
    else it is appended with the product's trail API.  Returns an error text when the trail could
    not be written (collect goes on: the hand-in is quarantined either way, and says so loudly)."""
    try:
        from ..audit import append, current_actor
        from ..settings import get_settings
        from ..store import trail_writer

        settings = get_settings()
        trail_url = getattr(settings, "trail_url", None)
        if trail_url:
            return _send_to_trail_writer(trail_url, {**details, "claimed_student": claimed, "assignment": assignment,
                                                     "claimed_by": current_actor(settings)})
        store = trail_writer(settings)  # moves the trail's anchor after the entry commits
        try:
            append(store, current_actor(settings), TRAIL_ACTION, f"{claimed}/{assignment}", details)
        finally:
            store.close()
    except Exception as exc:  # noqa: BLE001 - reported, never hides the quarantine itself
        return f"{type(exc).__name__}: {exc}"
    return None


def _send_to_trail_writer(trail_url: str, report: dict) -> str | None:
    from ..audit.trail_client import service_token
    from ..http_json import HttpRefused, HttpUnreachable, call_json

    token = service_token()
    if not token:
        return ("no hub token of the formgrader service (JUPYTERHUB_API_TOKEN) to reach the trail writer with: "
                "collect in the trainers' formgrader (or its terminal) on the hub")
    try:
        call_json(trail_url.rstrip("/") + "/api/trail/hand-ins", token, "POST",
                  {k: str(v)[:600] for k, v in report.items()}, 30)
    except HttpRefused as exc:
        return f"the trail writer refused the report ({exc.status})"
    except HttpUnreachable as exc:
        return f"the trail writer ({trail_url}) could not be reached: {exc}"
    return None


class OwnedCollect(ExchangeCollect):
    """``nbgrader collect`` that collects only hand-ins made by the student they name (see the
    module's text); the rest are quarantined, recorded and reported."""

    def init_src(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        self.quarantine_path = str(quarantine_folder(self.root, self.coursedir.course_id))
        try:
            ensure_private_folder(Path(self.quarantine_path))
        except PermissionError as exc:
            self.fail(str(exc))
        self.quarantined: list[dict] = []
        self.inbound_fd = os.open(self.inbound_path, _OPEN | os.O_DIRECTORY)
        student_id = self.coursedir.student_id if self.coursedir.student_id else "*"
        pattern = f"{student_id}+{self.coursedir.assignment_id}+*"
        records = []
        for name in sorted(os.listdir(self.inbound_fd)):
            if name.startswith(".") or not fnmatch.fnmatchcase(name, pattern):
                continue
            parts = name.rsplit("+", 3)
            claimed = parts[0]
            if len(parts) < 3 or parts[1] != self.coursedir.assignment_id:
                continue
            try:
                timestamp = parse_utc(parts[2])
            except Exception:  # noqa: BLE001 - any unreadable name is refused, never fatal
                self.quarantine(name, claimed, "its name carries no valid time stamp")
                continue
            records.append({"username": claimed, "filename": name, "timestamp": timestamp})
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        # every student's hand-ins, the one nbgrader would choose first, then the older ones
        self.candidates = {}
        for student, recs in groupby(records, lambda r: r["username"]).items():
            recs = self._sort_by_timestamp(recs)
            if self.duedate is not None and self.before_duedate:
                recs = [r for r in recs if r["timestamp"] <= self.duedate] + \
                       [r for r in recs if r["timestamp"] > self.duedate]
            self.candidates[student] = recs
        self.src_records = [recs[0] for recs in self.candidates.values()]

    def _student_uid(self, student: str) -> int | None:
        return student_account(student)

    def _open_hand_in(self, rec: dict) -> int:
        """The hand-in's folder, opened without following a link, checked to be the student's."""
        uid = self._student_uid(rec["username"])
        if uid is None:
            raise Refused(f"there is no account named {rec['username']!r}")
        try:
            fd = os.open(rec["filename"], _OPEN, dir_fd=self.inbound_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise Refused("the hand-in is a link") from None
            raise Refused(f"the hand-in cannot be opened: {exc.strerror}") from None
        info = os.fstat(fd)
        if not stat.S_ISDIR(info.st_mode):
            os.close(fd)
            raise Refused("the hand-in is not a folder")
        if info.st_uid != uid:
            os.close(fd)
            raise Refused(f"the hand-in's folder belongs to {_name_of(info.st_uid)}, not to {rec['username']}")
        return fd

    def copy_files(self):
        try:
            self._collect_all()
        finally:
            os.close(self.inbound_fd)
        if self.quarantined:
            self.log.error("%d hand-in(s) of '%s' refused and quarantined in %s (see 'iso20k quarantine'):",
                           len(self.quarantined), self.coursedir.assignment_id, self.quarantine_path)
            for q in self.quarantined:
                self.log.error("  %s: %s", q["hand_in"], q["reason"])

    def _collect_all(self):
        if not self.candidates:
            self.log.warning(f"No submissions of '{self.coursedir.assignment_id}' for course "
                             f"'{self.coursedir.course_id}' to collect")
            return
        self.log.info(f"Processing {len(self.candidates)} submissions of '{self.coursedir.assignment_id}' "
                      f"for course '{self.coursedir.course_id}'")
        for student, recs in self.candidates.items():
            # a hand-in that is not the student's is quarantined wherever it is in the queue
            genuine = []
            for rec in recs:
                try:
                    os.close(self._open_hand_in(rec))
                    genuine.append(rec)
                except Refused as refused:
                    self.quarantine(rec["filename"], student, refused.reason)
            for rec in genuine:
                outcome = self._collect_one(rec)
                if outcome != "quarantined":
                    break

    def _collect_one(self, rec: dict) -> str:
        student, assignment = rec["username"], self.coursedir.assignment_id
        dest_path = self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment)
        parent = os.path.dirname(dest_path)
        os.makedirs(parent, exist_ok=True)
        updating = False
        if os.path.isdir(dest_path):
            existing = self.coursedir.get_existing_timestamp(dest_path)
            new = rec["timestamp"]
            if self.update and (existing is None or new > existing):
                updating = True
            elif self.before_duedate and existing != new:
                updating = True
            else:
                if self.update:
                    self.log.info(f"No newer submission to collect: {student} {assignment}")
                else:
                    self.log.info(f"Submission already exists, use --update to update: {student} {assignment}")
                return "kept"
        staging = os.path.join(parent, f".{assignment}.collecting-{secrets.token_hex(6)}")
        os.mkdir(staging, 0o700)
        try:
            fd = self._open_hand_in(rec)
            try:
                copy_owned_tree(fd, staging, os.fstat(fd).st_uid, CopyRules(self.coursedir, self.log))
            finally:
                os.close(fd)
        except Refused as refused:
            shutil.rmtree(staging, ignore_errors=True)
            try:
                os.rmdir(parent)  # the student's folder in submitted/, when nothing else is in it
            except OSError:
                pass
            if not refused.quarantine:
                self.log.error(f"Not collected: {rec['filename']}: {refused.reason}")
                return "skipped"
            self.quarantine(rec["filename"], student, refused.reason)
            return "quarantined"
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        os.chmod(staging, 0o755)
        if updating:
            self.log.info(f"Updating submission: {student} {assignment}")
            old = os.path.join(parent, f".{assignment}.replaced-{secrets.token_hex(6)}")
            os.rename(dest_path, old)
            os.rename(staging, dest_path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            self.log.info(f"Collecting submission: {student} {assignment}")
            os.rename(staging, dest_path)
        return "collected"

    def quarantine(self, name: str, claimed: str, reason: str) -> None:
        """Move hand-in ``name`` out of inbound into the quarantine folder, describe it there,
        record it in the audit trail and in collect's report."""
        now = datetime.datetime.now(datetime.timezone.utc)
        moved_as = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}-{name}"
        target = os.path.join(self.quarantine_path, moved_as)
        try:
            owner = _name_of(os.stat(name, dir_fd=self.inbound_fd, follow_symlinks=False).st_uid)
        except OSError:
            owner = "unknown"
        record = {"hand_in": name, "claimed_student": claimed, "owner": owner,
                  "assignment": self.coursedir.assignment_id, "course": self.coursedir.course_id,
                  "reason": reason, "quarantined_at": now.isoformat(timespec="seconds"),
                  "quarantined_as": moved_as}
        try:
            os.rename(name, target, src_dir_fd=self.inbound_fd)
            record["moved"] = True
            try:  # what it held when it was quarantined (a copy of nothing: it is all here)
                fd = os.open(target, _OPEN)
                try:
                    if stat.S_ISDIR(os.fstat(fd).st_mode):
                        record["contents"] = manifest_and_copy(fd, None)
                finally:
                    os.close(fd)
            except OSError as exc2:
                record["contents"] = [{"path": ".", "unreadable": exc2.strerror}]
        except FileNotFoundError:  # its maker removed it meanwhile: nothing to move, still recorded
            record.update(moved=False, vanished=True)
        except OSError as exc:
            # A folder closed by its maker cannot change parent folder (Linux needs write access to
            # it): it is renamed aside inside inbound, under a hidden name nbgrader never lists,
            # and what can be read of it is copied into the quarantine folder.
            hidden = f".quarantined-{moved_as}"
            os.rename(name, hidden, src_dir_fd=self.inbound_fd, dst_dir_fd=self.inbound_fd)
            record.update(moved=False, left_in_inbound_as=hidden, why_not_moved=exc.strerror)
            os.mkdir(target, 0o700)
            try:
                fd = os.open(hidden, _OPEN, dir_fd=self.inbound_fd)
                try:
                    if stat.S_ISDIR(os.fstat(fd).st_mode):
                        record["contents"] = manifest_and_copy(fd, target)
                finally:
                    os.close(fd)
            except OSError as exc2:
                record["contents"] = [{"path": ".", "unreadable": exc2.strerror}]
        details = {k: record[k] for k in ("hand_in", "owner", "reason", "quarantined_as")}
        if "contents" in record:  # the trail fixes what the quarantined hand-in held
            details["contents_sha256"] = hashlib.sha256(
                json.dumps(record["contents"], sort_keys=True).encode("utf-8")).hexdigest()
        problem = record_in_trail(claimed, self.coursedir.assignment_id, details)
        record["audit_trail"] = "recorded" if problem is None else f"NOT recorded: {problem}"
        if problem:
            self.log.error(f"The quarantine of {name} could not be written to the audit trail: {problem}")
        descriptor = os.open(target + ".json", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=1, ensure_ascii=False)
        self.quarantined.append(record)
        self.log.error(f"REFUSED hand-in {name} (named for {claimed}, made by {owner}): {reason}; "
                       f"quarantined as {target}")


def read_quarantine(exchange_root: str | os.PathLike, course_id: str) -> list[dict]:
    """The quarantine records, oldest first (for ``iso20k quarantine``)."""
    folder = quarantine_folder(exchange_root, course_id)
    if not folder.is_dir():
        return []
    records = []
    for path in sorted(folder.glob("*.json")):
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            records.append({"hand_in": path.name, "reason": "record unreadable"})
    return records


class PrivateSubmit(ExchangeSubmit):
    """``nbgrader submit`` whose hand-in nobody but the learner and the grader account can read
    (folder 0750, files 0640, group inherited from the setgid ``inbound``), from the first byte:
    the folder is created 0700 (exclusively: an existing name is never written into) and filled
    under umask 027; nbgrader's own version leaves it 0777 with files 0644."""

    def copy_files(self):
        from nbgrader.utils import ignore_patterns

        self.init_release()
        submission_secret = secrets.token_hex(64)
        dest_path = os.path.join(self.inbound_path, self.assignment_filename)
        if self.add_random_string:
            cache_path = os.path.join(self.cache_path, self.assignment_filename.rsplit("+", 1)[0])
        else:
            cache_path = os.path.join(self.cache_path, self.assignment_filename)
        self.log.info(f"Source: {self.src_path}")
        self.log.info(f"Destination: {dest_path}")
        self.check_filename_diff()
        if self.get_size(self.src_path) > 1000 * self.coursedir.max_dir_size:
            self.fail(f"Directory size is too big (CourseDirectory.max_dir_size is {self.coursedir.max_dir_size} KB)")
        ignore = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                 max_file_size=self.coursedir.max_file_size, log=self.log)
        old_umask = os.umask(0o027)
        try:
            os.mkdir(dest_path, 0o700)
            for dirpath, dirnames, filenames in os.walk(self.src_path):
                rel = os.path.relpath(dirpath, self.src_path)
                target = dest_path if rel == "." else os.path.join(dest_path, rel)
                ignored = set(ignore(dirpath, dirnames + filenames))
                dirnames[:] = [d for d in dirnames if d not in ignored]
                for name in dirnames:
                    os.mkdir(os.path.join(target, name), 0o750)
                for name in filenames:
                    if name not in ignored:
                        shutil.copyfile(os.path.join(dirpath, name), os.path.join(target, name))
            for name, text in (("timestamp.txt", self.timestamp), ("submission_secret.txt", submission_secret)):
                with open(os.path.join(dest_path, name), "w") as fh:
                    fh.write(text)
            self.set_perms(dest_path, fileperms=0o640, dirperms=0o750)
        finally:
            os.umask(old_umask)

        os.makedirs(self.cache_path, exist_ok=True)
        self.do_copy(self.src_path, cache_path)
        for name, text in (("timestamp.txt", self.timestamp), ("submission_secret.txt", submission_secret)):
            with open(os.path.join(cache_path, name), "w") as fh:
                fh.write(text)
        self.log.info(f"Submitted as: {self.coursedir.course_id} {self.coursedir.assignment_id} {self.timestamp}")


class PrivateReleaseFeedback(ExchangeReleaseFeedback):
    """``nbgrader release_feedback`` whose files only their student can read (see the module's
    text); the file is complete and private before it takes its published name."""

    def copy_files(self):
        import glob
        import re

        exclude = set(self.coursedir.student_id_exclude.split(",")) if self.coursedir.student_id_exclude else set()
        regexp = re.escape(os.path.sep).join([
            self.coursedir.format_path(self.coursedir.feedback_directory, "(?P<student_id>.*)",
                                       self.coursedir.assignment_id, escape=True),
            "(?P<notebook_id>.*).html"])
        for html_file in glob.glob(os.path.join(self.src_path, "*.html")):
            m = re.match(regexp, html_file)
            if m is None:
                self.log.error("Could not match '%s' with regexp '%s'", html_file, regexp)
                continue
            student_id, notebook_id = m.group("student_id"), m.group("notebook_id")
            if student_id in exclude:
                continue
            uid = student_account(student_id)
            if uid is None:
                self.log.error(f"Feedback for '{student_id}' not released: there is no account of that name")
                continue
            feedback_dir = os.path.dirname(html_file)
            with open(os.path.join(feedback_dir, "timestamp.txt")) as fh:
                timestamp = fh.read()
            with open(os.path.join(feedback_dir, "submission_secret.txt")) as fh:
                secret = fh.read()
            checksum = notebook_hash(secret=secret, notebook_id=notebook_id)
            staging = os.path.join(self.dest_path, f".{checksum}-{secrets.token_hex(6)}.tmp")
            self.log.info(f"Releasing feedback for student '{student_id}' on assignment "
                          f"'{self.coursedir.course_id}/{self.coursedir.assignment_id}/{notebook_id}' ({timestamp})")
            with open(html_file, "rb") as src:
                descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                with os.fdopen(descriptor, "wb") as out:
                    shutil.copyfileobj(src, out)
            try:
                readable_by(staging, uid)
            except OSError as exc:
                os.unlink(staging)
                self.fail(f"Feedback cannot be made readable to {student_id} alone ({exc.strerror}): the "
                          f"exchange's file system needs POSIX ACLs (ext4, xfs, btrfs have them)")
            published = os.path.join(self.dest_path, f"{checksum}.html")
            os.replace(staging, published)
            self.log.info(f"Feedback released to: {published}")
