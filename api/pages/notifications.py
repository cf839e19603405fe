"""Handläggare and samordnare: "Aviseringar", the notifications their e-mails say, newest first,
with what is unread and a way to mark them as read (engine/service/notifications.py). Each POST is
answered with a redirect (303), so a reload never marks anything twice."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.web import Csrf, PartyMe, form_of, local_path, redirect, render, services_of, session
from api.routing import CheckedRoute
from engine.core.decide import TZ
from engine.service.notify_texts import swedish_date

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)
PAGE_SIZE = 20


def when(at: datetime) -> str:
    local = at.astimezone(TZ)
    return f"{swedish_date(local.date())} kl. {local:%H:%M}"


@router.get("/aviseringar", response_class=HTMLResponse)
def notifications_page(request: Request, me: PartyMe, visa: str = "alla", sida: int = 1) -> Response:
    unread_only = visa == "olasta"
    result = services_of(request).notifications.list(me.caller(), page=sida, limit=PAGE_SIZE, unread_only=unread_only)
    pages = max(1, -(-result.total // PAGE_SIZE))
    return render(
        request,
        "notifications.html",
        {"result": result, "pages": pages, "visa": "olasta" if unread_only else "alla", "when": when},
    )


@router.post("/aviseringar/las", dependencies=Csrf)
async def mark_read(request: Request, me: PartyMe) -> Response:
    form = await form_of(request)
    svc = services_of(request).notifications
    back = local_path(form.get("tillbaka"), "/aviseringar")
    if not back.startswith("/aviseringar"):
        back = "/aviseringar"
    if form.get("alla"):
        n = svc.mark_read(me.caller())
        text = "Alla aviseringar är markerade som lästa." if n else "Inga aviseringar att markera."
        session(request).message("ok", text)
        return redirect(request, back)
    raw = form.get("id", "")
    ids = [int(raw)] if raw.isdigit() else []
    n = svc.mark_read(me.caller(), ids)
    session(request).message("ok", "Aviseringen är markerad som läst." if n else "Aviseringen finns inte längre.")
    return redirect(request, back + (f"#avisering-{raw}" if n and raw.isdigit() else ""))
