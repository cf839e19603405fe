"""The README's curl walkthrough, run as written (bash, curl, jq) twice against a live
`python -m engine run` on one database: the second run must work as the first (issue 13). The
server takes its port from the PORT environment variable, as `make run PORT=...` documents."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.notify_kit import free_port

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("bash", "curl", "jq")  # `make test` installs curl and jq with chromium when missing


def test_the_walkthrough_tools_are_installed() -> None:
    assert all(shutil.which(tool) for tool in TOOLS), f"the walkthrough needs {', '.join(TOOLS)}: run make test"


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("```sh", readme.index("One case from referral to exit with curl")) + len("```sh")
    return readme[start : readme.index("```", start)]


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/api-info", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A live server as `make run` starts it, in a directory of its own (var/ there)."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "EMBEDDED_WORKER": "false", "PYTHONPATH": str(ROOT)}
    for name in ("DATABASE_URL", "KEY_DIR", "BASE_URL"):
        env.pop(name, None)
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "run", "--no-demo", "--no-access-log"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not _ready(port):  # waiting for another process to start; not a test of time
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield port, tmp_path
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def test_the_readme_walkthrough_runs_twice_on_the_same_database(server: tuple[int, Path]) -> None:
    port, cwd = server
    script = walkthrough()
    assert "set -euo pipefail" in script
    assert "--fail-with-body" in script
    env = {**os.environ, "API": f"http://127.0.0.1:{port}/api/v1"}
    cases = []
    for _ in range(2):
        done = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.strip().splitlines()
        assert "null" not in done.stdout, done.stdout
        assert '"phase":"avslut"' in lines[-2]
        assert '"status":"closed"' in lines[-1]
        cases.append(lines[-1])
    assert cases[0] != cases[1]  # a new case each run, not the first one replayed


def test_the_walkthrough_stops_at_the_first_failing_call(server: tuple[int, Path]) -> None:
    port, cwd = server
    env = {**os.environ, "API": f"http://127.0.0.1:{port}/api/v1"}
    broken = walkthrough().replace("client_id=kommun-system", "client_id=nobody", 1)
    done = subprocess.run(["bash", "-c", broken], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert '"phase"' not in done.stdout
