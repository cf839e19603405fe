"""API benchmark: commands/s and p50/p99 latency through HTTP, against the raw PostgreSQL rate.

Starts uvicorn in a subprocess on a fresh PostgreSQL database, then 16 concurrent clients (httpx,
asyncio) each drive their own case with `POST /cases/{id}/contacts` (If-Match from the last ETag)
for DURATION seconds. In the same run it measures one small INSERT+COMMIT per transaction with
16 connections. Prints one line; targets: >= 50 % of the raw rate, p99 < 100 ms.

    .venv/bin/python bench/api_bench.py [--duration 10] [--clients 16] [--workers 2]
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


def raw_rate(url: str, clients: int, duration: float) -> float:
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
    return sum(counts) / (time.perf_counter() - start)


async def http_rate(base: str, token: str, case_ids: list[str], duration: float) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}"}

    async def client(case_id: str) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as c:
            r = await c.get(f"/api/v1/cases/{case_id}")
            etag = r.headers["ETag"]
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = await c.post(
                    f"/api/v1/cases/{case_id}/contacts", json={"channel": "telefon"}, headers={"If-Match": etag}
                )
                latencies.append(time.perf_counter() - t0)
                if r.status_code == 200:
                    etag = r.headers["ETag"]
                else:
                    errors += 1
                    etag = (await c.get(f"/api/v1/cases/{case_id}")).headers["ETag"]

    stop = time.perf_counter() + duration
    start = time.perf_counter()
    await asyncio.gather(*(client(cid) for cid in case_ids))
    elapsed = time.perf_counter() - start
    return (len(latencies) - errors) / elapsed, latencies, errors


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    name = f"insats_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = f"{PG}/{name}"
    tmp = Path(tempfile.mkdtemp(prefix="insats-bench-"))
    env = {**os.environ, "DATABASE_URL": url, "KEY_DIR": str(tmp / "keys"), "PYTHONPATH": str(ROOT)}
    proc = None
    try:
        from api.auth import DEMO_IDENTITIES, build_authenticator
        from engine.adapters.store.migrate import upgrade
        from engine.settings import Settings

        upgrade(url)
        settings = Settings(database_url=url, key_dir=tmp / "keys")
        auth = build_authenticator(settings)  # creates the key pair the server will load
        sara = next(i for i in DEMO_IDENTITIES if i.client_id == "sara.samordnare@kommun")
        token = auth.issue(sara, ttl=3600)

        port = _free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "api.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(base + "/api/v1/api-info", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
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

        rate, lat, errors = asyncio.run(http_rate(base, token, case_ids, args.duration))
        proc.terminate()
        proc.wait(10)
        proc = None
        raw = raw_rate(url, args.clients, args.duration)
        lat.sort()
        p50 = statistics.median(lat) * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        print(
            f"api_bench: {rate:.0f} commands/s through HTTP ({args.clients} clients, {args.workers} workers, "
            f"PostgreSQL), p50 {p50:.1f} ms, p99 {p99:.1f} ms, errors {errors}; raw PostgreSQL "
            f"INSERT+COMMIT {raw:.0f}/s; ratio {rate / raw:.0%} (target >= 50 %, p99 < 100 ms)"
        )
        return 0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


if __name__ == "__main__":
    raise SystemExit(main())
