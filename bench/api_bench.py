"""API benchmark: commands/s and p50/p99 latency through HTTP, against the raw PostgreSQL rate.

Starts the server as `make run` does (`python -m engine run --workers N`: migrations, then gunicorn
with uvicorn workers, a listening socket each; the embedded worker off) in a subprocess on a fresh
PostgreSQL database, then 16 concurrent clients
(keep-alive HTTP/1.1 on asyncio streams) each drive their own case with `POST /cases/{id}/contacts`
(If-Match from the last ETag). In the same run, in alternating rounds with the HTTP load, it
measures one small INSERT+COMMIT per transaction over 16 connections. Prints one line with the
medians; targets: >= 1000 commands/s, >= 50 % of the raw rate, p99 < 100 ms.

    .venv/bin/python bench/api_bench.py [--duration 10] [--rounds 5] [--clients 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raw_rate(url: str, clients: int, duration: float) -> tuple[float, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial primary key, v text not null)")
    counts = [0] * clients
    stop = time.perf_counter() + duration

    def work(i: int) -> None:
        with psycopg.connect(url) as conn:
            while time.perf_counter() < stop:
                conn.execute("INSERT INTO bench_raw (v) VALUES (%s)", ("x",))
                conn.commit()
                counts[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - start), sum(counts) + 1  # and the CREATE TABLE


def _commits(url: str, settle: bool = True) -> int:
    """Transactions committed in the benchmark's database so far (`settle`: once every other backend
    is gone, so that their counts are flushed to the statistics)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(300 if settle else 0):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
            if row is not None and row[0] == 0:
                break
            time.sleep(0.01)
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()
        return int(row[0]) if row is not None else 0


