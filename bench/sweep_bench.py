"""Timer sweep on PostgreSQL: 10,000 due timers among 10,000 and among 1,000,000 pending ones.

Prints one line: due timers fired per second (one worker and two), and the time to find a batch of
due timers (the claim query) with 10,000 and with 1,000,000 pending; EXPLAIN must use the index.
`python bench/sweep_bench.py [--pending 1000000] [--due 10000] [--per-command]` (`--per-command`: the
one unit of work per case, through the same `append`, for comparison).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine.adapters.store.migrate import upgrade  # noqa: E402
from engine.bootstrap import build_services  # noqa: E402
from engine.service.timers import SweepStats, sweep_due_timers  # noqa: E402
from engine.settings import Settings  # noqa: E402
from tests.fakes import FakeClock  # noqa: E402
from tests.integration.timer_kit import clone_cases, template_case  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
START = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)


def _admin(sql: str) -> None:
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as c:
        c.execute(sql)


def setup(due: int, pending: int) -> tuple[str, str]:
    name = f"insats_bench_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    url = PG + name
    upgrade(url)
    clock = FakeClock(START)
    svc = build_services(Settings(database_url=url, definitions_dir=ROOT / "definitions"), clock=clock)
    try:
        tid = template_case(svc)
        with svc.uow() as uow:
            per_case = uow.session.execute(text("SELECT count(*) FROM timers WHERE case_id=:c"), {"c": tid}).scalar()
        assert per_case
        n_cases = -(-due // int(per_case))
        clone_cases(svc, tid, n_cases)
        with svc.uow() as uow:
            uow.session.execute(text("DELETE FROM timers WHERE case_id = :c"), {"c": tid})
            extra = pending - due
            if extra > 0:
                per = -(-extra // n_cases)
                uow.session.execute(
                    text(
                        "INSERT INTO timers (case_id, timer_id, due_at, kind, ref) "
                        "SELECT c.id, 'pending:' || g, :far + g * interval '1 minute', 'reminder', NULL "
                        "FROM (SELECT id FROM cases WHERE id <> :t ORDER BY id) c CROSS JOIN generate_series(1, :per) g"
                    ),
                    {"far": START + timedelta(days=400), "per": per, "t": tid},
                )
            uow.commit()
        with svc.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    finally:
        svc.close()
    return name, url


def measure(url: str, workers: int, batched: bool = True) -> tuple[float, float, str, int]:
    now = START + timedelta(days=60)
    svcs = [build_services(Settings(database_url=url, sync_definitions=False), clock=FakeClock(now))
            for _ in range(workers)]
    try:
        with svcs[0].engine.connect() as conn:
            q = ("SELECT case_id, timer_id FROM timers WHERE due_at <= :now AND (claimed_until IS NULL "
                 "OR claimed_until <= :now) ORDER BY due_at LIMIT 500 FOR UPDATE SKIP LOCKED")
            plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + q), {"now": now}))
            t0 = time.perf_counter()
            for _ in range(20):
                conn.execute(text(q), {"now": now}).all()
                conn.rollback()
            find_ms = (time.perf_counter() - t0) / 20 * 1000
        stats = [SweepStats() for _ in svcs]
        kw = {"batch": 500, "batched": batched}
        threads = [threading.Thread(target=sweep_due_timers, args=(s,), kwargs={"stats": st, **kw})
                   for s, st in zip(svcs, stats, strict=True)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        fired = sum(st.fired for st in stats)
        fired += sweep_due_timers(svcs[0])  # stragglers released after a version conflict
        return fired / elapsed, find_ms, plan, fired
    finally:
        for s in svcs:
            s.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--due", type=int, default=10_000)
    ap.add_argument("--pending", type=int, default=1_000_000)
    ap.add_argument("--per-command", action="store_true", help="one unit of work per case (the same append path)")
    args = ap.parse_args()
    figures = []
    for pending in (args.due, args.pending):
        for workers in (1, 2):
            name, url = setup(args.due, pending)
            try:
                rate, find_ms, plan, fired = measure(url, workers, batched=not args.per_command)
            finally:
                _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            assert "Index" in plan, plan
            assert fired >= args.due, fired
            figures.append(f"pending={pending} workers={workers}: {rate:,.0f} fired/s, find {find_ms:.2f} ms/500")
    path = "per-command" if args.per_command else "batched"
    print(f"sweep_bench ({path}): " + "; ".join(figures) + " (index scan on timers.due_at)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
