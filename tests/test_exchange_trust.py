"""A hand-in belongs to the person who made it: nbgrader's exchange with the course's plugins
(iso20k.grading.exchange), attacked from real learner accounts.

Real operating-system users (random tags, removed at the end), the exchange laid out by the hub's
own ``prepare_exchange``, learners running nbgrader with the hub's learner configuration and the
grader account collecting, all through ``setpriv`` -- no hub, so it runs in a minute.  The same
attacks from learners' kernels on a real hub are in tests/test_hub.py."""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="creates operating-system users: needs root")]

REPO = Path(__file__).resolve().parent.parent
A = "all-staff-exam"


class World:
    def __init__(self, base: Path, python: Path):
        from iso20k.hub.config import prepare_exchange, write_learner_config
        from iso20k.settings import Settings

        self.base, self.python = base, python
        tag = secrets.token_hex(3)
        self.grader, self.a, self.b = f"gr-{tag}", f"ex{tag}a", f"ex{tag}b"
        self.users = [self.grader, self.a, self.b]
        for name in self.users:
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        self.course = base / "course"
        self.course.mkdir(mode=0o700)
        for part in ("exams", "source", "release", "forms"):
            shutil.copytree(REPO / part, self.course / part)
        shutil.copy(REPO / "nbgrader_config.py", self.course / "nbgrader_config.py")
        # a mark only the answer key holds: found anywhere else, the key was copied there
        self.canary = f"# answer-key-canary-{secrets.token_hex(16)}\n".encode()
        with open(self.course / "exams" / f"{A}.yaml", "ab") as key:
            key.write(self.canary)
        subprocess.run(["chown", "-R", f"{self.grader}:", str(self.course)], check=True)
        self.exchange = base / "exchange"
        prepare_exchange(self.exchange, pwd.getpwnam(self.grader))
        self.inbound = self.exchange / "iso20k" / "inbound"
        self.data = base / "data"
        self.data.mkdir(mode=0o700)
        shutil.chown(self.data, self.grader, self.grader)
        self.env = {"PATH": f"{python.parent}:/usr/bin:/bin", "LANG": "C.UTF-8", "ISO20K_ENV_FILE": "",
                    "ISO20K_EXCHANGE_DIR": str(self.exchange), "ISO20K_DATA_DIR": str(self.data),
                    "ISO20K_COURSE_ROOT": str(self.course)}
        launch = write_learner_config(Settings(exchange_dir=self.exchange, _env_file=None), base / "learner-config")
        self.learner_config = launch.folder

    def run(self, user: str, *argv: str, cwd: Path | None = None, check: bool = True,
            env: dict | None = None) -> subprocess.CompletedProcess:
        entry = pwd.getpwnam(user)
        learner = user != self.grader
        full = {**self.env, "HOME": entry.pw_dir, "USER": user, **(env or {})}
        if learner:  # a learner's server: the hub's learner configuration, never the course's
            full = {k: v for k, v in full.items() if not k.startswith("ISO20K_")}
            full["JUPYTER_CONFIG_PATH"] = str(self.learner_config)
        done = subprocess.run(["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
                               *argv], cwd=cwd or (self.course if not learner else entry.pw_dir), env=full,
                              capture_output=True, text=True, timeout=600)
        if check and done.returncode != 0:
            raise AssertionError(f"{argv} as {user} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    def nbgrader(self, user: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(user, str(self.python.with_name("nbgrader")), *args, check=check)

    def py(self, user: str, code: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(user, str(self.python), "-c", textwrap.dedent(code), check=check)

    def hand_ins(self, user: str) -> list[Path]:
        return sorted(p for p in self.inbound.iterdir() if p.name.startswith(f"{user}+{A}+"))

    def forge(self, forger: str, victim: str, stamp: str, extra: str = "") -> str:
        """``forger`` makes a complete hand-in named for ``victim`` in inbound, from their own account."""
        name = f"{victim}+{A}+{stamp}+{secrets.token_urlsafe(6)}"
        self.py(forger, f"""
            import os, secrets
            d = os.path.join({str(self.inbound)!r}, {name!r})
            os.mkdir(d, 0o777); os.chmod(d, 0o777)
            for n, t in (("{A}.ipynb", '{{"cells": [], "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5, "forged": "by {forger}"}}'),
                         ("timestamp.txt", {stamp!r}), ("submission_secret.txt", secrets.token_hex(64))):
                with open(os.path.join(d, n), "w") as f: f.write(t)
                os.chmod(os.path.join(d, n), 0o666)
            {extra}
        """)
        return name

    def submit(self, user: str) -> Path:
        self.nbgrader(user, "fetch_assignment", A, check=False)
        self.nbgrader(user, "submit", A)
        return self.hand_ins(user)[-1]

    def cleanup(self) -> None:
        for name in self.users:
            subprocess.run(["pkill", "-KILL", "-u", name], check=False)
            subprocess.run(["userdel", "--remove", name], check=False, capture_output=True)


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_symlink():
            digest.update(b"link:" + os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def no_key_in(world: World, *folders: Path) -> None:
    for folder in folders:
        for path in folder.rglob("*") if folder.exists() else []:
            assert not path.is_symlink(), f"{path} is a link"
            if path.is_file():
                data = path.read_bytes()
                assert world.canary.strip() not in data, f"the answer key is in {path}"


@pytest.fixture(scope="module")
def world():
    from hub_world import install_product

    base = Path(tempfile.mkdtemp(prefix="iso20k-exchange-"))
    base.chmod(0o755)
    python = Path(os.environ["ISO20K_TEST_HUB_PYTHON"]) if os.environ.get("ISO20K_TEST_HUB_PYTHON") \
        else install_product()
    w = World(base, python)
    try:
        w.nbgrader(w.grader, "release_assignment", A, "--force")
        yield w
    finally:
        w.cleanup()
        shutil.rmtree(base, ignore_errors=True)


def trail(world: World) -> list:
    from iso20k.audit import entries
    from iso20k.store import ProgressStore

    store = ProgressStore(f"sqlite:///{world.data / 'progress.sqlite'}")
    try:
        return [e for e in entries(store) if e.action == "hand-in-quarantined"]
    finally:
        store.close()


def test_a_hand_in_is_private_to_its_learner_and_the_grader(world):
    hand_in = world.submit(world.b)
    info = hand_in.stat()
    assert (oct(info.st_mode & 0o777), pwd.getpwuid(info.st_uid).pw_name) == ("0o750", world.b)
    assert info.st_gid == pwd.getpwnam(world.grader).pw_gid
    for path in hand_in.rglob("*"):
        assert path.stat().st_mode & 0o027 == 0, path
    peek = world.py(world.a, f"""
        import os
        for probe in (lambda: os.listdir({str(world.inbound)!r}), lambda: os.listdir({str(hand_in)!r}),
                      lambda: open({str(hand_in / 'submission_secret.txt')!r}).read(),
                      lambda: open({str(hand_in / (A + '.ipynb'))!r}).read(),
                      lambda: open(os.path.join({str(hand_in)!r}, 'extra.txt'), 'w'),
                      lambda: os.rename({str(hand_in)!r}, {str(hand_in)!r} + 'x')):
            try:
                probe(); print('READ')
            except PermissionError:
                print('refused')
    """)
    assert peek.stdout.split() == ["refused"] * 6, peek.stdout + peek.stderr


def test_a_forged_hand_in_is_quarantined_and_never_replaces_the_real_one(world):
    # a forgery before the colleague's real hand-in (B handed in by the test above), one after
    early = world.forge(world.a, world.b, "2020-01-01 10:00:00.000000 UTC")
    collected = world.nbgrader(world.grader, "collect", A)
    out = collected.stdout + collected.stderr
    assert "REFUSED" in out and early in out, out
    real = world.course / "submitted" / world.b / A
    [genuine] = world.hand_ins(world.b)
    assert (real / f"{A}.ipynb").read_bytes() == (genuine / f"{A}.ipynb").read_bytes()
    assert b"forged" not in (real / f"{A}.ipynb").read_bytes()
    kept = tree_hash(real)

    late = world.forge(world.a, world.b, "2099-01-01 10:00:00.000000 UTC")
    broken = world.forge(world.a, world.b, "not-a-time")
    collected = world.nbgrader(world.grader, "collect", "--update", A)
    out = collected.stdout + collected.stderr
    assert late in out and broken in out and "REFUSED" in out, out
    assert tree_hash(real) == kept
    assert [p.name for p in world.hand_ins(world.b)] == [genuine.name]  # the forgeries left inbound
    quarantine = world.exchange / "iso20k" / "quarantine"
    assert oct(quarantine.stat().st_mode & 0o777) == "0o700"
    records = [json.loads(p.read_text()) for p in quarantine.glob("*.json")]
    assert {r["hand_in"] for r in records} >= {early, late, broken}
    assert all(r["owner"] == world.a and r["claimed_student"] == world.b for r in records
               if r["hand_in"] in (early, late, broken))
    for r in records:  # what each held, hashed, in the record and fixed by the trail
        if r["hand_in"] in (early, late, broken):
            assert [i["sha256"] for i in r["contents"] if i["path"] == f"{A}.ipynb"], r
    entries = [e for e in trail(world) if e.details["hand_in"] in (early, late, broken)]
    assert len(entries) == 3 and all(len(e.details["contents_sha256"]) == 64 for e in entries), records
    assert {e.subject for e in entries} == {f"{world.b}/{A}"}
    listed = world.run(world.grader, str(world.python.with_name("iso20k")), "quarantine").stdout
    assert f"named for {world.b}, made by {world.a}" in listed and "NOT recorded" not in listed, listed
    # the forger can no longer reach what was quarantined
    peek = world.py(world.a, f"import os; print(os.listdir({str(quarantine)!r}))", check=False)
    assert "PermissionError" in peek.stderr


def test_a_hand_in_with_a_link_to_the_answer_key_is_refused(world):
    key = world.course / "exams" / f"{A}.yaml"
    hand_in = world.submit(world.a)
    world.py(world.a, f"""
        import os
        os.symlink({str(key)!r}, os.path.join({str(hand_in)!r}, 'notes.txt'))
        os.mkdir(os.path.join({str(hand_in)!r}, 'more'))
        os.symlink({str(key.parent)!r}, os.path.join({str(hand_in)!r}, 'more', 'exams'))
    """)
    collected = world.nbgrader(world.grader, "collect", A)
    assert "is a link" in collected.stdout + collected.stderr
    assert not (world.course / "submitted" / world.a / A).exists()
    no_key_in(world, world.course / "submitted", world.course / "autograded")
    # a forged hand-in with a link is quarantined without the link ever being followed
    world.forge(world.a, world.b, "2098-01-01 10:00:00.000000 UTC",
                extra=f"os.symlink({str(key)!r}, os.path.join(d, 'notes.txt')); os.chmod(d, 0o700)")
    world.nbgrader(world.grader, "collect", "--update", A)
    no_key_in(world, world.course / "submitted", world.exchange / "iso20k" / "quarantine")


def test_swapping_files_for_links_while_collect_runs_copies_no_key(world):
    key = world.course / "exams" / f"{A}.yaml"
    shutil.rmtree(world.course / "submitted" / world.a, ignore_errors=True)
    hand_in = world.submit(world.a)
    swapper = subprocess.Popen(
        ["setpriv", f"--reuid={pwd.getpwnam(world.a).pw_uid}", f"--regid={pwd.getpwnam(world.a).pw_gid}",
         "--init-groups", str(world.python), "-c", textwrap.dedent(f"""
            import os, time
            d = {str(hand_in)!r}
            end = time.time() + 60
            while time.time() < end:
                for name in ('notes.txt', '{A}.ipynb'):
                    try:
                        os.symlink({str(key)!r}, os.path.join(d, '.l'))
                        os.replace(os.path.join(d, '.l'), os.path.join(d, name))
                        with open(os.path.join(d, '.f'), 'w') as f: f.write('plain')
                        os.replace(os.path.join(d, '.f'), os.path.join(d, name))
                    except OSError:
                        pass
                try:
                    os.mkdir(os.path.join(d, '.dir'))
                    os.replace(os.path.join(d, '.dir'), os.path.join(d, 'sub'))
                    os.rmdir(os.path.join(d, 'sub'))
                    os.symlink({str(key.parent)!r}, os.path.join(d, 'sub'))
                    os.unlink(os.path.join(d, 'sub'))
                except OSError:
                    pass
        """)], cwd="/")
    try:
        outcomes = []
        for _round in range(6):
            shutil.rmtree(world.course / "submitted" / world.a, ignore_errors=True)
            done = world.nbgrader(world.grader, "collect", A)
            outcomes.append("REFUSED" in done.stdout + done.stderr)
            no_key_in(world, world.course / "submitted")
            if any(outcomes):
                hand_in_now = world.hand_ins(world.a)
                if not hand_in_now:  # quarantined: hand in again and keep racing
                    break
    finally:
        swapper.kill()
        swapper.wait()
    no_key_in(world, world.course / "submitted", world.exchange / "iso20k" / "quarantine")


def test_feedback_is_readable_by_its_learner_alone(world):
    from nbgrader.utils import notebook_hash

    from iso20k.grading.acl import named_readers

    real = world.course / "submitted" / world.b / A
    feedback = world.course / "feedback" / world.b / A
    world.run(world.grader, "mkdir", "-p", str(feedback))
    for name in ("timestamp.txt", "submission_secret.txt"):
        world.run(world.grader, "cp", str(real / name), str(feedback / name))
    world.py(world.grader, f"open({str(feedback / (A + '.html'))!r}, 'w').write('<p>feedback for {world.b}</p>')")
    world.nbgrader(world.grader, "release_feedback", A)
    secret = (real / "submission_secret.txt").read_text()
    released = world.exchange / "iso20k" / "feedback" / f"{notebook_hash(secret=secret, notebook_id=A)}.html"
    assert released.exists() and released.stat().st_mode & 0o077 == 0o040  # the ACL mask: one named user
    assert named_readers(released) == {pwd.getpwnam(world.b).pw_uid: 4}
    got = world.nbgrader(world.b, "fetch_feedback", A)
    fetched = list(Path(pwd.getpwnam(world.b).pw_dir).glob(f"iso20k/{A}/feedback/*/{A}.html"))
    assert fetched and world.b in fetched[0].read_text(), got.stdout + got.stderr
    peek = world.py(world.a, f"""
        import os
        for probe in (lambda: open({str(released)!r}).read(),
                      lambda: os.listdir({str(released.parent)!r})):
            try:
                probe(); print('READ')
            except PermissionError:
                print('refused')
    """)
    assert peek.stdout.split() == ["refused", "refused"], peek.stdout + peek.stderr
