"""Several uvicorn processes on one port, each listening on a socket of its own (SO_REUSEPORT).

uvicorn's own `--workers` shares one listening socket between its processes, and whichever process
wakes first accepts the connections waiting: keep-alive connections opened together (a party's case
system starting up, a load balancer's pool) can pile up in one process while the other cores idle
(seen: all 16 of api_bench's connections in one of two processes, three runs in a row). With a
socket per process the kernel spreads new connections over them by a hash of the address.

The supervisor starts `workers` children (`python -m api.workers --child ...`), starts a new one
when one exits, and on SIGTERM or SIGINT stops them all (each finishes its requests, as uvicorn
does); a child whose supervisor dies (even by SIGKILL) is sent SIGTERM by the kernel. Linux and
the BSDs have SO_REUSEPORT; elsewhere `serve` uses uvicorn's own workers.

    python -m api.workers --workers 2 [--host 127.0.0.1] [--port 8000] [--log-level info] [--no-access-log]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

APP = "api.app:create_app"
RESTART_PAUSE_SECONDS = 1.0


def supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, shared: bool = True) -> socket.socket:
    """A listening socket on host:port; `shared`: one that the other workers bind too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _die_with_the_supervisor() -> None:
    """Linux: SIGTERM when the supervisor dies, even by SIGKILL (no orphans holding the port)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def serve_one(host: str, port: int, log_level: str, access_log: bool) -> None:
    """One worker: its own socket, one uvicorn server with the app built from the environment."""
    import uvicorn

    parent = os.getppid()
    _die_with_the_supervisor()
    if os.getppid() != parent:  # the supervisor died before the line above
        return
    sock = listening_socket(host, port)
    config = uvicorn.Config(APP, factory=True, host=host, port=port, log_level=log_level, access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(host: str, port: int, workers: int, log_level: str = "info", access_log: bool = True) -> int:
    """Supervise `workers` processes until SIGTERM/SIGINT; returns 0 once they have all stopped."""
    # Fails at once if anything listens on the port, another set of workers included: a socket
    # without SO_REUSEPORT cannot join theirs (two deployments must not split the traffic).
    listening_socket(host, port, shared=False).close()
    command = [sys.executable, "-m", "api.workers", "--child", "--host", host, "--port", str(port)]
    command += ["--log-level", log_level, *([] if access_log else ["--no-access-log"])]
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    children = [subprocess.Popen(command) for _ in range(workers)]
    try:
        while not stopping:
            time.sleep(0.2)
            for i, child in enumerate(children):
                if child.poll() is not None and not stopping:
                    print(f"arbetsprocess {child.pid} avslutades ({child.returncode}); startar en ny", flush=True)
                    time.sleep(RESTART_PAUSE_SECONDS)  # a child failing at start must not spin
                    if not stopping:
                        children[i] = subprocess.Popen(command)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m api.workers", description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--no-access-log", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        serve_one(args.host, args.port, args.log_level, not args.no_access_log)
        return 0
    return run_workers(args.host, args.port, args.workers, args.log_level, not args.no_access_log)


if __name__ == "__main__":
    raise SystemExit(main())