class _Conn:
    """One keep-alive HTTP/1.1 connection on asyncio streams: the load generator shares the two cores
    with the server and PostgreSQL, so it must cost little per request (httpx costs ~1 ms of CPU)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.auth = f"Authorization: Bearer {token}\r\nHost: {host}:{port}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\n{self.auth}{headers}"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        hdrs = {}
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                hdrs[k.strip().lower()] = v.strip()
        data = await self.reader.readexactly(int(hdrs.get("content-length", "0")))
        return status, hdrs, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def http_rate(base: str, token: str, case_ids: list[str], duration: float) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    url = httpx.URL(base)
    host, port = str(url.host), int(url.port or 80)
    body = b'{"channel":"telefon"}'

    async def client(case_id: str) -> None:
        nonlocal errors
        conn = _Conn(host, port, token)
        try:
            _, hdrs, _ = await conn.request("GET", f"/api/v1/cases/{case_id}")
            etag = hdrs["etag"]
            path = f"/api/v1/cases/{case_id}/contacts"
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                status, hdrs, _ = await conn.request("POST", path, body, f"If-Match: {etag}\r\n")
                latencies.append(time.perf_counter() - t0)
                if status == 200:
                    etag = hdrs["etag"]
                else:
                    errors += 1
                    etag = (await conn.request("GET", f"/api/v1/cases/{case_id}"))[1]["etag"]
        finally:
            conn.close()

    stop = time.perf_counter() + duration
    start = time.perf_counter()
    await asyncio.gather(*(client(cid) for cid in case_ids))
    elapsed = time.perf_counter() - start
    return (len(latencies) - errors) / elapsed, latencies, errors


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot (/proc/stat): per-process counters
    in this VM under-count (PostgreSQL's backends showed almost nothing), the machine's do not."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / tick, sum(fields) / tick


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5, help="alternating HTTP/raw rounds sharing --duration")
    args = ap.parse_args()

    name = f"insats_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = f"{PG}/{name}"
    tmp = Path(tempfile.mkdtemp(prefix="insats-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KEY_DIR": str(tmp / "keys"),
        "PYTHONPATH": str(ROOT),
        "EMBEDDED_WORKER": "false",  # the command path alone, as before
    }
    proc = None
    try:
        from api.auth import DEMO_IDENTITIES, build_authenticator
        from engine.settings import Settings

        settings = Settings(database_url=url, key_dir=tmp / "keys")
        auth = build_authenticator(settings)  # creates the key pair the server will load
        sara = next(i for i in DEMO_IDENTITIES if i.client_id == "sara.samordnare@kommun")
        token = auth.issue(sara, ttl=3600)

        port = _free_port()
        proc = subprocess.Popen(
            [
                *[sys.executable, "-m", "engine", "run", "--no-demo", "--host", "127.0.0.1", "--port", str(port)],
                *["--workers", str(args.workers), "--log-level", "warning", "--no-access-log"],
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,  # the start banner; errors still go to stderr
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):  # migrations and the definitions' sync come first
            if proc.poll() is not None:
                raise SystemExit(f"the server stopped ({proc.returncode})")
            try:
                if httpx.get(base + "/api/v1/api-info", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        for _ in range(8 * args.workers):  # fresh connections land on every process's socket: all are up
            httpx.get(base + "/api/v1/api-info", timeout=60).raise_for_status()
        case_ids = []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
            for i in range(args.clients):
                r = c.post("/api/v1/cases", json={"anonymous": True, "gender": "annat", "birth_year": 1980 + i})
                r.raise_for_status()
                case_ids.append(r.json()["id"])
            # warm-up
            for cid in case_ids:
                etag = c.get(f"/api/v1/cases/{cid}").headers["ETag"]
                c.post(f"/api/v1/cases/{cid}/contacts", json={}, headers={"If-Match": etag}).raise_for_status()

        factory = None
        if _has("uvloop"):
            import uvloop

            factory = uvloop.new_event_loop
        # Alternating short rounds, HTTP then raw, and the median ratio: this machine's speed drifts
        # by tens of percent over seconds (shared host), which a single long run of each would mix in.
        phase = args.duration / args.rounds
        rates: list[float] = []
        raws: list[float] = []
        lat: list[float] = []
        errors = 0
        busy = total = 0.0
        done = 0.0
        raw_commits = 0
        # Up to here the server's backends may hold a few unflushed counts (the warm-up): a few dozen
        # against thousands of commands.
        commits0 = _commits(url, settle=False)
        for _ in range(args.rounds):
            busy0, total0 = _machine_cpu()
            with asyncio.Runner(loop_factory=factory) as runner:
                rate, round_lat, round_errors = runner.run(http_rate(base, token, case_ids, phase))
            busy1, total1 = _machine_cpu()
            busy, total, done = busy + busy1 - busy0, total + total1 - total0, done + rate * phase
            rates.append(rate)
            lat.extend(round_lat)
            errors += round_errors
            raw, raw_count = raw_rate(url, args.clients, phase)
            raws.append(raw)
            raw_commits += raw_count
        proc.terminate()
        proc.wait(60)
        proc = None
        # what the HTTP rounds committed: one commit per command, plus what else the server commits
        per_command = (_commits(url) - commits0 - raw_commits) / max(1.0, done)
        cpu_ms = busy * 1000 / max(1.0, done)
        busy_share = busy / max(1e-9, total)
        rate, raw = statistics.median(rates), statistics.median(raws)
        ratio = statistics.median(r / w for r, w in zip(rates, raws, strict=True))
        lat.sort()
        loop = "uvloop+httptools" if _has("uvloop") and _has("httptools") else "asyncio+h11"
        p50 = statistics.median(lat) * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        print(
            f"api_bench: {rate:.0f} commands/s through HTTP ({args.clients} clients, {args.workers} workers, "
            f"PostgreSQL, {loop}), p50 {p50:.1f} ms, p99 {p99:.1f} ms, errors {errors}, "
            f"machine CPU {cpu_ms:.2f} ms/command ({busy_share:.0%} busy: server, PostgreSQL, load generator); "
            f"{per_command:.2f} PostgreSQL commits per command; "
            f"raw PostgreSQL INSERT+COMMIT {raw:.0f}/s; ratio {ratio:.0%} "
            f"(medians of {args.rounds} alternating rounds; targets >= 1000/s, >= 50 %, p99 < 100 ms)"
        )
        return 0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(60)
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


if __name__ == "__main__":
    raise SystemExit(main())
