"""The one test that runs Prefect for real: a local `prefect server`, a deployment served by
`python -m engine flows serve`, a run of it, and the files it wrote. Everything else about the
flows is tested through the service layer (Prefect takes seconds per run)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def prefect_env(tmp_path: Path, sqlite_template: Path) -> Iterator[dict[str, str]]:
    port = free_port()
    db = tmp_path / "insats.db"
    shutil.copyfile(sqlite_template, db)
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "DATABASE_URL": f"sqlite:///{db}",
        "REPORTS_DIR": str(tmp_path / "reports"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_healthy(f"http://127.0.0.1:{port}/api/health", server)
        yield env
    finally:
        stop(server)


def test_a_served_deployment_runs_on_a_real_prefect_server(prefect_env: dict[str, str], tmp_path: Path) -> None:
    runner = subprocess.Popen(
        [sys.executable, "-m", "engine", "flows", "serve", "--only", "report", "--no-schedules"],
        env=prefect_env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        script = (
            "import json, time\n"
            "from prefect.deployments import run_deployment\n"
            "for _ in range(120):\n"
            "    try:\n"
            "        r = run_deployment('uppfoljning-finsam/monthly', parameters={'period': '2026T1'}, timeout=120)\n"
            "        break\n"
            "    except Exception:\n"
            "        time.sleep(0.5)\n"
            "print(json.dumps({'state': r.state.type.value, 'name': r.state.name}))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", script], env=prefect_env, cwd=tmp_path, capture_output=True, timeout=240, check=True
        )
        result = json.loads(out.stdout.decode().strip().splitlines()[-1])
    finally:
        stop(runner)
    assert result["state"] == "COMPLETED", result
    report = json.loads((tmp_path / "reports" / "uppfoljning-2026-T1.json").read_text(encoding="utf-8"))
    assert report["period"] == "2026-T1"
    assert report["threshold"] == 5
    assert (tmp_path / "reports" / "uppfoljning-2026-T1.png").exists()
