"""RFC 9457 problem details: every error the API returns is `application/problem+json`.

`type` is a stable URI per error code (`https://insats.example/problems/<code>`), so a party's
case system can branch on it; `code` repeats the last path segment for convenience. This module
is the only place that turns exceptions into HTTP responses (DESIGN: HTTPException in one handler).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_BASE = "https://insats.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger("insats.api")

TITLES: dict[str, str] = {
    "not_found": "Resursen finns inte / Not found",
    "method_not_allowed": "Metoden stöds inte / Method not allowed",
    "forbidden": "Åtkomst nekad / Forbidden",
    "unauthenticated": "Inloggning krävs / Authentication required",
    "invalid_token": "Ogiltig token / Invalid token",
    "validation_error": "Ogiltig indata / Invalid input",
    "version_conflict": "Ärendet har ändrats / Version conflict",
    "version_required": "If-Match krävs / Precondition required",
    "idempotency_conflict": "Idempotency-Key återanvänd med annan begäran / Idempotency key reused",
    "definition_invalid": "Ogiltig processdefinition / Invalid definition",
    "person_invalid": "Ogiltigt personnummer / Invalid personal identity number",
    "not_acceptable": "Formatet stöds inte / Not acceptable",
    "unsupported_media_type": "Medietypen stöds inte / Unsupported media type",
    "invalid_client": "Okänd klient / Invalid client",
    "unsupported_grant_type": "Grant-typen stöds inte / Unsupported grant type",
    "personnummer_in_url": "Personnummer får inte stå i URL:en / Personnummer in URL",
    "internal_error": "Internt fel / Internal error",
}

STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "version_conflict",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "version_required",
    500: "internal_error",
}


class FieldError(BaseModel):
    field: str = Field(description="Fältet som är fel, punktseparerad sökväg / the offending field")
    message: str
    line: int | None = Field(default=None, description="Rad i YAML-filen / line in an uploaded YAML file")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": PROBLEM_BASE + "consent_required",
                    "title": "Regeln tillåter inte kommandot / Rule violation",
                    "status": 409,
                    "detail": "Ett aktivt samtycke krävs",
                    "instance": "/api/v1/cases/3f2a9c/phase",
                    "code": "consent_required",
                }
            ]
        },
    )

    type: str = Field(description="Stabil URI per felkod / stable URI per error code")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str
    errors: list[FieldError] | None = None


class ApiError(Exception):
    """An error raised by the API layer itself (auth, headers, formats)."""

    def __init__(
        self,
        code: str,
        detail: str,
        status: int,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status
        self.errors = errors
        self.headers = headers
        self.extra = extra


def problem_response(
    request: Request | None,
    status: int,
    code: str,
    detail: str | None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    title: str | None = None,
    instance: str | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title or TITLES.get(code) or _default_title(status),
        "status": status,
        "detail": detail,
        "instance": request.url.path if request is not None else instance,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    for k, v in extra.items():
        if k not in body and v is not None:
            body[k] = v
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _default_title(status: int) -> str:
    if status == 409:
        return "Regeln tillåter inte kommandot / Rule violation"
    if status == 422:
        return "Ogiltig indata / Invalid input"
    if 400 <= status < 500:
        return "Felaktig begäran / Bad request"
    return "Internt fel / Internal error"


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        where = parts[0]
        rest = parts[1:]
        if where == "body":
            return ".".join(rest) or "body"
        return ".".join(rest) or where
    return ".".join(parts)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        out.append({"field": _loc_to_field(err.get("loc", ())), "message": msg})
    return out


def service_error_parts(exc: Any) -> tuple[int, str, str, list[dict[str, Any]] | None, dict[str, Any]]:
    """Read a ServiceError duck-typed, so this module does not depend on its exact fields."""
    code = str(getattr(exc, "code", "internal_error"))
    status = int(getattr(exc, "status", 500) or 500)
    message = str(getattr(exc, "message", None) or exc)
    details = dict(getattr(exc, "details", None) or {})
    errors: list[dict[str, Any]] | None = None
    problems = details.pop("problems", None) if code == "definition_invalid" else None
    if problems is not None:
        errors = [
            {
                "field": str(p.get("path") or p.get("field") or ""),
                "message": str(p.get("message", "")),
                "line": p.get("line"),
            }
            for p in problems
        ]
    elif "errors" in details and isinstance(details["errors"], list):
        errors = [
            {"field": str(e.get("field", "")), "message": str(e.get("message", ""))} for e in details.pop("errors")
        ]
    elif "field" in details:
        errors = [{"field": str(details["field"]), "message": message}]
    extra = {k: v for k, v in details.items() if k != "field" and _jsonable(v)}
    return status, code, message, errors, extra


def _jsonable(v: Any) -> bool:
    return isinstance(v, str | int | float | bool | list | dict) or v is None


def install(app: FastAPI, service_error_type: type[Exception] | None) -> None:
    """Register the handlers. `service_error_type` is engine.service.errors.ServiceError."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(request, exc.status, exc.code, exc.detail, exc.errors, exc.headers, **exc.extra)

    if service_error_type is not None:

        @app.exception_handler(service_error_type)
        async def _service_error(request: Request, exc: Exception) -> JSONResponse:
            status, code, message, errors, extra = service_error_parts(exc)
            if status >= 500:
                log.error("service error %s: %s", code, message)
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return problem_response(request, status, code, message, errors, headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem_response(request, 422, "validation_error", f"Ogiltig indata i: {fields}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal_error")
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail in (None, "Not Found"):
            detail = f"Det finns ingen resurs på {request.url.path}"
        if exc.status_code == 405:
            detail = f"{request.method} stöds inte på {request.url.path}"
        return problem_response(request, exc.status_code, code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "internal_error", "Ett oväntat fel inträffade; det är loggat.")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem+json for the given statuses."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        code = STATUS_CODES.get(status, "validation_error")
        out[status] = {
            "description": TITLES.get(code, _default_title(status)),
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": {
                        "type": PROBLEM_BASE + code,
                        "title": TITLES.get(code, _default_title(status)),
                        "status": status,
                        "detail": "…",
                        "instance": "/api/v1/cases/3f2a9c",
                        "code": code,
                    },
                }
            },
        }
    return out
