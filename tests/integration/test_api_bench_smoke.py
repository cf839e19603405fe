"""bench/api_bench.py run once, briefly and untimed, so the benchmark cannot silently rot: it must
start the server on a fresh PostgreSQL database, drive commands through HTTP without an error,
measure the raw rate in alternating rounds, print its one line and drop its database."""

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
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'insats_bench_%'").fetchall()
    return {r[0] for r in rows}


def test_api_bench_runs_and_reports_one_line(tmp_path: Path) -> None:
    before = _bench_databases()
    done = subprocess.run(
        [sys.executable, "bench/api_bench.py", "--duration", "1", "--rounds", "2", "--clients", "2", "--workers", "1"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = done.stdout.strip().splitlines()[-1]
    m = re.match(r"api_bench: (\d+) commands/s through HTTP \(2 clients, 1 workers, PostgreSQL, .*errors (\d+),", line)
    assert m is not None, line
    assert int(m.group(1)) > 0
    assert m.group(2) == "0"
    assert re.search(r"raw PostgreSQL INSERT\+COMMIT \d+/s; ratio \d+%", line), line
    commits = re.search(r"; (\d+\.\d+) PostgreSQL commits per command", line)
    assert commits is not None, line
    assert 0 < float(commits.group(1)) < 3, "every command is committed, in its own or a shared statement"
    assert _bench_databases() == before, "the benchmark drops the database it made"
