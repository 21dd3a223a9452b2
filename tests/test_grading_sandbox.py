"""The grading sandbox against adversarial submissions, with the real nbgrader CLI, a real
SQLite gradebook, real bubblewrap and real kernels.

The sandbox runs learners' code only for an assessment that needs it: here a practical task (the
fixture exam with its first answer written as code in an nbgrader solution cell).  Each attack
is code in that cell.  It prints ``HARM: ...`` if it got anywhere and
``blocked: ...`` if not; the tests also check the harm itself (files, gradebook, a TCP server,
feedback pages) rather than trusting what the attack printed."""

from __future__ import annotations

import ast
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from iso20k.grading.parallel import autograde
from nbgrader_course import PRACTICAL, add_practical, fill_practical, grades, nbgrader, new_course, submit

pytestmark = pytest.mark.slow
FIXTURE_EXAMS = Path(__file__).parent / "fixtures" / "exams"
A = PRACTICAL
RIGHT = {"q01": "b", "q02": "D", "q03": "BADC"}
HONEST = {"aa-right": RIGHT, "ab-partly": {"q01": "B", "q02": "C", "q03": "ABCD"}}
SECRETS = ("assert_key(answer_", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "'BADC'", "&#39;BADC&#39;",
           "BEGIN MARK SCHEME", "requirement cited")

TRY = '''
def attempt(what, action):
    try:
        result = action()
        print("HARM:", what, str(result)[:300])
    except BaseException as exc:
        print("blocked:", what, type(exc).__name__)
'''


def answer(release: dict, answers: dict[str, str]) -> dict:
    """An honest submission: the first answer written as the code the task asks for."""
    return fill_practical(release, f'answer_q01 = "{answers["q01"]}"', {k: v for k, v in answers.items() if k != "q01"})


def attacks(course: Path, port: int) -> dict[str, str]:
    c = str(course)
    victim = f"{c}/submitted/aa-right/{A}/{A}.ipynb"
    return {
        "x-gradebook": TRY + f'''
import sqlite3
def cheat():
    con = sqlite3.connect("file:{c}/gradebook.db?mode=rw", uri=True)
    con.execute("update grade set manual_score = 99")
    con.commit()
    return "gradebook changed"
attempt("gradebook", cheat)
attempt("any database", lambda: __import__("glob").glob("{c}/*.db") or 1 / 0)
''',
        "x-overwrite": TRY + f'''
import os
def overwrite(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("PWNED")
    return path
attempt("submitted notebook of another learner", lambda: overwrite("{victim}"))
attempt("relative path to another learner", lambda: overwrite("../../aa-right/{A}/{A}.ipynb"))
attempt("autograded folder", lambda: overwrite("{c}/autograded/aa-right/{A}/PWNED.txt"))
attempt("course folder", lambda: overwrite("{c}/PWNED.txt"))
attempt("system folder", lambda: overwrite("/usr/PWNED.txt"))
''',
        "x-source": TRY + f'''
import os
attempt("source notebook", lambda: open("{c}/source/{A}/{A}.ipynb").read())
attempt("relative source", lambda: open("../../../source/{A}/{A}.ipynb").read())
attempt("course folder", lambda: os.listdir("{c}"))
attempt("another learner", lambda: open("{victim}").read())
attempt("trainer's home", lambda: open(os.path.expanduser("~root/.profile")).read())
attempt("grader's home", lambda: open("{Path.home()}/.profile").read())
attempt("root-only file", lambda: open("/etc/shadow").read())
attempt("grader's environment", lambda: [k for k in os.environ if k.startswith("ISO20K_")] or 1 / 0)
''',
        "x-network": TRY + f'''
import socket
attempt("grader's machine", lambda: socket.create_connection(("127.0.0.1", {port}), 2))
attempt("outside world", lambda: socket.create_connection(("1.1.1.1", 53), 2))
attempt("name lookup", lambda: socket.getaddrinfo("example.com", 80))
''',
        "x-disk": TRY + '''
def fill(path, mib):
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(b"0" * 1024 * 1024)
    return path
attempt("a huge file in the working copy", lambda: fill("huge.bin", 20))
attempt("filling /tmp", lambda: [fill(f"/tmp/part{i}", 1) for i in range(20)])
''',
        "x-fork": '''
import os, time
children = 0
started = time.time()
try:
    while time.time() - started < 3:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
    print("HARM: forked", children)
except OSError as exc:
    print("blocked: fork stopped after", children, "children:", type(exc).__name__)
    raise
''',
        "x-memory": "hog = bytearray(3 * 1024 ** 3)\n",
        "x-print": 'while True:\n    print("flood " * 100)\n',
        "x-exit": "import os\nos._exit(0)\n",
        "x-shutdown": "get_ipython().kernel.do_shutdown(False)\nimport asyncio\n"
                      "asyncio.ensure_future(get_ipython().kernel.do_shutdown(False))\n",
        "x-hook": '''
import re, sys
from IPython.display import display
board = display("results will appear here", display_id=True)
def spy(info):
    print("CAP" "TURED:", info.raw_cell)  # split: the marker appears only when printed
    keys = re.findall(r"assert_key\\(answer_\\w+, '(\\w+)'\\)", info.raw_cell)
    if keys:
        print("KE" "YS", *keys)
        board.update("KE" "YS " + " ".join(keys))
def later(result):
    print("AF" "TER:", result.info.raw_cell)
get_ipython().events.register("pre_run_cell", spy)
get_ipython().events.register("post_run_cell", later)
def profile(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "assert_key":
        print("PROFILED" " KEY", frame.f_locals.get("key"))
sys.setprofile(profile)
def trace(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "assert_key":
        print("TRACED" " KEY", frame.f_locals.get("key"))
    return None
sys.settrace(trace)
''',
    }


