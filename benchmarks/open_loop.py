"""An open-loop HTTP load for the benchmarks: requests sent at fixed times, latency counted from
each request's scheduled time (a stalled server shows as latency, not as fewer requests: no
coordinated omission).

Runs as its own process (``python benchmarks/open_loop.py PLAN.json``; the caller reads one JSON
line from its output), on asyncio with a small HTTP/1.1 client over kept-alive connections (up
to ``connections`` open at once; a request waits for a free one, and that wait counts too).

The plan: ``{"host", "port", "rate", "seconds", "connections", "requests": [[method, path, token,
body], ...]}``; request i is due at ``t0 + i / rate`` (the list is cycled)."""

from __future__ import annotations

import asyncio
import json
import sys
import time


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def send(self, method: str, path: str, token: str, body: bytes | None) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: token {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body or b'')}\r\n\r\n").encode()
        self.writer.write(head + (body or b""))
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run(plan: dict) -> dict:
    host, port, rate, seconds = plan["host"], plan["port"], float(plan["rate"]), float(plan["seconds"])
    requests = plan["requests"]
    idle: asyncio.Queue = asyncio.Queue()
    for _ in range(int(plan.get("connections", 256))):
        idle.put_nowait(Connection(host, port))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    total = int(rate * seconds)
    t0 = time.perf_counter() + 0.2
    pending = set()

    async def one(due: float, method: str, path: str, token: str, body):
        conn = await idle.get()
        try:
            status = await conn.send(method, path, token, body.encode() if body else None)
        except Exception:  # noqa: BLE001 - counted as a failure (status 0)
            conn.close()
            status = 0
        finally:
            idle.put_nowait(conn)
        latencies.append((time.perf_counter() - due) * 1000)
        statuses[status] = statuses.get(status, 0) + 1

    for i in range(total):
        due = t0 + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        method, path, token, body = requests[i % len(requests)]
        task = asyncio.ensure_future(one(due, method, path, token, body))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending, timeout=120)
    sent_s = time.perf_counter() - t0
    return {"latency_ms": latencies, "statuses": {str(k): v for k, v in statuses.items()}, "n": total,
            "sent_s": sent_s, "cpu_s": time.process_time()}


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        print(json.dumps(asyncio.run(run(json.load(f)))))
