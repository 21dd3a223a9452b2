"""A hand-in belongs to the person who made it, on a real hub (the hub of tests/test_hub.py: PAM
users, their own JupyterLab servers, PostgreSQL, the grader account): attacks from learners'
kernels on nbgrader's exchange, then checks that nothing changed (file hashes of submitted/,
the gradebook's rows, the audit trail).  The same attacks without a hub, faster, are in
tests/test_exchange_trust.py."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import sqlite3
import time

import pytest

from hub_world import run_in_kernel, start_server, user_token
from test_hub import cluster, hub  # noqa: F401 - the same hub fixture

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="the hub spawns servers as other users: needs root")]
A = "all-staff-exam"


def _tree(folder) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(b"L" + os.readlink(path).encode() if path.is_symlink() else
                      path.read_bytes() if path.is_file() else b"D")
    return digest.hexdigest()


def _gradebook_rows(hub) -> list:
    gradebook = hub.course_root / "gradebook.db"
    if not gradebook.exists():
        return []
    with sqlite3.connect(gradebook) as conn:
        return conn.execute("SELECT sa.student_id, sa.timestamp, a.name FROM submitted_assignment sa "
                            "JOIN assignment a ON a.id = sa.assignment_id ORDER BY 1, 2, 3").fetchall()


def _no_canary(hub, canary: bytes, *folders) -> None:
    """The key's mark is in no file under ``folders``; no link either, except in the quarantine,
    which keeps a refused hand-in as it was handed in (its links too, never followed)."""
    quarantine = hub.root / "exchange" / "iso20k" / "quarantine"
    for folder in folders:
        for path in folder.rglob("*") if folder.exists() else []:
            if path.is_symlink():
                assert path.is_relative_to(quarantine), f"{path} is a link"
                continue
            assert not path.is_file() or canary not in path.read_bytes(), f"the answer key was copied into {path}"


def _hand_in(hub, user, token, assignment=A):
    done = run_in_kernel(hub, user, token, "\n".join([
        "import subprocess",
        f"for cmd in (['nbgrader', 'fetch_assignment', '{assignment}'], ['nbgrader', 'submit', '{assignment}']):",
        "    done = subprocess.run(cmd, capture_output=True, text=True)",
        "    print(done.returncode, done.stderr[-300:].replace(chr(10), ' ') if done.returncode else '')"]), timeout=240)
    # fetch may say the learner has a copy already; the hand-in itself must succeed
    assert done["stdout"].splitlines()[-1].split()[0] == "0", done


def _forge(hub, forger, token, victim, stamp, extra="") -> str:
    """``forger``'s kernel makes a complete hand-in named for ``victim``: folder, notebook,
    timestamp.txt and submission_secret.txt."""
    inbound = hub.root / "exchange" / "iso20k" / "inbound"
    name = f"{victim}+{A}+{stamp}+{secrets.token_urlsafe(6)}"
    done = run_in_kernel(hub, forger, token, "\n".join([
        "import os, secrets",
        f"d = os.path.join({str(inbound)!r}, {name!r})",
        "os.mkdir(d); os.chmod(d, 0o777)",
        f"open(os.path.join(d, '{A}.ipynb'), 'w').write('{{\"cells\": [], \"metadata\": {{}}, \"nbformat\": 4, "
        f"\"nbformat_minor\": 5, \"forged_by\": \"{forger}\"}}')",
        f"open(os.path.join(d, 'timestamp.txt'), 'w').write({stamp!r})",
        "open(os.path.join(d, 'submission_secret.txt'), 'w').write(secrets.token_hex(64))",
        extra, "print('forged')"]))
    assert done["stdout"].strip() == "forged", done
    return name


def test_hand_ins_in_another_name_or_with_links_are_quarantined_and_the_real_ones_kept(hub):
    from iso20k.audit import entries
    from iso20k.store import ProgressStore

    a, b = hub.learners[:2]
    key = hub.course_root / "exams" / f"{A}.yaml"
    canary = f"# answer-key-canary-{secrets.token_hex(16)}".encode()
    with open(key, "ab") as fh:  # a mark only the answer key holds
        fh.write(b"\n" + canary + b"\n")
    hub.as_grader("nbgrader", "generate_assignment", A, "--force")
    hub.as_grader("nbgrader", "release_assignment", A, "--force")
    token_a, token_b = user_token(hub, a.user), user_token(hub, b.user)
    start_server(hub, a.user, token_a)
    start_server(hub, b.user, token_b)
    inbound = hub.root / "exchange" / "iso20k" / "inbound"
    submitted = hub.course_root / "submitted"

    # before B's real hand-in: A's forgery in B's name, the newest of B's hand-ins
    early = _forge(hub, a.user, token_a, b.user, "2099-01-01 10:00:00.000000 UTC")
    _hand_in(hub, b.user, token_b)
    real = sorted(p for p in inbound.iterdir() if p.name.startswith(f"{b.user}+{A}+") and p.name != early)[-1]
    # A's own hand-in, with a link to the answer key
    _hand_in(hub, a.user, token_a)
    [own] = [p for p in inbound.iterdir() if p.name.startswith(f"{a.user}+{A}+")]
    linked = run_in_kernel(hub, a.user, token_a, f"import os; os.symlink({str(key)!r}, "
                                                 f"os.path.join({str(own)!r}, 'notes.txt')); print('linked')")
    assert linked["stdout"].strip() == "linked", linked
    shutil.rmtree(submitted / b.user / A, ignore_errors=True)
    shutil.rmtree(submitted / a.user / A, ignore_errors=True)
    collected = hub.as_grader("nbgrader", "collect", A)
    out = collected.stdout + collected.stderr
    assert early in out and "REFUSED" in out and "is a link" in out, out
    assert (submitted / b.user / A / f"{A}.ipynb").read_bytes() == (real / f"{A}.ipynb").read_bytes()
    assert not (submitted / a.user / A).exists()

    # after B's hand-in was collected: another forgery, collected with --update
    kept, rows = _tree(submitted / b.user / A), _gradebook_rows(hub)
    late = _forge(hub, a.user, token_a, b.user, "2099-06-01 10:00:00.000000 UTC",
                  extra=f"os.symlink({str(key)!r}, os.path.join(d, 'notes.txt'))")
    collected = hub.as_grader("nbgrader", "collect", "--update", A)
    assert late in collected.stdout + collected.stderr
    assert _tree(submitted / b.user / A) == kept and _gradebook_rows(hub) == rows

    # the trainers see them: the trail, 'iso20k quarantine', the grader-only quarantine folder
    store = ProgressStore(hub.db_url)
    try:
        trail = [e for e in entries(store) if e.action == "hand-in-quarantined"]
    finally:
        store.close()
    assert {e.details["hand_in"] for e in trail} >= {early, late}, trail
    assert all(e.subject == f"{b.user}/{A}" and e.details["owner"] == a.user for e in trail
               if e.details["hand_in"] in (early, late))
    listed = hub.as_grader("iso20k", "quarantine").stdout
    assert f"named for {b.user}, made by {a.user}" in listed and f"named for {a.user}, made by {a.user}" in listed
    assert "NOT recorded" not in listed, listed
    verify = hub.iso20k("audit-trail", "verify", check=False)
    assert "BROKEN" not in verify.stdout, verify.stdout

    # the key is nowhere a learner's hand-in went, also after grading
    hub.as_grader("iso20k", "autograde", A, "--jobs", "1")
    _no_canary(hub, canary, submitted, hub.course_root / "autograded",
               hub.root / "exchange" / "iso20k" / "quarantine")


def test_swapping_files_for_links_while_collect_runs_copies_no_key(hub):
    a = hub.learners[0]
    key = hub.course_root / "exams" / f"{A}.yaml"
    canary = f"# answer-key-canary-{secrets.token_hex(16)}".encode()
    with open(key, "ab") as fh:
        fh.write(b"\n" + canary + b"\n")
    token_a = user_token(hub, a.user)
    start_server(hub, a.user, token_a)
    inbound = hub.root / "exchange" / "iso20k" / "inbound"
    submitted = hub.course_root / "submitted"
    _hand_in(hub, a.user, token_a)
    own = sorted(p for p in inbound.iterdir() if p.name.startswith(f"{a.user}+{A}+"))[-1]
    # from A's kernel, a process that keeps swapping files and a folder of the hand-in for links
    started = run_in_kernel(hub, a.user, token_a, "\n".join([
        "import subprocess, sys, textwrap",
        "loop = textwrap.dedent('''",
        "    import os, time",
        f"    d, key = {str(own)!r}, {str(key)!r}",
        "    end = time.time() + 90",
        "    while time.time() < end:",
        f"        for name in ('notes.txt', '{A}.ipynb', 'timestamp.txt'):",
        "            try:",
        "                os.symlink(key, os.path.join(d, '.l')); os.replace(os.path.join(d, '.l'), os.path.join(d, name))",
        "                open(os.path.join(d, '.f'), 'w').write('2026-01-01 00:00:00.000000 UTC')",
        "                os.replace(os.path.join(d, '.f'), os.path.join(d, name))",
        "            except OSError:",
        "                pass",
        "        try:",
        "            os.symlink(os.path.dirname(key), os.path.join(d, 'sub')); os.unlink(os.path.join(d, 'sub'))",
        "            os.mkdir(os.path.join(d, 'sub')); os.rmdir(os.path.join(d, 'sub'))",
        "        except OSError:",
        "            pass",
        "''')",
        "p = subprocess.Popen([sys.executable, '-c', loop], start_new_session=True)",
        "print(p.pid)"]))
    assert started["stdout"].strip().isdigit(), started
    deadline, rounds = time.monotonic() + 80, 0
    while time.monotonic() < deadline and rounds < 8 and own.exists():
        shutil.rmtree(submitted / a.user / A, ignore_errors=True)
        hub.as_grader("nbgrader", "collect", A)
        _no_canary(hub, canary, submitted)
        rounds += 1
    assert rounds >= 1
    _no_canary(hub, canary, submitted, hub.root / "exchange" / "iso20k" / "quarantine")


def test_learners_cannot_read_each_others_hand_ins_or_feedback_even_by_name(hub):
    import pwd

    from nbgrader.utils import notebook_hash

    from iso20k.grading.acl import named_readers

    a, b = hub.learners[:2]
    token_a, token_b = user_token(hub, a.user), user_token(hub, b.user)
    start_server(hub, a.user, token_a)
    start_server(hub, b.user, token_b)
    hub.as_grader("nbgrader", "generate_assignment", A, "--force")
    hub.as_grader("nbgrader", "release_assignment", A, "--force")
    _hand_in(hub, b.user, token_b)
    inbound = hub.root / "exchange" / "iso20k" / "inbound"
    real = sorted(p for p in inbound.iterdir() if p.name.startswith(f"{b.user}+{A}+")
                  and (p / "timestamp.txt").exists() and p.stat().st_uid != 0)[-1]
    shutil.rmtree(hub.course_root / "submitted" / b.user / A, ignore_errors=True)
    hub.as_grader("nbgrader", "collect", A)
    hub.as_grader("iso20k", "autograde", A, "--jobs", "1")
    hub.as_grader("nbgrader", "generate_feedback", A, "--student", b.user, "--force")
    hub.as_grader("nbgrader", "release_feedback", A, "--student", b.user)
    secret = (hub.course_root / "submitted" / b.user / A / "submission_secret.txt").read_text()
    feedback = hub.root / "exchange" / "iso20k" / "feedback" / f"{notebook_hash(secret=secret, notebook_id=A)}.html"
    assert feedback.exists() and feedback.stat().st_mode & 0o077 == 0o040
    assert named_readers(feedback) == {pwd.getpwnam(b.user).pw_uid: 4}  # B alone, by an ACL entry
    got = run_in_kernel(hub, b.user, token_b, "\n".join([
        "import glob, subprocess",
        f"done = subprocess.run(['nbgrader', 'fetch_feedback', '{A}'], capture_output=True, text=True)",
        f"print(done.returncode, len(glob.glob('iso20k/{A}/feedback/*/*.html')))"]), timeout=240)
    assert got["stdout"].split()[0] == "0" and int(got["stdout"].split()[1]) >= 1, got
    probes = {"list inbound": f"os.listdir({str(inbound)!r})",
              "list the hand-in": f"os.listdir({str(real)!r})",
              "read the notebook": f"open({str(real / (A + '.ipynb'))!r}).read()",
              "read the secret": f"open({str(real / 'submission_secret.txt')!r}).read()",
              "add a file": f"open({str(real / 'extra.txt')!r}, 'w')",
              "rename it": f"os.rename({str(real)!r}, {str(real)!r} + '-x')",
              "read the feedback": f"open({str(feedback)!r}).read()",
              "list the feedback": f"os.listdir({str(feedback.parent)!r})"}
    for what, code in probes.items():
        outcome = run_in_kernel(hub, a.user, token_a, f"import os, glob\n{code}")
        assert outcome["error"], f"{what}: {outcome}"
    guessed = run_in_kernel(hub, a.user, token_a, f"import glob; print(glob.glob({str(inbound)!r} + '/{b.user}+*'), "
                                                  f"glob.glob({str(feedback.parent)!r} + '/*.html'))")
    assert guessed["stdout"].strip() == "[] []", guessed
    assert real.exists() and not (real / "extra.txt").exists()
