"""`python -m engine run` (what `make run` does): migrate, load definitions, demo data, then serve.

Everything that must happen once happens here, in the parent, before any web process starts: the
migrations, the definitions' sync, the demo data, the key pair and demo clients (so every process
verifies the same tokens). One process (`--workers 1`, the default) is uvicorn with the app built
here. Several (`--workers N` / WEB_WORKERS) are gunicorn's arbiter with uvicorn workers, each
building its own app (no definitions' sync there) and listening on a socket of its own
(`reuse_port`): with uvicorn's own `workers=` all processes share one socket, and a burst of
keep-alive connections opened together (api_bench's 16, a party system's pool) lands in whichever
process wakes first; with a socket each the kernel spreads them by a hash of the address. The
embedded worker (timer sweep and dispatcher) runs in exactly one process: the web process when
there is one, else the one gunicorn worker that holds the role (given to a new worker when its
holder is gone).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from engine.settings import Settings

BANNER = "=" * 78


def serve(
    host: str | None = None,
    port: int | None = None,
    demo_data: bool = True,
    workers: int | None = None,
    *,
    log_level: str = "info",
    access_log: bool = True,
) -> int:
    from api import demo
    from api.app import create_app
    from engine.bootstrap import upgrade_database
    from engine.settings import get_settings

    settings = get_settings()
    parsed = urlparse(settings.base_url)
    host = host or parsed.hostname or "127.0.0.1"
    port = port or settings.port or parsed.port or 8000
    workers = workers or settings.web_workers
    base = f"http://{host}:{port}"

    print(f"Databas / database: {_safe_url(settings.database_url)}", flush=True)
    upgrade_database(settings.database_url)
    app = create_app(settings)  # syncs the definitions; creates the key pair on first start
    if demo_data and not demo.has_cases(settings):
        made = demo.create_demo_cases(app.state.services, datetime.now(UTC).date())
        print(f"Demodata skapad / demo data created: {len(made)} ärenden", flush=True)
    _print_access(base, app.state.authenticator, settings, demo.web_passwords(app, settings.key_dir))
    if workers > 1:
        app.state.services.close()  # the workers build their own; nothing of the parent's crosses a fork
        from api.server import run_gunicorn

        print(f"gunicorn: {workers} processer med uvicorn / uvicorn worker processes", flush=True)
        ensure_port_free(host, port)
        return run_gunicorn(settings, host, port, workers, log_level=log_level, access_log=access_log)
    import uvicorn

    scheduler = start_worker(app.state.services, settings)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        app.state.services.close()
    return 0


def start_worker(services: Any, settings: Settings) -> Any:
    """The embedded worker (EMBEDDED_WORKER, on by default): the APScheduler that triggers the timer
    sweep and the dispatcher in this process. None when it is off."""
    if not settings.embedded_worker:
        return None
    from engine.bootstrap import start_embedded_worker

    scheduler = start_embedded_worker(services)
    print(f"Arbetare / worker: var {settings.worker_interval_seconds:g} s i process {os.getpid()}", flush=True)
    return scheduler


def ensure_port_free(host: str, port: int) -> None:
    """Fail at once when anything listens on the port (another set of workers included: a socket
    without SO_REUSEPORT cannot join theirs), not in every worker over and over."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(f"{host}:{port} används redan / is in use: {exc}") from None


def _safe_url(url: str) -> str:
    p = urlparse(url)
    if p.password:
        return url.replace(p.password, "***")
    return url


def _print_access(base: str, auth: Any, settings: Any, web_passwords: dict[str, str] | None = None) -> None:
    from api import demo

    out = sys.stdout
    print(BANNER, file=out)
    print(f"API-dokumentation / docs:  {base}/docs", file=out)
    print(f"OpenAPI:                   {base}/api/v1/openapi.json", file=out)
    print(f"api-info:                  {base}/api/v1/api-info", file=out)
    if web_passwords:
        print(BANNER, file=out)
        print(f"Webbsidor / web pages:     {base}/logga-in  (lösenorden från första starten, i", file=out)
        print(f"  {settings.key_dir / demo.WEB_PASSWORDS_FILE}; ändras de i sidorna gäller de nya)", file=out)
        for user_id, password in web_passwords.items():
            print(f"  {user_id:25} lösenord / password: {password}", file=out)
    if not auth.embedded:
        print("Tokens utfärdas av den konfigurerade identitetsleverantören (JWKS_URL).", file=out)
        print(BANNER, file=out, flush=True)
        return
    print(f"Token (client credentials): POST {base}/api/v1/token", file=out)
    print(BANNER, file=out)
    print("Bearer-tokens för demoanvändare (giltiga 12 timmar) / demo bearer tokens (12 h):", file=out)
    for ident, token in demo.demo_tokens(auth):
        var = "TOKEN_" + ident.client_id.split("@")[0].replace(".", "_").replace("-", "_").upper()
        print(f"# {ident.name} ({ident.kind}{', ' + ident.party if ident.party else ''})", file=out)
        print(f"export {var}={token}", file=out)
    secrets_path = settings.key_dir / "demo-secrets.json"
    if secrets_path.exists():
        plain = json.loads(secrets_path.read_text())
        print(BANNER, file=out)
        print(f"Partssystem (klienthemlighet och X-API-Key finns i {secrets_path}):", file=out)
        for client_id, s in plain.items():
            print(f"  {client_id:15} client_secret={s['client_secret']}  X-API-Key={s['api_key']}", file=out)
    print(BANNER, file=out, flush=True)
