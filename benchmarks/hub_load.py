"""The hub with 1,000 learners: sign-ins at a steady rate, then each learner answering at a human
pace through the records service, for several minutes.

Method: a real hub (``iso20k hub``; root needed) with a roster of N learners (default 1,000) and
the progress store on PostgreSQL (a throwaway cluster, as ``tests/postgres.py`` starts it), all
N hub users made by ``iso20k hub-sync``.  The hub's test authenticator is used (any password), so
that no operating-system accounts are needed; **no servers are spawned** (N single-user servers of
~100 MB each do not fit this machine's memory): what a learner's server would send is sent by
this process instead, with the learner's own hub token made through the hub's API (as the hub
gives one to each server).  Learner i signs in at ``t0 + i / rate`` (default 2 a second):
``GET /hub/login`` then ``POST /hub/login`` through the hub's proxy (the form with its XSRF field,
the redirect not followed: that would spawn), ``GET /hub/home`` with the new cookie, a token
from ``POST /hub/api/users/<name>/tokens`` (an admin service's token, as the hub's spawner does),
then every ``--api-every`` seconds ``GET /hub/api/user`` with the learner's token (a server's
own check).  From sign-in on each learner answers a quiz question every ``--answer-every``
seconds on average (exponential gaps: a human pace), through the records service's port as a
kernel does; an answer's latency counts from its scheduled time (open loop).  The run lasts
until the last learner signed in plus ``--after`` minutes.  Every 60 s and at the end: hub
requests (by kind) and records answers p50/p95/p99 and errors, and the CPU (% of one core) and
resident memory of the hub, its proxy, the records service (all its processes) and the other
services, from /proc.  Afterwards every learner's attempt numbers are checked gap-free.

    sudo .venv/bin/python benchmarks/hub_load.py [--learners 1000] [--rate 2] [--after 3] [--answer-every 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "benchmarks")]

from hub_world import Learner, install_product, start_hub, stop_hub  # noqa: E402
from postgres import PostgresCluster  # noqa: E402
from records_service import check_rows, load_average, percentile, questions  # noqa: E402

XSRF = re.compile(r'name="_xsrf" value="([^"]+)"')


def processes(state_dir: Path) -> dict[str, list[int]]:
    """The hub's processes by part: records, proxy, hub, other services."""
    marker = f"ISO20K_HUB_STATE_DIR={state_dir}".encode()
    parts: dict[str, list[int]] = {"hub": [], "proxy": [], "records": [], "other services": []}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"records_service" in cmd:
            parts["records"].append(int(proc.name))
        elif b"configurable-http-proxy" in cmd:
            parts["proxy"].append(int(proc.name))
        elif b"jupyterhub" in cmd or b"iso20k hub" in cmd.replace(b"\0", b" ") or cmd.endswith(b"hub\0"):
            parts["hub"].append(int(proc.name))
        else:
            parts["other services"].append(int(proc.name))
    return parts


def usage(pids: list[int]) -> tuple[float, float]:
    """CPU seconds so far and resident MB of ``pids`` together."""
    cpu, rss = 0.0, 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            rss += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return cpu, rss / 2**20


class Stats:
    def __init__(self):
        self.hub: dict[str, list[float]] = {}
        self.records: list[float] = []
        self.errors: dict[str, int] = {}
        self.window_hub: list[float] = []
        self.window_records: list[float] = []

    def add(self, kind: str, ms: float, ok: bool) -> None:
        if kind == "answer":
            self.records.append(ms)
            self.window_records.append(ms)
        else:
            self.hub.setdefault(kind, []).append(ms)
            self.window_hub.append(ms)
        if not ok:
            self.errors[kind] = self.errors.get(kind, 0) + 1


def line(values: list[float]) -> str:
    if not values:
        return "none"
    return (f"p50 {percentile(values, 50):6.0f} p95 {percentile(values, 95):6.0f} "
            f"p99 {percentile(values, 99):6.0f} ms (n={len(values)})")


