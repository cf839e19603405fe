"""bench/read_bench.py run once on small databases, untimed, so the benchmark cannot silently rot:
it must build its template through commands, seed both sizes by SQL, find every list non-empty,
print its one line with both sizes and the ratio, write the plans, and drop its databases."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres


def _bench_databases() -> set[str]:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'insats_read_bench_%'").fetchall()
    return {r[0] for r in rows}


def test_read_bench_runs_and_reports_one_line(tmp_path: Path) -> None:
    before = _bench_databases()
    plans = tmp_path / "plans.txt"
    done = subprocess.run(
        [sys.executable, "bench/read_bench.py", "--sizes", "200,400", "--requests", "6", "--rounds", "2",
         "--plans", str(plans)],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, lines
    for name in ("tasks/person", "tasks/party", "cases/2 filters"):
        assert re.search(re.escape(name) + r" p95 [\d.]+ ms @200 / [\d.]+ ms @400 \(x[\d.]+\)", lines[0]), lines[0]
    assert "; plans: " in lines[0]
    text = plans.read_text()
    assert "=== 200 cases" in text
    assert "=== 400 cases" in text
    assert text.count("--- ") == 12  # three lists, page and total, two sizes
    assert _bench_databases() == before
