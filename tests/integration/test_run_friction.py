"""What a new user met starting the service (issue 13): `make run` takes a port, the start banner
shows no web passwords for accounts that are off, and `python -m engine token <user-id>` gives the
auditor and the förbund admin a token without copying it from the banner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api import demo
from api.app import create_app
from api.auth import build_authenticator
from api.serve import _print_access
from engine.adapters.store.migrate import upgrade
from engine.settings import Settings
from tests.fakes import FakeClock
from tests.integration.pages_kit import START

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_passes_port_and_arguments_to_engine_run() -> None:
    # --no-print-directory: under `make test` (MAKELEVEL set) a child make prints "Leaving directory"
    out = subprocess.run(
        ["make", "--no-print-directory", "-n", "-W", ".venv/.installed", "run", "PORT=8080",
         "ARGS=--workers 2 --no-demo"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert ".venv/bin/python -m engine run --port 8080 --workers 2 --no-demo" in out
    plain = subprocess.run(
        ["make", "--no-print-directory", "-n", "-W", ".venv/.installed", "run"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert plain.strip().splitlines()[-1].strip() == ".venv/bin/python -m engine run"


def test_the_port_setting_is_read_from_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "8123")
    assert Settings().port == 8123
    monkeypatch.delenv("PORT")
    assert Settings(port=None).port is None


@pytest.mark.parametrize("setting", ["web_demo_accounts", "web_local_accounts"])
def test_with_demo_accounts_off_the_banner_prints_no_web_passwords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str
) -> None:
    url = f"sqlite:///{tmp_path / 'insats.db'}"
    upgrade(url)
    keys = tmp_path / "keys"
    first = create_app(Settings(database_url=url, key_dir=keys), clock=FakeClock(START))
    try:
        assert demo.web_passwords(first, keys)  # a first start made them
    finally:
        first.state.services.close()
    settings = Settings(database_url=url, key_dir=keys, **{setting: False})
    app = create_app(settings, clock=FakeClock(START))
    try:
        assert (keys / demo.WEB_PASSWORDS_FILE).exists()  # the file of the earlier start is still there
        passwords = demo.web_passwords(app, keys)
        assert passwords == {}
        _print_access("http://127.0.0.1:8000", app.state.authenticator, settings, passwords)
        out = capsys.readouterr().out
        assert "lösenord / password" not in out
        assert "/logga-in" not in out
    finally:
        app.state.services.close()


def test_banner_shows_only_passwords_of_accounts_that_exist(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'insats.db'}"
    upgrade(url)
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / demo.WEB_PASSWORDS_FILE).write_text(json.dumps({"gone.user@kommun": "x"}), encoding="utf-8")
    app = create_app(Settings(database_url=url, key_dir=keys), clock=FakeClock(START))
    try:
        # accounts exist already (so none are seeded): the file's stale entry names no account
        app.state.web.accounts.save("ida.auditor", kind="auditor", party=None, roles=(), name="Ida", password="p" * 12)
        app.state.web.demo_checked = False
        assert demo.web_passwords(app, keys) == {}
    finally:
        app.state.services.close()


def test_engine_token_prints_a_bearer_token_for_a_demo_user(tmp_path: Path) -> None:
    env = {**os.environ, "KEY_DIR": str(tmp_path / "keys"), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    env.pop("JWKS_URL", None)
    for user in ("ida.auditor", "forbund.admin"):
        done = subprocess.run([sys.executable, "-m", "engine", "token", user], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        token = done.stdout.strip()
        auth = build_authenticator(Settings(key_dir=tmp_path / "keys"))
        caller = auth.verify(token)
        assert caller.user_id == user
    unknown = subprocess.run([sys.executable, "-m", "engine", "token", "nobody"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert unknown.returncode == 2
    assert "ida.auditor" in unknown.stderr
    external = subprocess.run([sys.executable, "-m", "engine", "token", "ida.auditor"], cwd=ROOT,
                              env={**env, "JWKS_URL": "https://idp.example/jwks"}, capture_output=True, text=True,
                              timeout=60)  # fmt: skip
    assert external.returncode == 2
    assert external.stdout == ""
