"""`python -m engine run --workers 2`: gunicorn with uvicorn workers, a listening socket each.

Connections opened together are served by both processes (on a shared socket one process can take
them all), the embedded worker runs in exactly one process and moves to a new one when its holder
dies, and SIGTERM stops everything."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.integration.notify_kit import free_port

ROOT = Path(__file__).resolve().parents[2]
CONNECTIONS = 16
WORKER_LINE = re.compile(r"Arbetare / worker: .* i process (\d+)")


@dataclass
class Server:
    proc: subprocess.Popen[str]
    port: int
    log: Path

    def workers(self) -> list[int]:
        return [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]

    def embedded_worker_pids(self) -> list[int]:
        return [int(m) for m in WORKER_LINE.findall(self.log.read_text(encoding="utf-8"))]


def _wait_for(check: Callable[[], bool], what: str, seconds: float = 90.0) -> None:
    """Wait for another process to get somewhere; not a test of time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/api-info", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _sockets_by_pid(pids: list[int], port: int, state: str) -> dict[int, int]:
    """How many sockets with local port `port` each process holds, in `state` (01 ESTABLISHED, 0A LISTEN)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(fields[9])
    counts = {}
    for pid in pids:
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            held += target.startswith("socket:[") and target[8:-1] in inodes
        counts[pid] = held
    return counts


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'insats.db'}",
        "KEY_DIR": str(tmp_path / "keys"),
        "PYTHONPATH": str(ROOT),
        "WORKER_INTERVAL_SECONDS": "60",
    }
    argv = [sys.executable, "-m", "engine", "run", "--workers", "2", "--port", str(port), "--no-demo"]
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [*argv, "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env, stdout=out, stderr=out, text=True
        )
    s = Server(proc, port, log)
    try:
        _wait_for(lambda: _ready(port), "the server to answer")
        _wait_for(lambda: len(s.workers()) == 2, "two web processes")
        _wait_for(lambda: all(n == 1 for n in _sockets_by_pid(s.workers(), port, "0A").values()), "a socket each")
        yield s
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_connections_opened_together_are_served_by_both_processes(server: Server) -> None:
    """One process is paused while 16 connections are opened: on a shared socket the other would
    accept them all; with a socket each, the paused one's share waits for it and is served by it."""
    workers = server.workers()
    request = f"GET /api/v1/api-info HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    os.kill(workers[0], signal.SIGSTOP)
    try:
        clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(CONNECTIONS)]
        for client in clients:
            client.sendall(request)
    finally:
        os.kill(workers[0], signal.SIGCONT)
    try:
        for client in clients:
            client.settimeout(30)
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
        counts = _sockets_by_pid(workers, server.port, "01")
        assert sum(counts.values()) == CONNECTIONS, counts
        # the kernel picks the socket by a hash of the address: all 16 on one has odds of 1 in 32,768
        assert all(n > 0 for n in counts.values()), counts
    finally:
        for client in clients:
            client.close()


def test_the_embedded_worker_runs_in_one_process_and_sigterm_stops_all(server: Server) -> None:
    _wait_for(lambda: len(server.embedded_worker_pids()) >= 1, "the embedded worker to start")
    (holder,) = server.embedded_worker_pids()
    workers = server.workers()
    assert holder in workers
    os.kill(holder, signal.SIGKILL)  # gunicorn starts a new web process, and the role goes to it
    _wait_for(lambda: len(server.embedded_worker_pids()) == 2, "the embedded worker in a new process")
    new = server.embedded_worker_pids()[1]
    assert new not in workers
    _wait_for(lambda: sorted(server.workers()) == sorted({*workers, new} - {holder}), "two web processes again")
    _wait_for(lambda: _ready(server.port), "the server to answer")

    alive = server.workers()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(60) == 0
    assert all(_gone(pid) for pid in alive)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{server.port}/api/v1/api-info", timeout=2)
