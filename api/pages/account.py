"""Everyone: notification settings. Handläggare and samordnare: their substitutes (ersättare),
a colleague of their own party for a period, chosen by name (engine/service/substitutes.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.web import (
    Csrf,
    Me,
    PageError,
    form_of,
    redirect,
    render,
    services_of,
    session,
    today_of,
    web_of,
)
from api.routing import CheckedRoute
from engine.service.access import PERSON_KINDS
from engine.service.accounts import NOTIFY_MODES, AccountOut
from engine.service.errors import ServiceError
from engine.service.substitutes import SubstituteOut

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)


# --- everyone: notification settings ------------------------------------------------------------

MODES = {"event": "E-post för varje händelse", "digest": "En sammanfattning per dag", "none": "Ingen e-post"}


def settings_context(request: Request, me: AccountOut) -> dict[str, Any]:
    """The page's own parts: notifications for everyone, substitutes for the parties' people."""
    ctx: dict[str, Any] = {"modes": MODES, "email": me.email or "", "mode": me.notify_mode, "substitutes": None}
    if me.kind in PERSON_KINDS and me.party:
        caller = me.caller()
        ctx["substitutes"] = services_of(request).substitutes.mine(caller)
        ctx["colleagues"] = [a for a in web_of(request).accounts.colleagues(caller) if a.user_id != me.user_id]
        ctx["today"] = today_of(request)
    return ctx


@router.get("/installningar", response_class=HTMLResponse)
def settings_page(request: Request, me: Me) -> Response:
    return render(request, "settings.html", settings_context(request, me))


@router.post("/installningar", dependencies=Csrf)
async def save_settings(request: Request, me: Me) -> Response:
    form = await form_of(request)
    mode = form.get("lage", "event")
    if mode not in NOTIFY_MODES:
        mode = "event"
    try:
        web_of(request).accounts.set_notifications(me.caller(), form.get("epost") or None, mode)
    except ServiceError as exc:
        ctx = {**settings_context(request, me), "email": form.get("epost", ""), "mode": mode, "error": exc.message}
        return render(request, "settings.html", ctx, status=422)
    session(request).message("ok", "Aviseringarna är sparade.")
    return redirect(request, "/installningar")


# --- handläggare and samordnare: substitutes ---------------------------------------------------

SUBSTITUTES = "/installningar#ersattare"


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.post("/installningar/ersattare", dependencies=Csrf)
async def add_substitute(request: Request, me: Me) -> Response:
    form = await form_of(request)
    sess = session(request)
    starts_on, ends_on = _day(form.get("fran")), _day(form.get("till"))
    if not form.get("ersattare"):
        sess.message("fel", "Välj vem som ska vara din ersättare.")
    elif starts_on is None or ends_on is None:
        sess.message("fel", "Ange perioden med datum som ÅÅÅÅ-MM-DD, från och till.")
    else:
        try:
            added = services_of(request).substitutes.add(me.caller(), form["ersattare"], starts_on, ends_on)
        except ServiceError as exc:
            sess.message("fel", exc.message)
        else:
            sess.message("ok", f"{added.substitute_name} är din ersättare {added.starts_on}–{added.ends_on}.")
    return redirect(request, SUBSTITUTES)


def _mine(request: Request, me: AccountOut, substitute: int) -> SubstituteOut:
    try:
        found = [s for s in services_of(request).substitutes.mine(me.caller()) if s.id == substitute]
    except ServiceError as exc:
        raise PageError(exc.status, exc.message) from None
    if not found:
        raise PageError(404, "Ersättaren finns inte (kanske redan borttagen).")
    chosen: SubstituteOut = found[0]
    return chosen


@router.get("/installningar/ersattare/{substitute}/ta-bort", response_class=HTMLResponse)
def remove_substitute_page(request: Request, me: Me, substitute: int) -> Response:
    s = _mine(request, me, substitute)
    return render(request, "confirm_substitute.html", {"substitute": s})


@router.post("/installningar/ersattare/{substitute}/ta-bort", dependencies=Csrf)
async def remove_substitute(request: Request, me: Me, substitute: int) -> Response:
    form = await form_of(request)
    sess = session(request)
    if form.get("bekrafta") != "ja":
        sess.message("fel", "Bekräfta borttagningen på bekräftelsesidan.")
        return redirect(request, SUBSTITUTES)
    s = _mine(request, me, substitute)
    try:
        services_of(request).substitutes.remove(me.caller(), substitute)
    except ServiceError as exc:
        sess.message("fel", exc.message)
    else:
        sess.message("ok", f"{s.substitute_name} är inte längre din ersättare {s.starts_on}–{s.ends_on}.")
    return redirect(request, SUBSTITUTES)
