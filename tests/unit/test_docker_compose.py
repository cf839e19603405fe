"""Docker cannot run here: check compose.yaml, the Dockerfile and .env.example against the code."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.cli import build_parser
from engine.settings import Settings

DOCKER = Path(__file__).resolve().parents[2] / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
SETTINGS = {name.upper() for name in Settings.model_fields}
OTHER_ENV = re.compile(r"^(PREFECT_[A-Z_]+|POSTGRES_(USER|PASSWORD|DB)|SKIP_MIGRATIONS)$")
PREFECT_COMMANDS = {("server", "start"), ("worker", "start")}


def parses(argv: list[str]) -> bool:
    """`python -m engine <argv>` is a command our CLI knows (argparse exits on anything else)."""
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


def env_file() -> dict[str, str]:
    pairs = {}
    for line in (DOCKER / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value
    return pairs


def test_the_services_we_promised_are_there() -> None:
    assert {"postgres", "api", "worker", "prefect-server", "prefect-worker", "mailpit"} <= set(SERVICES)
    assert SERVICES["worker"]["deploy"]["replicas"] == 2
    assert SERVICES["api"]["deploy"]["replicas"] >= 2, "the api scales out as replicas"
    assert SERVICES["api"]["environment"]["EMBEDDED_WORKER"] == "false", "timers run in the worker service"
    assert any(v.endswith(":/app/var/keys") for v in SERVICES["api"]["volumes"]), "one key set for all replicas"
    prefect_env = SERVICES["prefect-server"]["environment"]
    assert "postgresql+asyncpg://" in prefect_env["PREFECT_SERVER_DATABASE_CONNECTION_URL"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_command_exists(name: str) -> None:
    svc = SERVICES[name]
    command = svc.get("command")
    if command is None:
        assert "image" in svc, f"{name}: our image without a command"
        assert "build" not in svc, f"{name}: our image without a command"
        return
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if svc.get("entrypoint") == ["prefect"]:
        assert tuple(argv[:2]) in PREFECT_COMMANDS, argv
        return
    assert argv[:3] == ["python", "-m", "engine"], argv
    assert parses(argv[3:]), f"{name}: python -m engine {' '.join(argv[3:])} is not a command"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_a_healthcheck(name: str) -> None:
    check = SERVICES[name].get("healthcheck")
    assert check, name
    if check.get("disable"):
        assert SERVICES[name].get("restart") == "no", f"{name}: only one-shot jobs go without a healthcheck"
        return
    test = check["test"]
    assert test[0] in ("CMD", "CMD-SHELL")
    if test[1:4] == ["python", "-m", "engine"]:
        assert parses(test[4:])


def test_every_environment_variable_is_one_the_code_reads() -> None:
    names: set[str] = set(env_file())
    for svc in SERVICES.values():
        env = svc.get("environment") or {}
        names |= set(env) if isinstance(env, dict) else {e.split("=", 1)[0] for e in env}
    unknown = {n for n in names if n not in SETTINGS and not OTHER_ENV.match(n)}
    assert unknown == set()


def test_env_example_documents_every_setting() -> None:
    assert SETTINGS <= set(env_file())


def test_dockerfile_multi_stage_non_root_healthcheck_and_entrypoint() -> None:
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert "-slim" in text
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user
    assert user[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK ", text, re.M)
    entry = re.search(r"^ENTRYPOINT \[\"([^\"]+)\"\]", text, re.M)
    assert entry is not None
    copied = re.search(rf"^COPY .*?(\S+) {re.escape(entry[1])}$", text, re.M)
    assert copied is not None, "the entrypoint is a file the image gets"
    script = (DOCKER.parent / copied[1]).read_text(encoding="utf-8")
    upgrade = re.search(r"python -m engine (db upgrade)", script)
    assert upgrade is not None
    assert parses(upgrade[1].split())
    assert 'exec "$@"' in script
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M)
    assert cmd is not None
    argv = yaml.safe_load(cmd[1])
    assert argv[:3] == ["python", "-m", "engine"]
    assert parses(argv[3:])
