"""Everyone: notification settings."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.web import (
    Csrf,
    Me,
    form_of,
    redirect,
    render,
    session,
    web_of,
)
from api.routing import CheckedRoute
from engine.service.accounts import NOTIFY_MODES
from engine.service.errors import ServiceError

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)


# --- everyone: notification settings ------------------------------------------------------------

MODES = {"event": "E-post för varje händelse", "digest": "En sammanfattning per dag", "none": "Ingen e-post"}


@router.get("/installningar", response_class=HTMLResponse)
def settings_page(request: Request, me: Me) -> Response:
    return render(request, "settings.html", {"modes": MODES, "email": me.email or "", "mode": me.notify_mode})


@router.post("/installningar", dependencies=Csrf)
async def save_settings(request: Request, me: Me) -> Response:
    form = await form_of(request)
    mode = form.get("lage", "event")
    if mode not in NOTIFY_MODES:
        mode = "event"
    try:
        web_of(request).accounts.set_notifications(me.caller(), form.get("epost") or None, mode)
    except ServiceError as exc:
        return render(
            request,
            "settings.html",
            {"modes": MODES, "email": form.get("epost", ""), "mode": mode, "error": exc.message},
            status=422,
        )
    session(request).message("ok", "Aviseringarna är sparade.")
    return redirect(request, "/installningar")
