"""Error pages: what a person sees when a page cannot be shown (403, 404, 409, 422, 500, a form
whose CSRF code has gone, a session that has expired). In Swedish, with the menu and a way back.

The API keeps its problem+json (api/problems.py): these handlers wrap the ones installed there and
answer with a page only for a page request (not under /api, and the browser asks for HTML).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.pages.web import LoginRequired, PageError, local_path, redirect, render, session, web_of
from api.problems import service_error_parts
from engine.service.errors import ServiceError

log = logging.getLogger("insats.pages")
Handler = Callable[[Request, Any], Response | Awaitable[Response]]

TITLES = {
    400: "Begäran kunde inte läsas",
    403: "Du har inte behörighet",
    404: "Sidan finns inte",
    405: "Det går inte att göra så här",
    409: "Det går inte att göra just nu",
    412: "Någon annan hann före",
    422: "Uppgifterna kunde inte tas emot",
    429: "För många försök",
    500: "Något gick fel hos oss",
}
MESSAGES = {
    404: "Adressen finns inte, eller så har det du letar efter flyttats eller tagits bort.",
    405: "Sidan tar inte emot det här anropet. Gå tillbaka och använd knapparna på sidan.",
    422: "Något av fälten har ett värde som inte kan användas. Gå tillbaka och rätta det.",
    500: "Ett oväntat fel inträffade. Felet är loggat och ingenting har sparats av det du gjorde senast. "
    "Försök igen om en stund.",
}
HOME = {
    "forbund_admin": ("/admin/definitioner", "Processdefinitioner"),
    "auditor": ("/granskning/atkomstlogg", "Åtkomstloggen"),
}


def is_page_request(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api") or path.startswith("/static") or path in ("/openapi.json", "/docs", "/redoc"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _account(request: Request) -> object:
    """The signed-in account for the menu (None when not signed in, or when even that fails)."""
    me = getattr(request.state, "account", None)
    if me is not None:
        return me
    try:
        sess = session(request)
        me = web_of(request).accounts.get(sess.user_id) if sess.user_id else None
    except Exception:  # noqa: BLE001 - an error page must not fail on the menu
        return None
    request.state.account = me
    return me


def way_back(request: Request, me: object) -> list[tuple[str, str]]:
    """Links back: the page the person came from (same site only), and their start page."""
    out: list[tuple[str, str]] = []
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        if parts.netloc == request.url.netloc:
            back = local_path(parts.path + (f"?{parts.query}" if parts.query else ""), "")
            if back and (parts.path != request.url.path or request.method != "GET"):
                out.append((back, "Tillbaka till föregående sida"))
    if me is None:
        out.append(("/logga-in", "Till inloggningen"))
        return out
    kind = getattr(me, "kind", "")
    if kind in HOME:
        path, label = HOME[kind]
    elif getattr(me, "party", None):
        path, label = "/uppgifter", "Mina uppgifter"
    else:
        path, label = "/installningar", "Inställningar"
    out.append((path, f"Tillbaka till {label}"))
    return out


def error_page(request: Request, status: int, message: str | None, *, title: str | None = None) -> Response:
    me = _account(request)
    ctx = {
        "status": status,
        "title": title or TITLES.get(status, "Något gick fel"),
        "message": message or MESSAGES.get(status, ""),
        "links": way_back(request, me),
        "me": me,
    }
    try:
        return render(request, "error.html", ctx, status=status)
    except Exception:  # noqa: BLE001 - the last resort is still Swedish HTML, never a stack trace
        log.exception("the error page itself failed")
        body = (
            f"<!doctype html><html lang='sv'><title>Fel</title><h1>{TITLES[500]}</h1>"
            "<p><a href='/'>Till startsidan</a></p>"
        )
        return HTMLResponse(body, status_code=status)


async def _call(handler: Handler, request: Request, exc: Exception) -> Response:
    out = handler(request, exc)
    if inspect.isawaitable(out):
        return await out
    return out


def install(app: FastAPI) -> None:
    api_http: Handler = app.exception_handlers[StarletteHTTPException]
    api_validation: Handler = app.exception_handlers[RequestValidationError]
    api_unexpected: Handler | None = app.exception_handlers.get(Exception)
    api_service: Handler | None = app.exception_handlers.get(ServiceError)

    async def _login_required(request: Request, exc: Exception) -> Response:
        """Not signed in, or the session ran out: to the sign-in page, and back afterwards. A form
        posted on an expired session goes back to the page it came from (the editor offers its
        draft there: api/static/draft.js)."""
        assert isinstance(exc, LoginRequired)
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:
            ref = urlsplit(request.headers.get("referer", ""))
            same = ref.netloc == request.url.netloc
            target = local_path(ref.path + (f"?{ref.query}" if ref.query else ""), "/") if same else "/"
        if request.headers.get("accept", "").startswith("application/json"):
            return JSONResponse({"error": "Sessionen har gått ut. Logga in igen.", "login": "/logga-in"}, 401)
        expired = "&utgangen=1" if exc.expired else ""
        return redirect(request, "/logga-in?nasta=" + quote(target, safe="/") + expired)

    async def _page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        if request.headers.get("accept", "").startswith("application/json"):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return error_page(request, exc.status, exc.message, title=exc.title)

    async def _http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not is_page_request(request):
            return await _call(api_http, request, exc)
        return error_page(request, exc.status_code, MESSAGES.get(exc.status_code))

    async def _validation(request: Request, exc: Exception) -> Response:
        if not is_page_request(request):
            return await _call(api_validation, request, exc)
        return error_page(request, 422, None)

    async def _service(request: Request, exc: Exception) -> Response:
        if not is_page_request(request) and api_service is not None:
            return await _call(api_service, request, exc)
        status, _, message, _, _ = service_error_parts(exc)
        return error_page(request, status, message if status < 500 else None)

    async def _unexpected(request: Request, exc: Exception) -> Response:
        if not is_page_request(request) and api_unexpected is not None:
            return await _call(api_unexpected, request, exc)
        log.exception("unhandled error on page %s %s", request.method, request.url.path[:200])
        return error_page(request, 500, None)

    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PageError, _page_error)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ServiceError, _service)
    app.add_exception_handler(Exception, _unexpected)