async def learner(session, stats: Stats, hub, name: str, start: float, end: float, args, qs, records: str) -> None:
    import aiohttp

    await asyncio.sleep(max(0.0, start - time.perf_counter()))
    # sign in through the proxy, as a browser does (own cookies), without following the redirect
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        t = time.perf_counter()
        try:
            async with browser.get(hub.url + "/hub/login") as r:
                page = await r.text()
            xsrf = XSRF.search(page)
            form = {"username": name, "password": "x", **({"_xsrf": xsrf.group(1)} if xsrf else {})}
            async with browser.post(hub.url + "/hub/login?next=%2Fhub%2Fhome", data=form, allow_redirects=False) as r:
                ok = r.status in (302, 303)
            stats.add("sign-in (login page + form)", (time.perf_counter() - start) * 1000, ok)
            t = time.perf_counter()
            async with browser.get(hub.url + "/hub/home", allow_redirects=False) as r:
                await r.read()
                stats.add("home page", (time.perf_counter() - t) * 1000, r.status == 200)
        except Exception:  # noqa: BLE001 - counted
            stats.add("sign-in (login page + form)", (time.perf_counter() - t) * 1000, False)
            return
    t = time.perf_counter()
    try:
        async with session.post(hub.api + f"users/{name}/tokens", json={"note": "load", "expires_in": 7200},
                                headers={"Authorization": f"token {hub.admin_token}"}) as r:
            token = (await r.json())["token"]
            stats.add("token (hub API)", (time.perf_counter() - t) * 1000, r.status in (200, 201))
    except Exception:  # noqa: BLE001
        stats.add("token (hub API)", (time.perf_counter() - t) * 1000, False)
        return
    rng = random.Random(name)
    next_answer = time.perf_counter() + rng.expovariate(1 / args.answer_every)
    next_api = time.perf_counter() + rng.uniform(0, args.api_every)
    k = 0
    while True:
        due = min(next_answer, next_api)
        if due > end:
            return
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if due == next_answer:
            qid, answer = qs[(k + rng.randrange(len(qs))) % len(qs)]
            k += 1
            body = {"question_id": qid, "response": answer, "language": "en"}
            try:
                async with session.post(records + "api/answers", json=body,
                                        headers={"Authorization": f"token {token}"}) as r:
                    await r.read()
                    ok = r.status == 200
            except Exception:  # noqa: BLE001
                ok = False
            stats.add("answer", (time.perf_counter() - due) * 1000, ok)
            stats.answered = getattr(stats, "answered", 0) + (1 if ok else 0)
            next_answer += rng.expovariate(1 / args.answer_every)
        else:
            try:
                async with session.get(hub.api + "user", headers={"Authorization": f"token {token}"}) as r:
                    await r.read()
                    ok = r.status == 200
            except Exception:  # noqa: BLE001
                ok = False
            stats.add("GET api/user (server's check)", (time.perf_counter() - due) * 1000, ok)
            next_api += args.api_every


async def monitor(stats: Stats, hub, t0: float, end: float, signed, totals: dict) -> None:
    last = {part: usage(pids)[0] for part, pids in processes(hub.root / "state").items()}
    last_t = time.perf_counter()
    while time.perf_counter() < end:
        await asyncio.sleep(min(60.0, max(1.0, end - time.perf_counter())))
        now = time.perf_counter()
        parts = processes(hub.root / "state")
        use = {part: usage(pids) for part, pids in parts.items()}
        cpu = {part: 100 * (use[part][0] - last.get(part, 0.0)) / (now - last_t) for part in use}
        for part in use:
            totals.setdefault(part, {"cpu": [], "rss": []})
            totals[part]["cpu"].append(cpu[part])
            totals[part]["rss"].append(use[part][1])
        last, last_t = {part: use[part][0] for part in use}, now
        print(f"[{now - t0:5.0f} s] signed in {signed()}; hub {line(stats.window_hub)}; records {line(stats.window_records)}; "
              f"errors {sum(stats.errors.values())}; CPU% " + ", ".join(f"{p} {cpu[p]:.0f}" for p in cpu)
              + "; RSS MB " + ", ".join(f"{p} {use[p][1]:.0f}" for p in use) + f"; load {load_average()}", flush=True)
        stats.window_hub, stats.window_records = [], []


