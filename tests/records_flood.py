"""Clients that attack the records service the way a learner with their own hub token can: huge
bodies streamed over a raw socket (with a Content-Length, or chunked), deep JSON, answers as
fast as the connection allows.  Shared by tests/test_records_service.py and
benchmarks/records_service.py."""

from __future__ import annotations

import http.client
import json
import os
import select
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes
    seconds: float
    sent: int = 0  # body bytes the client got out before the reply came (streamed sends)

    @property
    def json(self):
        return json.loads(self.body)


def request(url: str, token: str, method: str = "GET", body: bytes | None = None,
            headers: dict | None = None, timeout: float = 30, conn: http.client.HTTPConnection | None = None) -> Reply:
    """One request (on ``conn`` when given, kept alive), the reply read in full."""
    parts = urlparse(url)
    own = conn is None
    conn = conn or http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    t0 = time.perf_counter()
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body,
                     headers={"Authorization": f"token {token}", **(headers or {})})
        reply = conn.getresponse()
        data = reply.read()
        return Reply(reply.status, {k.lower(): v for k, v in reply.getheaders()}, data, time.perf_counter() - t0)
    finally:
        if own:
            conn.close()


def stream_huge_body(url: str, token: str, total: int, chunked: str = "", piece: int = 64 * 1024,
                     timeout: float = 60) -> Reply:
    """POST ``total`` bytes of JSON-looking filler as a client streams a file: headers first, then
    the body piece by piece, reading whatever the server answers as soon as it answers
    (``chunked``: "" sends a Content-Length, "pieces" one chunk per piece, "one" a single chunk
    of ``total`` bytes declared up front).  Stops
    sending when the reply is complete or the server closed the connection.  ``sent`` says how
    much of the body had gone out by then."""
    parts = urlparse(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    head = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}",
            f"Authorization: token {token}", "Content-Type: application/json"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    t0 = time.perf_counter()
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    block = b"[" + b"1," * (piece // 2 - 1) + b"1"
    block = block[:piece]
    received, sent, produced, pending = b"", 0, 0, b""
    sock.setblocking(False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pending and produced < total:
            n = min(piece, total - produced)
            if chunked == "pieces":
                pending = f"{n:x}\r\n".encode() + block[:n] + b"\r\n"
            elif chunked == "one":
                pending = (f"{total:x}\r\n".encode() if produced == 0 else b"") + block[:n]
            else:
                pending = block[:n]
            produced += n
            if chunked and produced >= total:
                pending += (b"\r\n" if chunked == "one" else b"") + b"0\r\n\r\n"
        readable, writable, _ = select.select([sock], [sock] if pending else [], [], 0.5)
        if readable:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                data = None
            except ConnectionResetError:
                data = b""
            if data is not None:
                received += data
                if not data or _complete(received):
                    break
        if writable and pending:
            try:
                n = sock.send(pending)
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                received += _drain(sock)  # the server closed: its answer may be in our buffer
                break
            pending = pending[n:]
            sent += n
    elapsed = time.perf_counter() - t0
    sock.close()
    return _parse(received, elapsed, sent)


def _drain(sock) -> bytes:
    out = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            out += data
    except OSError:
        pass
    return out


def _complete(raw: bytes) -> bool:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def _parse(raw: bytes, seconds: float, sent: int) -> Reply:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if not lines or not lines[0].startswith(b"HTTP/"):
        return Reply(0, {}, raw, seconds, sent)
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode()
    return Reply(status, headers, body, seconds, sent)


def deep_json(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def service_pid(state_dir: Path) -> int:
    """The records service of the hub whose state folder is ``state_dir``."""
    marker = f"ISO20K_HUB_STATE_DIR={state_dir}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if b"iso20k.hub.records_service" in (proc / "cmdline").read_bytes() and \
                    marker in (proc / "environ").read_bytes().split(b"\0"):
                return int(proc.name)
        except OSError:
            continue
    raise LookupError(f"no records service of {state_dir} is running")


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak since start) of ``pid``, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def cpu_count() -> int:
    return os.cpu_count() or 1
