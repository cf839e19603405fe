"""Lint stays clean: ruff over every package we ship or test, mypy --strict over the engine
(mypy follows imports into api/ and flows/, so their types are checked too)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_ruff_finds_nothing() -> None:
    out = _run("ruff", "check", "--no-cache", "engine", "api", "flows", "tests", "bench")
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_finds_nothing() -> None:
    out = _run("mypy", "--strict", "engine")
    assert out.returncode == 0, out.stdout + out.stderr
