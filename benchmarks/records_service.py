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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--answers", type=int, default=20, help="answers per learner")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root: the hub's default spawner needs it", file=sys.stderr)
        return 2
    python = Path(sys.executable)
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