class Listener:
    """A TCP server on the grader's loopback: the sandboxed kernel must never reach it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("sandbox")
    course = add_practical(new_course(base / "course", FIXTURE_EXAMS))
    release = json.loads((course / "release" / A / f"{A}.ipynb").read_text())
    for student, answers in HONEST.items():
        submit(course, A, student, answer(release, answers))
    honest_only = base / "serial"
    shutil.copytree(course, honest_only)
    listener = Listener()
    for student, code in attacks(course, listener.port).items():
        # q01 is the attack; q02 right and q03 wrong, so the rest of each notebook shows it ran.
        submit(course, A, student, fill_practical(release, code + 'answer_q01 = "A"\n', {"q02": "D", "q03": "ABCD"}))
    before = {"source": files(course / "source"), "release": files(course / "release"),
              "honest": {s: files(course / "submitted" / s) for s in HONEST}}
    env = {"ISO20K_GRADING_CELL_TIMEOUT_S": "10", "ISO20K_GRADING_OUTPUT_LIMIT_KB": "64",
           "ISO20K_GRADING_PROCESS_LIMIT": "48", "ISO20K_GRADING_DISK_LIMIT_MB": "8"}
    nbgrader(honest_only, "autograde", A, "--force", env=env)
    os.environ.update(env)
    try:
        summary = autograde(course, A, jobs=2, time_limit=90, memory_mb=1024, progress=False)
    finally:
        for name in env:
            del os.environ[name]
    listener.sock.close()
    nbgrader(course, "generate_feedback", A, "--force", check=False)
    return course, honest_only, summary, before, listener


def outcomes(summary):
    return {o.student: o for o in summary.outcomes}


def run_output(course: Path, student: str) -> str:
    """What the learner's code printed or displayed during grading (what formgrader shows graders;
    tracebacks left out: they quote the code)."""
    path = course / "autograded" / student / A / f"{A}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    return json.dumps([o.get("text") or o.get("data") for o in outputs if o["output_type"] != "error"],
                      ensure_ascii=False)


def test_the_batch_completes_and_marks_each_limit(graded):
    course, _, summary, _, _ = graded
    o = outcomes(summary)
    assert len(o) == len(HONEST) + len(attacks(course, 1))
    assert o["aa-right"].status == o["ab-partly"].status == "graded"
    assert o["x-memory"].status == "out of memory"
    assert o["x-print"].status == "too much output" and "printed more than 64 KiB" in o["x-print"].problems[0]
    for student in ("x-gradebook", "x-overwrite", "x-source", "x-network", "x-disk", "x-fork", "x-hook"):
        assert o[student].status == "graded", (student, o[student])
    assert "could not start more processes" in " ".join(o["x-fork"].problems)
    for student in ("x-exit", "x-shutdown"):  # left for the trainer, like any submission that cannot be run
        assert o[student].status == "failed" and "the kernel stopped" in o[student].problems[0]
        # (code in the task's solution cell is what learners are asked to write: not tampering)
    report = json.loads(summary.report_path.read_text())
    assert report["isolation"] == "bubblewrap" and report["mode"] == "sandbox"
    assert "WITHOUT ISOLATION" not in summary.text()


def test_honest_grades_equal_plain_nbgrader(graded):
    course, honest_only, _, _, _ = graded
    sandboxed = grades(course, A)
    assert {s: sandboxed[s] for s in HONEST} == grades(honest_only, A)
    assert sandboxed["aa-right"]["q03-test"] == (2.0, False)


def test_no_attack_read_or_reached_anything(graded):
    # (x-overwrite's writes "succeed" into the sandbox's private /tmp when the course lies under
    # /tmp, as here; the next test checks the real files.)
    course, _, _, _, _ = graded
    for student in ("x-gradebook", "x-source", "x-network", "x-disk", "x-fork"):
        output = run_output(course, student)
        assert "blocked:" in output, student
        assert "HARM" not in output, f"{student}: {output[:2000]}"


def test_gradebook_and_other_learners_files_are_untouched(graded):
    course, _, _, before, _ = graded
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("select count(*) from grade where manual_score = 99").fetchone() == (0,)
    assert files(course / "source") == before["source"]
    assert files(course / "release") == before["release"]
    for student, content in before["honest"].items():
        assert files(course / "submitted" / student) == content
    assert not [p for p in course.rglob("*") if "PWNED" in p.name]
    assert not [p for p in course.rglob("*.ipynb") if p.read_bytes() == b"PWNED"]


def test_no_connection_reached_the_grader(graded):
    *_, listener = graded
    assert listener.connections == 0


def test_every_attacker_still_gets_the_rest_of_the_notebook_graded(graded):
    course, *_ = graded
    g = grades(course, A)
    for student in attacks(course, 1):
        if student in ("x-exit", "x-shutdown"):
            assert g[student]["q02-test"] == (None, True)  # recorded, waiting for the trainer
            continue
        assert g[student]["q01-test"][0] == 0.0, student
        assert g[student]["q02-test"] == (1.0, False), student
        assert g[student]["q03-test"] == (0.0, False), student


def test_a_print_flood_is_cut_short(graded):
    course, *_ = graded
    path = course / "autograded" / "x-print" / A / f"{A}.ipynb"
    assert path.stat().st_size < 300_000
    assert "output stopped" in path.read_text(encoding="utf-8")


def test_no_feedback_carries_hidden_tests_or_keys(graded):
    course, *_ = graded
    pages = {p.parts[-3]: p.read_text(encoding="utf-8") for p in (course / "feedback").rglob("*.html")}
    assert set(pages) >= set(HONEST) | {"x-hook", "x-source", "x-print"}
    for student, html in pages.items():
        for secret in SECRETS:
            assert secret not in html, f"{student}: feedback contains {secret!r}"
    hook = pages["x-hook"]
    for leak in ("CAPTURED", "AFTER:", "KEYS", "PROFILED KEY", "TRACED KEY", "BADC"):
        assert leak not in hook, f"x-hook feedback contains {leak!r}"
    assert "q02-test: passed" in hook and "q01-test: not passed" in hook
    # ... while the hook did see them during grading: the protection is in the feedback, by structure.
    assert "PROFILED KEY" in run_output(course, "x-hook") or "CAPTURED" in run_output(course, "x-hook")


def iso20k(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    from iso20k.grading.environment import nbgrader_env

    return subprocess.run([sys.executable, "-m", "iso20k.cli", *args], capture_output=True, text=True,
                          env=nbgrader_env(env))


@pytest.fixture()
def small_course(graded, tmp_path):
    course, *_ = graded
    small = tmp_path / "small"
    shutil.copytree(course, small, ignore=shutil.ignore_patterns("autograded", "feedback", "submitted", "reports"))
    release = json.loads((small / "release" / A / f"{A}.ipynb").read_text())
    submit(small, A, "aa-right", answer(release, RIGHT))
    return small


@pytest.mark.parametrize("bwrap", ["/nonexistent/bwrap", "false"])
def test_refuses_without_a_working_sandbox(small_course, bwrap):
    proc = iso20k("autograde", A, "--course", str(small_course), env={"ISO20K_GRADING_SANDBOX_BWRAP": bwrap})
    assert proc.returncode != 0
    assert "Cannot isolate learners' code" in proc.stderr and "--without-isolation" in proc.stderr
    assert not (small_course / "autograded").exists()  # nothing was graded


def test_grading_without_isolation_is_recorded(small_course):
    proc = iso20k("autograde", A, "--course", str(small_course), "--without-isolation",
                  env={"ISO20K_GRADING_SANDBOX_BWRAP": "/nonexistent/bwrap"})
    assert proc.returncode == 0, proc.stderr
    assert "1 graded" in proc.stdout and "WITHOUT ISOLATION" in proc.stdout
    report = json.loads((small_course / "reports" / f"{A}-autograde.json").read_text())
    assert report["isolation"].startswith("none")
    assert grades(small_course, A)["aa-right"]["q03-test"] == (2.0, False)


def test_the_course_repository_stays_hidden_though_python_and_the_package_live_in_it(tmp_path):
    """The virtual environment and the iso20k package are usually inside the repository, which is
    also the course folder (with exams/ holding the keys): only those two folders are bound."""
    from iso20k.grading.sandbox import SandboxPolicy, bwrap_command, prepare_dir
    from iso20k.settings import REPO_ROOT

    work, run = tmp_path / "work", tmp_path / "run"
    work.mkdir()
    (run / "home").mkdir(parents=True)
    prepare_dir(tmp_path, SandboxPolicy())
    code = (f"import os, iso20k.exam_checks; root = {str(REPO_ROOT)!r}; "
            "print(sorted(os.listdir(root)) if os.path.isdir(root) else [])")
    proc = subprocess.run(bwrap_command(SandboxPolicy(), [sys.executable, "-c", code], str(work), str(run)),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    visible = set(ast.literal_eval(proc.stdout))
    assert visible <= {".venv", "iso20k"}, visible
    assert not visible & {"exams", "forms", "source", "release", "gradebook.db", "nbgrader_config.py"}


KERNEL_PROBE = '''
import glob, json, os
hits, readable = [], []
for path in glob.glob("/proc/[0-9]*/environ"):
    try:
        data = open(path, "rb").read()
    except OSError:
        continue
    readable.append(path)
    if MARKER.encode() in data:
        hits.append(path)
print(json.dumps({"hits": hits, "readable": readable, "own": MARKER in repr(dict(os.environ))}))
'''

DRIVER = '''
import asyncio, json, os, sys
from iso20k.grading.sandbox import SandboxPolicy, prepare_dir
from iso20k.grading.sandboxed_kernel import SandboxedKernelManager

work, marker, probe = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
os.environ["ISO20K_SECRET_CANARY"] = marker  # what the grader's environment must never pass on


async def main():
    prepare_dir(__import__("pathlib").Path(work), SandboxPolicy())
    km = SandboxedKernelManager(kernel_name="python3")
    await km.start_kernel(cwd=work)
    kc = km.client()
    kc.start_channels()
    out = []
    try:
        await kc.wait_for_ready(timeout=180)
        hook = lambda msg: out.append(msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None
        await kc.execute_interactive(probe.replace("MARKER", repr(marker)), timeout=120, output_hook=hook)
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
    print("RESULT " + "".join(out).strip())


asyncio.run(main())
'''


def _blocked_ancestor(path: Path) -> tuple[Path, Path] | None:
    """(folder others cannot enter, its child on the way to ``path``), e.g. /root and /root/.pyenv."""
    for parent in reversed(path.parents):
        if parent != Path("/") and not os.stat(parent).st_mode & 0o001:
            return parent, path.relative_to(parent).parts[0]
    return None


def _as_unprivileged(cmd: list[str], scratch: Path) -> list[str]:
    """``cmd`` run as user 'nobody' (65534) with no groups; when this Python lives below a folder
    only root may enter (e.g. pyenv in /root), that folder is replaced in a private mount
    namespace by an empty one holding just the Python installation."""
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    blocked = _blocked_ancestor(Path(sys.executable).resolve())
    if blocked is None:
        return drop + cmd
    folder, child = blocked
    keep = scratch / "keep"
    keep.mkdir()
    script = (f'mount --bind "{folder / child}" "{keep}" && mount -t tmpfs -o mode=0755 tmpfs "{folder}" && '
              f'mkdir -p "{folder / child}" && mount --bind "{keep}" "{folder / child}" && exec "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *drop, *cmd]


@pytest.mark.parametrize("who", ["grader as is", "unprivileged user"])
def test_neither_bubblewrap_nor_the_kernel_gets_the_graders_environment(who):
    """bubblewrap is started with a cleared environment in every mode.  As an unprivileged user it
    runs in a user namespace as process 1 of the sandbox, with the kernel's own user id: the
    kernel can read its /proc/1/environ, so that must hold nothing of the grader's."""
    import secrets
    import tempfile

    if who == "unprivileged user" and os.geteuid() != 0:
        pytest.skip("already unprivileged: the other case is this one")
    marker = "iso20k-canary-" + secrets.token_hex(8)
    scratch = Path(tempfile.mkdtemp(prefix="iso20k-env-"))  # not below pytest's 0700 folder
    try:
        os.chmod(scratch, 0o755)
        work = scratch / "work"
        work.mkdir()
        (scratch / "probe.py").write_text(KERNEL_PROBE)
        (scratch / "driver.py").write_text(DRIVER)
        cmd = [sys.executable, str(scratch / "driver.py"), str(work), marker, str(scratch / "probe.py")]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
        if who == "unprivileged user":
            tmp = scratch / "tmp"
            tmp.mkdir(mode=0o1777)
            os.chmod(tmp, 0o1777)
            os.chown(work, 65534, 65534)
            env.update(HOME=str(tmp), TMPDIR=str(tmp))
            cmd = _as_unprivileged(cmd, scratch)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=scratch)
        assert proc.returncode == 0, proc.stderr[-3000:]
        line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
        seen = json.loads(line[len("RESULT "):])
        assert seen["hits"] == [] and seen["own"] is False, seen
        if who == "unprivileged user":
            assert "/proc/1/environ" in seen["readable"], seen  # the check looked where it matters
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
