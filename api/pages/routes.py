"""The pages, mounted at `/`: one router per job (sign-in, tasks, a case, settings, admin). Handlers
are thin: read the form, call the service, render."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.pages import (
    account,
    admin,
    audit,
    case,
    case_confirm,
    case_forms,
    case_team,
    emergency,
    errors,
    forms,
    lists,
    my_cases,
    notifications,
    referral,
    signin,
    simulation_page,
    statistics,
    tasks,
    versions,
)  # fmt: skip
from api.pages.config import session_secret
from api.pages.session import SessionCodec
from api.pages.web import STATIC_DIR, Web
from engine.settings import Settings

ROUTERS = (
    signin.router, tasks.router, my_cases.router, lists.router, case.router, case_forms.router, case_team.router,
    emergency.router, case_confirm.router, referral.router, account.router, admin.router, versions.router, forms.router,
    simulation_page.router, statistics.router, audit.router, notifications.router,
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

    errors.install(app)