async def run(hub, args, names: list[str]) -> tuple[Stats, dict]:
    import aiohttp

    stats = Stats()
    qs = questions()
    records = f"http://127.0.0.1:{hub.env['ISO20K_HUB_RECORDS_PORT']}/services/records/"
    t0 = time.perf_counter() + 1
    end = t0 + len(names) / args.rate + args.after * 60
    totals: dict = {}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
        tasks = [asyncio.ensure_future(learner(session, stats, hub, name, t0 + i / args.rate, end, args, qs, records))
                 for i, name in enumerate(names)]
        signed = lambda: min(len(names), max(0, int((time.perf_counter() - t0) * args.rate)))  # noqa: E731
        watch = asyncio.ensure_future(monitor(stats, hub, t0, end, signed, totals))
        await asyncio.gather(*tasks)
        await watch
    return stats, totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=2.0, help="sign-ins per second")
    parser.add_argument("--after", type=float, default=3.0, help="minutes of answering after the last sign-in")
    parser.add_argument("--answer-every", type=float, default=20.0, help="mean seconds between a learner's answers")
    parser.add_argument("--api-every", type=float, default=60.0, help="seconds between a learner's server's hub checks")
    parser.add_argument("--sqlite", action="store_true", help="the progress store on SQLite instead of PostgreSQL")
    parser.add_argument("--python", default=os.environ.get("ISO20K_TEST_HUB_PYTHON"),
                        help="the product installed from its wheel (default: ISO20K_TEST_HUB_PYTHON, else installed now)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root: the hub's default spawner needs it", file=sys.stderr)
        return 2
    print(__doc__.split("\n\n")[1])
    print(f"\n{args.learners} learners, sign-ins {args.rate:g}/s, an answer every {args.answer_every:g} s on average "
          f"({args.learners / args.answer_every:.0f} answers/s with everyone in), then {args.after:g} min; "
          f"machine: {os.cpu_count()} cores, load average {load_average()}", flush=True)
    cluster = None if args.sqlite else PostgresCluster().start()
    root = Path(tempfile.mkdtemp(prefix="iso20k-bench-hubload-"))
    root.chmod(0o755)
    tag = secrets.token_hex(2)
    learners = [Learner(f"H{tag}{i:04d}", "", "Load") for i in range(args.learners)]
    hub = None
    try:
        db_url = cluster.create_database() if cluster else None
        hub = start_hub(root, Path(args.python) if args.python else install_product(), learners, db_url=db_url, os_users=False,
                        settings={"ISO20K_HUB_AUTHENTICATOR": "dummy"})
        t = time.perf_counter()
        hub.iso20k("hub-sync")
        print(f"hub-sync made {args.learners} hub users in {time.perf_counter() - t:.0f} s", flush=True)
        stats, totals = asyncio.run(run(hub, args, [x.user for x in learners]))
        stored = check_rows(hub.db_url, [x.employee_id for x in learners])
    finally:
        if hub:
            stop_hub(hub)
        if cluster:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"\nWhole run (load average at the end {load_average()}):")
    for kind, values in sorted(stats.hub.items()):
        print(f"  hub   {kind:<30} {line(values)}")
    every_hub = [v for values in stats.hub.values() for v in values]
    print(f"  hub   {'all hub requests':<30} {line(every_hub)}")
    print(f"  records answers{'':<21} {line(stats.records)}")
    print(f"  errors: {stats.errors or 'none'}; rows stored {stored}, answers accepted {getattr(stats, 'answered', 0)}; "
          "attempt numbers gap-free")
    for part, t in totals.items():
        if t["cpu"]:
            print(f"  {part:<15} CPU mean {sum(t['cpu']) / len(t['cpu']):5.0f}% max {max(t['cpu']):5.0f}% of a core; "
                  f"RSS max {max(t['rss']):6.0f} MB")
    hub_p95, rec_p99 = percentile(every_hub, 95), percentile(stats.records, 99)
    met = hub_p95 < 1000 and rec_p99 < 100 and not stats.errors and stored == getattr(stats, "answered", 0)
    print(f"  aim (hub p95 < 1 s, records p99 < 100 ms, 0 errors, nothing lost): {'met' if met else 'NOT met'} "
          f"(hub p95 {hub_p95:.0f} ms, records p99 {rec_p99:.0f} ms)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
