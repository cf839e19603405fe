"""`python -m engine run` (what `make run` does): migrate, load definitions, demo data, uvicorn."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

BANNER = "=" * 78


def serve(host: str | None = None, port: int | None = None, demo_data: bool = True, workers: int | None = None) -> int:
    import uvicorn

    from api import demo
    from api import workers as api_workers
    from api.app import create_app
    from engine.adapters.store.migrate import upgrade
    from engine.settings import get_settings

    settings = get_settings()
    parsed = urlparse(settings.base_url)
    host = host or parsed.hostname or "127.0.0.1"
    port = port or parsed.port or 8000
    base = f"http://{host}:{port}"

    print(f"Databas / database: {_safe_url(settings.database_url)}", flush=True)
    upgrade(settings.database_url)
    app = create_app(settings)
    auth = app.state.authenticator
    if demo_data and not demo.has_cases(settings):
        made = demo.create_demo_cases(app.state.services, datetime.now(UTC).date())
        print(f"Demodata skapad / demo data created: {len(made)} ärenden", flush=True)
    _print_access(base, auth, settings, demo.web_passwords(app, settings.key_dir))
    scheduler = None
    if settings.embedded_worker:  # timers and notifications in the same process (embedded default)
        from engine.adapters.scheduler import start_embedded_worker

        scheduler = start_embedded_worker(app.state.services)
        print(f"Arbetare / worker: var {settings.worker_interval_seconds:g} s i API-processen", flush=True)
    workers = workers or settings.web_workers
    try:
        if workers > 1:  # each worker process builds its own app from the same settings (environment)
            print(f"uvicorn: {workers} processer / worker processes", flush=True)
            if api_workers.supported():  # a listening socket each: connections spread over the processes
                return api_workers.run_workers(host, port, workers)
            uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info", workers=workers)
        else:
            uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


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
