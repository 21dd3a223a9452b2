"""How long a learner waits for a quiz verdict on the company hub, against a direct write.

Method: a real hub is started by ``iso20k hub`` (root needed) with a roster of N learners and the
records service on PostgreSQL (a throwaway cluster) and on SQLite, in turn.  Each learner gets a
hub token (as their server has) and answers Q questions at once with the others, through
``ServiceRecords.answer`` — the exact call the quiz widget makes — from N threads.  A call ends
when the service has judged the answer and committed the row.  The first answer of each learner
is reported apart (the service asks the hub whose token it is, then caches that for 60 s), since
every learner meets it once per minute.  Baseline in the same run: ``LocalRecords.answer`` (the
single-user path: judge and write in-process) on the same database, same threads, same answers.
Afterwards every row is counted and each learner's attempt numbers must be 1..k with no gap or
repeat.  Prints p50/p99 per path and the ratios.

    sudo .venv/bin/python benchmarks/records_service.py [--learners 30] [--answers 20]

With ``--flood``: other learners' latency while one learner floods the service (issue 19).
Method: one real hub (SQLite, default limits).  A separate *victim* process sends an open-loop
load at a fixed arrival rate (default 5 learners x 4 requests/s: ``GET api/me``, ``GET
api/attempts``, and every 8th request an answer, a human pace) for a baseline phase; then,
in the same run and on the same hub, the same load again while a separate *flooder* process,
signed in as one learner with their own token, sends as fast as its threads go: 80 MB bodies
(Content-Length and chunked, streamed), 200,000-deep JSON bodies, answers back to back and
``GET api/training`` back to back.  Each victim request is scheduled at ``t0 + i / rate``
whether or not earlier ones finished (no coordinated omission: a stalled service shows as
latency, not as fewer requests), and its latency is counted from that scheduled time.  Baseline
and flood phases alternate (3 rounds by default) so that the machine's own drift (other work on
it) falls on both; the flooder's bucket refills during each baseline.  Prints
p50/p95/p99/max per phase, the flooder's achieved rates and statuses, and the ratios; the aim
is flood p99 within 2x of baseline p99.

    sudo .venv/bin/python benchmarks/records_service.py --flood [--seconds 15] [--rounds 3] [--rate 4] [--victims 5]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from hub_world import Learner, start_hub, stop_hub, user_token  # noqa: E402
from postgres import PostgresCluster  # noqa: E402

QUESTIONS = [("start/welcome/q01", "c"), ("start/welcome/q01", "a"), ("start/welcome/q02", False)]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_threads(n: int, work) -> None:
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def go(i):
        try:
            start.wait()
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def measure(records_for, n: int, answers: int) -> tuple[list[float], list[float]]:
    first, rest = [], []
    lock = threading.Lock()

    def work(i):
        records = records_for(i)
        for k in range(answers):
            qid, response = QUESTIONS[k % len(QUESTIONS)]
            t0 = time.perf_counter()
            records.answer(qid, response, "en")
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                (first if k == 0 else rest).append(elapsed)

    run_threads(n, work)
    return first, rest


def check_rows(db_url: str, learners: list[str], answers: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT learner_id, question_id, attempt FROM answers")).fetchall()
    engine.dispose()
    by_key: dict[tuple[str, str], list[int]] = {}
    for learner, question, attempt in rows:
        by_key.setdefault((learner, question), []).append(attempt)
    for key, attempts in by_key.items():
        assert sorted(attempts) == list(range(1, len(attempts) + 1)), f"attempts of {key}: {sorted(attempts)}"
    return len(rows)


def one_store(label: str, db_url: str | None, python: Path, n: int, answers: int) -> dict:
    from iso20k.records import LocalRecords, ServiceRecords
    from iso20k.store import ProgressStore

    root = Path(tempfile.mkdtemp(prefix="iso20k-bench-hub-"))
    root.chmod(0o755)
    tag = secrets.token_hex(2)
    learners = [Learner(f"B{tag}{i:03d}", "", "Bench") for i in range(n)]
    # No one signs in or starts a server here, so no OS accounts: the hub's test authenticator
    # lets the roster's users exist on the hub without them.  Tokens work as in production.
    hub = start_hub(root, python, learners, db_url=db_url, os_users=False,
                    settings={"ISO20K_HUB_AUTHENTICATOR": "dummy"})
    try:
        hub.iso20k("hub-sync")
        tokens = [user_token(hub, x.user) for x in learners]
        url = f"http://127.0.0.1:{hub.env['ISO20K_HUB_RECORDS_PORT']}/services/records/"
        t0 = time.perf_counter()
        first, rest = measure(lambda i: ServiceRecords(url, tokens[i]), n, answers)
        wall = time.perf_counter() - t0
        store = ProgressStore(hub.db_url)
        local_first, local_rest = measure(lambda i: LocalRecords(store, f"L{tag}{i:03d}"), n, answers)
        store.close()
        total = check_rows(hub.db_url, [x.employee_id for x in learners], answers)
        assert total == 2 * n * answers, f"{total} rows, expected {2 * n * answers}: answers were lost"
    finally:
        stop_hub(hub)
        shutil.rmtree(root, ignore_errors=True)
    return {"label": label, "service_first": first, "service": rest, "local_first": local_first,
            "local": local_rest, "rows": total, "wall_s": wall}


def report(r: dict) -> None:
    def line(name, values):
        return f"  {name:<34} p50 {statistics.median(values):7.1f} ms   p99 {percentile(values, 99):7.1f} ms   (n={len(values)})"

    print(f"\n{r['label']}: {r['rows']} rows committed, attempt numbers gap-free and unique")
    print(line("records service, later answers", r["service"]))
    print(line("records service, first answer", r["service_first"]))
    print(line("in-process store (baseline)", r["local"]))
    print(line("in-process store, first answer", r["local_first"]))
    p99 = percentile(r["service"], 99)
    print(f"  ratio service/in-process: p50 {statistics.median(r['service']) / statistics.median(r['local']):.2f}x, "
          f"p99 {p99 / percentile(r['local'], 99):.2f}x;  target p99 < 50 ms: {'met' if p99 < 50 else 'NOT met'}")


# -- flood: other learners' latency while one learner floods ----------------------------------

def victim(url: str, tokens: list[str], rate: float, seconds: float) -> dict:
    """Open loop: request i of each learner is due at t0 + i / rate and sent then by a free
    worker thread whatever happened to earlier ones; latency counts from the due time."""
    from concurrent.futures import ThreadPoolExecutor

    from records_flood import request

    t0 = time.perf_counter() + 0.5
    plan = []
    for k, token in enumerate(tokens):
        for i in range(int(seconds * rate)):
            due = t0 + (i + k / len(tokens)) / rate
            if i % 8 == 7:
                job = ("answer", token, "POST", b'{"question_id": "start/welcome/q01", "response": "c", "language": "en"}')
            elif i % 2:
                job = ("attempts", token, "GET", None)
            else:
                job = ("me", token, "GET", None)
            plan.append((due, job))
    plan.sort(key=lambda x: x[0])
    results: list[tuple[str, int, float]] = []
    lock = threading.Lock()

    def send(due, job):
        kind, token, method, body = job
        path = {"answer": "api/answers", "attempts": "api/attempts?question_id=start/welcome/q01", "me": "api/me"}[kind]
        try:
            status = request(url + path, token, method, body, timeout=60).status
        except Exception:  # noqa: BLE001 - counted as a failure
            status = 0
        with lock:
            results.append((kind, status, (time.perf_counter() - due) * 1000))

    with ThreadPoolExecutor(64) as pool:
        for due, job in plan:
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(send, due, job)
    by_kind = {}
    for kind, _status, ms in results:
        by_kind.setdefault(kind, []).append(ms)
    return {"latency_ms": [r[2] for r in results], "by_kind": by_kind, "statuses": sorted({r[1] for r in results}),
            "failed": sum(1 for r in results if r[1] != 200), "n": len(results)}


FLOOD_KINDS = ["huge-length", "huge-chunked", "deep", "deep", "answers", "answers", "training"]


def flooder(url: str, token: str, seconds: float, kinds: list[str] = FLOOD_KINDS) -> dict:
    """One learner as fast as their threads go: huge bodies, deep bodies, answers, heavy reads."""
    from records_flood import deep_json, request, stream_huge_body

    stop = time.perf_counter() + seconds
    counts: dict[str, dict[int, int]] = {}
    lock = threading.Lock()

    def run(kind):
        while time.perf_counter() < stop:
            try:
                if kind == "huge-length":
                    status = stream_huge_body(url + "api/answers", token, 80_000_000, timeout=10).status
                elif kind == "huge-chunked":
                    status = stream_huge_body(url + "api/answers", token, 80_000_000, chunked="pieces", timeout=10).status
                elif kind == "deep":
                    status = request(url + "api/answers", token, "POST", deep_json(200_000)).status
                elif kind == "answers":
                    status = request(url + "api/answers", token, "POST",
                                     b'{"question_id": "start/welcome/q01", "response": "a", "language": "en"}').status
                else:
                    status = request(url + "api/training", token).status
            except Exception:  # noqa: BLE001 - the flood goes on
                status = 0
            with lock:
                bucket = counts.setdefault(kind, {})
                bucket[status] = bucket.get(status, 0) + 1

    threads = [threading.Thread(target=run, args=(k,)) for k in kinds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"counts": counts, "seconds": seconds, "cpu_s": time.process_time()}


def _child(role: str, *args: str) -> "subprocess.Popen":
    import subprocess

    return subprocess.Popen([sys.executable, __file__, f"--{role}", *args], stdout=subprocess.PIPE, text=True)


def flood_run(python: Path, victims: int, rate: float, seconds: float, kinds: list[str] = FLOOD_KINDS,
              rounds: int = 3, hub_settings: dict | None = None) -> int:
    import json

    root = Path(tempfile.mkdtemp(prefix="iso20k-bench-flood-"))
    root.chmod(0o755)
    tag = secrets.token_hex(2)
    learners = [Learner(f"B{tag}{i:03d}", "", "Bench") for i in range(victims + 1)]
    hub = start_hub(root, python, learners, os_users=False,
                    settings={"ISO20K_HUB_AUTHENTICATOR": "dummy", **(hub_settings or {})})
    try:
        hub.iso20k("hub-sync")
        tokens = [user_token(hub, x.user) for x in learners]
        url = f"http://127.0.0.1:{hub.env['ISO20K_HUB_RECORDS_PORT']}/services/records/"
        for token in tokens:  # the hub's answer on each token is cached by the service from now on
            ServiceRecords_me(url, token)
        victim_args = [url, ",".join(tokens[1:]), str(rate), str(seconds)]
        base = {"latency_ms": [], "by_kind": {}, "failed": 0, "n": 0}
        during = {"latency_ms": [], "by_kind": {}, "failed": 0, "n": 0}
        flood = {"counts": {}, "seconds": 0.0, "cpu_s": 0.0}
        rounds_p99 = []
        from records_flood import service_pid

        pid = service_pid(hub.root / "state")
        service_cpu = {"baseline": 0.0, "flood": 0.0}
        for _round in range(rounds):  # baseline and flood in turn: the machine's drift hits both
            c0 = _cpu_s(pid)
            one_base = json.loads(_child("victim", *victim_args).communicate()[0])
            c1 = _cpu_s(pid)
            flood_proc = _child("flooder", url, tokens[0], str(seconds + 2), ",".join(kinds))
            time.sleep(1)  # the flood is under way before the victims start
            c2 = _cpu_s(pid)
            one_flood = json.loads(_child("victim", *victim_args).communicate()[0])
            c3 = _cpu_s(pid)
            one_flooder = json.loads(flood_proc.communicate()[0])
            service_cpu["baseline"] += c1 - c0
            service_cpu["flood"] += c3 - c2
            flood["cpu_s"] += one_flooder["cpu_s"]
            for total, one in ((base, one_base), (during, one_flood)):
                total["latency_ms"] += one["latency_ms"]
                total["failed"] += one["failed"]
                total["n"] += one["n"]
                for kind, values in one["by_kind"].items():
                    total["by_kind"].setdefault(kind, []).extend(values)
            for kind, statuses in one_flooder["counts"].items():
                for status, n in statuses.items():
                    flood["counts"].setdefault(kind, {})[status] = flood["counts"].get(kind, {}).get(status, 0) + n
            flood["seconds"] += one_flooder["seconds"]
            rounds_p99.append((percentile(one_base["latency_ms"], 99), percentile(one_flood["latency_ms"], 99)))
        stored = check_rows(hub.db_url, [], 0)
        flooder_rows = _count(hub.db_url, learners[0].employee_id)
    finally:
        stop_hub(hub)
        shutil.rmtree(root, ignore_errors=True)
    if hub_settings:
        print("\nsettings changed from the defaults: " + ", ".join(f"{k}={v}" for k, v in hub_settings.items()))
    print(f"\n{victims} victim learners x {rate:g} requests/s for {seconds:g} s per phase "
          f"({int(victims * rate * seconds)} requests), open loop, {rounds} rounds of baseline then flood; "
          f"machine: {os.cpu_count()} cores")

    def line(name, r):
        v = r["latency_ms"]
        return (f"  {name:<22} p50 {statistics.median(v):7.1f} ms  p95 {percentile(v, 95):7.1f} ms  "
                f"p99 {percentile(v, 99):7.1f} ms  max {max(v):7.1f} ms  (n={r['n']}, not 200: {r['failed']})")

    print(line("baseline", base))
    print(line("during the flood", during))
    for kind in sorted(base["by_kind"]):
        b, d = base["by_kind"][kind], during["by_kind"][kind]
        print(f"    {kind:<9} baseline p50 {statistics.median(b):6.1f} p99 {percentile(b, 99):6.1f} ms;  "
              f"flood p50 {statistics.median(d):6.1f} p99 {percentile(d, 99):6.1f} ms")
    print(f"  flooder (one learner, {len(kinds)} threads, as fast as they go):")
    for kind, statuses in sorted(flood["counts"].items()):
        total = sum(statuses.values())
        print(f"    {kind:<13} {total:6d} requests ({total / flood['seconds']:7.1f}/s)  statuses {statuses}")
    print(f"  rows stored for the flooder: {flooder_rows}; all rows: {stored}")
    phase_s = rounds * seconds
    print(f"  CPU: records service {100 * service_cpu['baseline'] / phase_s:.0f}% of a core in the baseline "
          f"phases, {100 * service_cpu['flood'] / phase_s:.0f}% during the flood; the flooder's own process "
          f"{100 * flood['cpu_s'] / flood['seconds']:.0f}% (same machine)")
    print("  p99 per round (baseline -> flood): " + ", ".join(f"{b:.0f} -> {f:.0f} ms" for b, f in rounds_p99))
    ratios = {p: percentile(during["latency_ms"], p) / percentile(base["latency_ms"], p) for p in (50, 95, 99)}
    print("  ratio flood/baseline: " + ", ".join(f"p{p} {r:.2f}x" for p, r in ratios.items())
          + f";  aim p99 within 2x: {'met' if ratios[99] <= 2 else 'NOT met'}")
    return 0 if ratios[99] <= 2 and not during["failed"] else 1


def _cpu_s(pid: int) -> float:
    """User and system CPU seconds of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ServiceRecords_me(url: str, token: str) -> None:
    from records_flood import request

    assert request(url + "api/me", token).status == 200


