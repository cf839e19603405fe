"""RFC 9457 problem details: every error the API returns is `application/problem+json`.

`type` is a stable URI per error code (`https://insats.example/problems/<code>`), so a party's
case system can branch on it; `code` repeats the last path segment for convenience. This module
is the only place that turns exceptions into HTTP responses (DESIGN: HTTPException in one handler).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
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
    "payload_too_large": "Begäran är för stor / Payload too large",
    "too_many_requests": "För många försök / Too many requests",
    "body_too_deep": "För djupt nästlad JSON / JSON nested too deeply",
    "view_exists": "Vyn finns redan / A saved view of that name exists",
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
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "version_required",
    429: "too_many_requests",
    500: "internal_error",
}


class FieldError(BaseModel):
    field: str = Field(description="Fältet som är fel, punktseparerad sökväg / the offending field")
    message: str
    line: int | None = Field(default=None, description="Rad i YAML-filen / line in an uploaded YAML file")
    code: str | None = Field(default=None, description="Stabil kod för slags fel / stable code of the problem's kind")
    caused_by: int | None = Field(
        default=None,
        description="Index i errors för felet som detta följer av / index in errors of the problem it follows from",
    )


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
    details: dict[str, Any] | None = Field(
        default=None,
        description="Detaljer vars namn krockar med problemets egna medlemmar (t.ex. en uppgifts `status`) / "
        "details whose names collide with the problem's own members",
    )


class ApiError(Exception):
    """An error raised by the API layer itself (auth, headers, formats)."""

    def __init__(
        self,
        code: str,
        detail: str,
        status: int,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status
        self.errors = errors
        self.headers = headers
        self.extensions = dict(extensions or {})


MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "code", "errors", "details"})
"""The problem's own members: an extension (a rejection's or ServiceError's details) never replaces one."""
MAX_TEXT = 200
"""Longest field name, message or extension string echoed in an error body (issue 13: bodies stay small)."""
MAX_DETAIL = 1000
MAX_ERRORS = 50


