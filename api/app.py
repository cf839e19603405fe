"""The composition root of the HTTP service: settings → services → FastAPI app.

`create_app()` refuses to start on an unmigrated database (the store's `check_migrated`), so a
forgotten `python -m engine db upgrade` is a clear message at start-up, not a 500 later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from api.auth import build_authenticator
from api.fields import CONTROL_CHARACTERS
from api.guard import _PNR, looks_like_personnummer
from api.limits import BodyLimit, SignInLimiter
from api.parties import KnownParties
from api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, Problem

API_VERSION = "1.0.0"
API_RELEASED = "2026-11-25"
API_PREFIX = "/api/v1"
CONTACT = {"name": "insats-projektet", "email": "insats@example.org", "url": "https://insats.example"}
LICENCE = {"name": "EUPL-1.2", "identifier": "EUPL-1.2"}

DESCRIPTION = """\
**Svenska.** REST-API för individuella insatser i samordningsförbund (FINSAM, lag 2003:1210):
aktualisering, samtycke, beslut, faser, uppgifter till parterna (AF, FK, kommun, region),
tidslinje, händelseflöde för integrationer, processdefinitioner och loggkontroll. Följer DIGG:s
REST API-profil: `/api/v1`, snake_case, datum i RFC 3339 UTC, sidindelning med `limit`/`page`,
fel som RFC 9457 problem+json med en stabil `type` per felkod. Personnummer skickas aldrig i en
URL: sök med `POST /api/v1/persons/search`. Kommandon på ett ärende kräver `If-Match` med
ärendets `ETag`; `Idempotency-Key` gör omförsök säkra. Varje läsning av personuppgifter loggas.

**English.** REST API for individual rehabilitation interventions run by Swedish coordination
associations: referral, consent, participation decision, phases, tasks for the parties, case
timeline, an event feed for integrations, process definitions and the access log. Follows DIGG's
REST API profile. Authenticate with `Authorization: Bearer <JWT>` (OAuth 2 client credentials at
`POST /api/v1/token` in the embedded default) or, for party systems, `X-API-Key`.
"""

TAGS = [
    {"name": "api-info", "description": "Om API:et / about the API"},
    {"name": "auth", "description": "Token (OAuth 2 client credentials) / authentication"},
    {"name": "cases", "description": "Ärenden: aktualisering till avslut / cases from referral to exit"},
    {"name": "tasks", "description": "Uppgifter till min part / my party's task inbox"},
    {"name": "persons", "description": "Personsök (POST) / person search"},
    {"name": "definitions", "description": "Processdefinitioner / process definitions"},
    {"name": "events", "description": "Händelseflöde för integrationer / event feed"},
    {"name": "access-log", "description": "Loggkontroll / access log review (auditors)"},
]


class PersonnummerGuard:
    """Rejects any request with a personnummer in its path or query string (DIGG: it ends up in logs),
    and a page's URL with control characters (a NUL in a query reaches PostgreSQL: issue 13)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            from urllib.parse import unquote

            raw = unquote(scope.get("path", "")) + "?" + unquote(scope.get("query_string", b"").decode("latin-1"))
            if not scope.get("path", "").startswith(API_PREFIX) and CONTROL_CHARACTERS.search(raw):
                # The pages' path and query parameters (the API's are typed: 422 naming the field).
                response = problems.problem_response(
                    None,
                    400,
                    "bad_request",
                    "URL:en innehåller styrtecken / the URL contains control characters",
                    instance="(borttaget / redacted)",
                )
                await response(scope, receive, send)
                return
            if looks_like_personnummer(raw):
                response = problems.problem_response(
                    None,
                    400,
                    "personnummer_in_url",
                    "Personnummer får inte skickas i en URL; använd POST /api/v1/persons/search",
                    instance="(borttaget / redacted)",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class NoStore:
    """`Cache-Control: no-store` on every API response that has none (plain ASGI: a
    `BaseHTTPMiddleware` costs a task and a stream per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers.append("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_no_store)


class _RedactPersonnummer(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _PNR.sub("[personnummer]", a) if isinstance(a, str) and looks_like_personnummer(a) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True


def _custom_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=TAGS,
            contact=CONTACT,
            license_info=LICENCE,
            servers=[{"url": "/", "description": "Den här servern / this server"}],
        )
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        comps["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in comps["Problem"].pop("$defs", {}).items():
            comps.setdefault(name, sub)
        comps.pop("HTTPValidationError", None)
        comps.pop("ValidationError", None)
        for path_item in schema.get("paths", {}).values():
            for op in path_item.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                responses = op["responses"]
                for status in ("400", "401", "403", "404", "422", "500"):
                    if status in responses or status == "422":
                        responses[status] = _problem_doc(int(status))
                    else:
                        responses.setdefault(status, _problem_doc(int(status)))
        app.openapi_schema = schema
        return schema

    return openapi


def _problem_doc(status: int) -> dict[str, Any]:
    code = problems.STATUS_CODES.get(status, "bad_request")
    title = problems.TITLES.get(code, problems._default_title(status))
    return {
        "description": title,
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": {
                    "type": PROBLEM_BASE + code,
                    "title": title,
                    "status": status,
                    "detail": "…",
                    "instance": "/api/v1/cases/3f2a9c",
                    "code": code,
                },
            }
        },
    }


def create_app(
    settings: Any = None,
    services: Any = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """Build the app. Tests pass their own settings (database URL, key dir) and a fake clock."""
    from engine.settings import get_settings

    settings = settings or get_settings()
    service_error: type[Exception] | None
    try:
        from engine.service.errors import ServiceError

        service_error = ServiceError
    except ImportError:  # pragma: no cover - only while the service layer is being written
        service_error = None

    if services is None:
        from engine.bootstrap import build_services

        # build_services runs the store's check_migrated: DatabaseNotMigrated names
        # `python -m engine db upgrade`.
        services = build_services(settings, clock=clock)

    app = FastAPI(
        title="insats API",
        version=API_VERSION,
        description=DESCRIPTION,
        contact=CONTACT,
        license_info=LICENCE,
        openapi_url=API_PREFIX + "/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        openapi_tags=TAGS,
    )
    app.state.settings = settings
    app.state.services = services
    app.state.parties = KnownParties(services.definitions)
    app.state.authenticator = build_authenticator(settings, app.state.parties)
    app.state.clock = clock
    app.state.sign_in_limiter = SignInLimiter.from_settings(settings)

    problems.install(app, service_error)

    from api.routers import access_log, cases, definitions, events, me, meta, persons, tasks, team, views

    for router in (
        meta.router,
        cases.router,
        team.router,
        tasks.router,
        views.router,
        me.router,
        persons.router,
        definitions.router,
        events.router,
        access_log.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    from api.pages import install_pages  # web pages at / (issue 7)

    install_pages(app)

    app.add_middleware(NoStore)
    app.add_middleware(PersonnummerGuard)
    app.add_middleware(
        BodyLimit,
        max_body_bytes=getattr(settings, "max_body_bytes", 1024 * 1024),
        max_definition_body_bytes=getattr(settings, "max_definition_body_bytes", 2 * 1024 * 1024),
    )
    app.openapi = _custom_openapi(app)  # type: ignore[method-assign]
    logging.getLogger("uvicorn.access").addFilter(_RedactPersonnummer())
    return app