def _count(db_url: str, learner: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM answers WHERE learner_id = :l"), {"l": learner}).scalar()
    engine.dispose()
    return n


def main() -> int:
    import json

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--answers", type=int, default=20, help="answers per learner")
    parser.add_argument("--flood", action="store_true", help="other learners' latency while one floods")
    parser.add_argument("--victims", type=int, default=5)
    parser.add_argument("--rate", type=float, default=4.0, help="requests per second per victim learner")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=3, help="baseline and flood phases, in turn")
    parser.add_argument("--python", default=os.environ.get("ISO20K_TEST_HUB_PYTHON") or sys.executable,
                        help="the environment the hub and its services run from (the grader account must "
                        "be able to run it; default: ISO20K_TEST_HUB_PYTHON, else this Python)")
    parser.add_argument("--set", action="append", default=[], metavar="ISO20K_NAME=VALUE",
                        help="a setting of the hub under test (e.g. ISO20K_RECORDS_REFUSAL_DELAY_S=0)")
    parser.add_argument("--victim", nargs=4, metavar=("URL", "TOKENS", "RATE", "SECONDS"), help=argparse.SUPPRESS)
    parser.add_argument("--kinds", default=",".join(FLOOD_KINDS),
                        help="the flooder's threads, one per name (huge-length, huge-chunked, deep, answers, training)")
    parser.add_argument("--flooder", nargs=4, metavar=("URL", "TOKEN", "SECONDS", "KINDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.victim:
        url, tokens, rate, seconds = args.victim
        print(json.dumps(victim(url, tokens.split(","), float(rate), float(seconds))))
        return 0
    if args.flooder:
        url, token, seconds, kinds = args.flooder
        print(json.dumps(flooder(url, token, float(seconds), kinds.split(","))))
        return 0
    if os.geteuid() != 0:
        print("run as root: the hub's default spawner needs it", file=sys.stderr)
        return 2
    python = Path(args.python)
    if args.flood:
        print(__doc__.split("\n\n")[3])
        return flood_run(python, args.victims, args.rate, args.seconds, args.kinds.split(","), args.rounds,
                         dict(x.split("=", 1) for x in args.set))
    print(__doc__.split("\n\n")[1])
    print(f"\n{args.learners} learners x {args.answers} answers at once; machine: {os.cpu_count()} cores")
    results = []
    cluster = PostgresCluster().start()
    try:
        results.append(one_store("PostgreSQL", cluster.create_database(), python, args.learners, args.answers))
    finally:
        cluster.stop()
    results.append(one_store("SQLite", None, python, args.learners, args.answers))
    for r in results:
        report(r)
    return 0 if all(percentile(r["service"], 99) < 50 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
