"""The pages, mounted at `/`: one router per job (sign-in, tasks, a case, settings, admin). Handlers
are thin: read the form, call the service, render."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from api.pages import account, admin, case, lists, my_cases, signin, statistics, tasks
from api.pages.config import session_secret
from api.pages.session import SessionCodec
from api.pages.web import STATIC_DIR, LoginRequired, PageError, Web, redirect, render
from engine.settings import Settings

ROUTERS = (
    signin.router, tasks.router, my_cases.router, lists.router, case.router, account.router, admin.router,
    statistics.router,
)  # fmt: skip


def install(app: FastAPI) -> None:
    services = app.state.services
    settings: Settings = app.state.settings
    secure = settings.web_cookie_secure
    if secure is None:
        secure = settings.base_url.startswith("https://")
    app.state.web = Web(
        accounts=services.accounts,
        overview=services.overview,
        codec=SessionCodec(session_secret(settings), settings.web_session_max_age_seconds, secure),
        settings=settings,
        key_dir=Path(settings.key_dir),
        parties=app.state.parties,
    )
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    async def _login_required(request: Request, exc: Exception) -> Response:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return redirect(request, "/logga-in?nasta=" + quote(target, safe="/"))

    async def _page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        if request.headers.get("accept", "").startswith("application/json"):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return render(request, "error.html", {"status": exc.status, "message": exc.message}, status=exc.status)

    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PageError, _page_error)
