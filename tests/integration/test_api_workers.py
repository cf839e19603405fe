"""`python -m api.workers`: several uvicorn processes, a listening socket each (SO_REUSEPORT).

Connections opened together must spread over the processes (uvicorn's shared socket put them all in
one), a process that dies is replaced, and SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine.adapters.store.migrate import upgrade
from tests.integration.notify_kit import free_port

ROOT = Path(__file__).resolve().parents[2]
CONNECTIONS = 16


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _wait_for(check: object, what: str, seconds: float = 60.0) -> None:
    """Wait for another process (the supervisor, a child) to get somewhere; not a test of time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _listening(pids: list[int], port: int) -> bool:
    """Every one of `pids` has its own listening socket on `port`."""
    return all(n == 1 for n in _established_by_pid(pids, port, state="0A").values())


def _ready(base: str) -> bool:
    try:
        return httpx.get(base + "/api/v1/api-info", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _established_by_pid(pids: list[int], port: int, state: str = "01") -> dict[int, int]:
    """How many sockets on `port` each process holds (local port == `port`), in `state`:
    01 ESTABLISHED (connections served), 0A LISTEN."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state:
                inodes.add(fields[9])
    counts = {}
    for pid in pids:
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held += 1
        counts[pid] = held
    return counts


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    url = f"sqlite:///{tmp_path / 'insats.db'}"
    upgrade(url)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "KEY_DIR": str(tmp_path / "keys"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.workers", "--workers", "2", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_for(lambda: _ready(f"http://127.0.0.1:{port}"), "the workers to answer")
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_each_process_serves_the_connections_on_its_own_socket(
    supervisor: tuple[subprocess.Popen[bytes], int],
) -> None:
    """One process is paused while 16 connections are opened: on a shared socket the other would
    accept them all; with a socket each, the paused one's share waits for it and is served by it."""
    proc, port = supervisor
    _wait_for(lambda: len(_children(proc.pid)) == 2, "two worker processes")
    workers = _children(proc.pid)
    _wait_for(lambda: _listening(workers, port), "a listening socket in each worker")
    request = f"GET /api/v1/api-info HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    os.kill(workers[0], signal.SIGSTOP)
    try:
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(CONNECTIONS)]
        for client in clients:
            client.sendall(request)
    finally:
        os.kill(workers[0], signal.SIGCONT)
    try:
        for client in clients:
            client.settimeout(30)
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
        counts = _established_by_pid(workers, port)
        assert sum(counts.values()) == CONNECTIONS, counts
        # the kernel picks the socket by a hash of the address: all 16 on one has odds of 1 in 32,768
        assert all(n > 0 for n in counts.values()), counts
    finally:
        for client in clients:
            client.close()


def test_a_worker_that_dies_is_replaced_and_sigterm_stops_them_all(
    supervisor: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = supervisor
    _wait_for(lambda: len(_children(proc.pid)) == 2, "two worker processes")
    first, second = _children(proc.pid)
    os.kill(first, signal.SIGKILL)
    _wait_for(lambda: len(set(_children(proc.pid)) - {first, second}) == 1, "a new worker process")
    assert second in _children(proc.pid)
    (new,) = set(_children(proc.pid)) - {second}
    _wait_for(lambda: _listening([new, second], port), "the new worker's listening socket")
    os.kill(second, signal.SIGSTOP)  # so that the new worker answers
    try:
        _wait_for(lambda: _ready(f"http://127.0.0.1:{port}"), "the new worker to answer")
    finally:
        os.kill(second, signal.SIGCONT)

    workers = _children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/api/v1/api-info", timeout=2)


def test_workers_do_not_outlive_a_killed_supervisor(supervisor: tuple[subprocess.Popen[bytes], int]) -> None:
    proc, port = supervisor
    _wait_for(lambda: len(_children(proc.pid)) == 2, "two worker processes")
    workers = _children(proc.pid)
    proc.kill()  # SIGKILL: no chance to stop them itself
    proc.wait()

    def gone() -> bool:
        return all(
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
            for pid in workers
        )

    _wait_for(gone, "the workers to stop")
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/api/v1/api-info", timeout=2)