def problem_response(
    request: Request | None,
    status: int,
    code: str,
    detail: str | None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    title: str | None = None,
    instance: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """The one builder of problem+json. Extensions come as a mapping, never as keyword arguments:
    a detail may be named like a parameter or a member (`status`); those go under `details`."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title or TITLES.get(code) or _default_title(status),
        "status": status,
        "detail": _clip(detail, MAX_DETAIL) if detail is not None else None,
        "instance": _clip(request.url.path if request is not None else instance, MAX_TEXT),
        "code": code,
    }
    if errors is not None:
        body["errors"] = [_bounded_error(e) for e in errors[:MAX_ERRORS]]
        if len(errors) > MAX_ERRORS:
            body["errors_omitted"] = len(errors) - MAX_ERRORS
    colliding: dict[str, Any] = {}
    for k, v in (extensions or {}).items():
        if v is None:
            continue
        name = str(k)[:MAX_TEXT]
        value = _bounded(v)
        if name in MEMBERS or name in body:
            colliding[name] = value
        else:
            body[name] = value
    if colliding:
        body["details"] = colliding
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {}) or None)


def _clip(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def _bounded_error(e: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "field": _clip(str(e.get("field", "")), MAX_TEXT),
        "message": _clip(str(e.get("message", "")), MAX_TEXT),
    }
    for key in ("line", "caused_by"):
        value = e.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            out[key] = value
    if isinstance(e.get("code"), str):
        out["code"] = _clip(e["code"], MAX_TEXT)
    return out


def _bounded(v: Any, depth: int = 0) -> Any:
    """A JSON value of bounded size: strings clipped, lists and objects cut short, other values as text."""
    if v is None or isinstance(v, bool | int | float):
        return v
    if isinstance(v, str):
        return _clip(v, MAX_TEXT)
    if depth >= 3:
        return _clip(str(v), MAX_TEXT)
    if isinstance(v, Mapping):
        return {_clip(str(k), MAX_TEXT): _bounded(x, depth + 1) for k, x in list(v.items())[:MAX_ERRORS]}
    if isinstance(v, list | tuple | set | frozenset):
        return [_bounded(x, depth + 1) for x in list(v)[:MAX_ERRORS]]
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    return _clip(str(v), MAX_TEXT)


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
    """Field and message of each error, bounded: a 1 MB unknown key is not echoed (issue 13)."""
    out = []
    for err in exc.errors()[: MAX_ERRORS + 1]:
        msg = str(err.get("msg", "invalid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        out.append({"field": _clip(_loc_to_field(err.get("loc", ())), MAX_TEXT), "message": _clip(msg, MAX_TEXT)})
    return out


def _as_error(p: Any, message: str = "") -> dict[str, Any]:
    if not isinstance(p, Mapping):
        return {"field": "", "message": str(p)}
    return {
        "field": str(p.get("path") or p.get("field") or ""),
        "message": str(p.get("message", message)),
        "line": p.get("line"),
        "code": p.get("code"),
        "caused_by": p.get("caused_by"),
    }


def service_error_parts(exc: Any) -> tuple[int, str, str, list[dict[str, Any]] | None, dict[str, Any]]:
    """Read a ServiceError duck-typed, so this module does not depend on its exact fields.

    Returns (status, code, message, errors, extensions); the extensions are a plain mapping for
    `problem_response(extensions=...)`, whatever their names (a rejection's `status` included)."""
    code = str(getattr(exc, "code", "internal_error"))
    status = int(getattr(exc, "status", 500) or 500)
    message = str(getattr(exc, "message", None) or exc)
    raw = getattr(exc, "details", None)
    details = dict(raw) if isinstance(raw, Mapping) else {}
    errors: list[dict[str, Any]] | None = None
    problems = details.pop("problems", None) if code == "definition_invalid" else None
    if isinstance(problems, list | tuple):
        errors = [_as_error(p) for p in problems]
    elif isinstance(details.get("errors"), list):
        errors = [_as_error(e) for e in details.pop("errors")]
    elif "field" in details:
        errors = [{"field": str(details["field"]), "message": message}]
    extensions = {str(k): v for k, v in details.items() if k != "field"}
    return status, code, message, errors, extensions


def install(app: FastAPI, service_error_type: type[Exception] | None) -> None:
    """Register the handlers. `service_error_type` is engine.service.errors.ServiceError."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(
            request, exc.status, exc.code, exc.detail, exc.errors, exc.headers, extensions=exc.extensions
        )

    if service_error_type is not None:

        @app.exception_handler(service_error_type)
        async def _service_error(request: Request, exc: Exception) -> JSONResponse:
            status, code, message, errors, extensions = service_error_parts(exc)
            if status >= 500:
                log.error("service error %s: %s", code, message)
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return problem_response(request, status, code, message, errors, headers, extensions=extensions)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        fields = sorted({e["field"] for e in errors})
        named = ", ".join(fields[:10]) + (", …" if len(fields) > 10 else "")
        return problem_response(request, 422, "validation_error", f"Ogiltig indata i: {named}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal_error")
        code = getattr(exc, "problem_code", None) or code
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail in (None, "Not Found"):
            detail = f"Det finns ingen resurs på {request.url.path}"
        if exc.status_code == 405:
            detail = f"{request.method} stöds inte på {request.url.path}"
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "Kroppen kunde inte läsas som JSON / the body is not valid JSON"
        return problem_response(request, exc.status_code, code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        """Last resort: an unexpected error is still problem+json (never Starlette's plain text)."""
        try:
            log.exception("unhandled error on %s %s", request.method, request.url.path[:MAX_TEXT])
            return problem_response(request, 500, "internal_error", "Ett oväntat fel inträffade; det är loggat.")
        except Exception:  # noqa: BLE001 - even a failing log or path must not become plain text
            return Response(INTERNAL_ERROR_BODY, status_code=500, media_type=PROBLEM_MEDIA_TYPE)


INTERNAL_ERROR_BODY = (
    b'{"type":"' + PROBLEM_BASE.encode() + b'internal_error","title":"Internt fel / Internal error",'
    b'"status":500,"detail":null,"instance":null,"code":"internal_error"}'
)


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
