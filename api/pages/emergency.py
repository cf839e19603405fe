"""Nödåtkomst (issue 14): a handläggare who gets the hidden-case 404 for a case they have reason
to open asks for emergency access with a typed reason; it is logged and flagged in loggkontroll.

Nothing here says whether the case exists: the 404 reads the same for every case reference, the
form is offered to every person for any reference, and only the grant itself (the service's
`GrantEmergencyAccess`, through the one path) decides; a case that does not exist, or one the
person's party has no part in, answers the same `not_found` as before the grant."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.errors import way_back
from api.pages.web import Csrf, PartyMe, form_of, redirect, render, services_of, session
from api.routing import CheckedRoute
from engine.core import commands as c
from engine.core.rules.team import EMERGENCY_HOURS, EMERGENCY_REASON_MIN
from engine.service.access import PERSON_KINDS
from engine.service.accounts import AccountOut
from engine.service.errors import ServiceError

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)
HIDDEN = "Ärendet finns inte, eller så är du inte med i ärendets team."
REFUSED = ("Nödåtkomst kan inte ges: ärendet finns inte, eller så har din part ingen del i det. "
           "Kontrollera ärendereferensen.")  # fmt: skip


def hidden_case_page(request: Request, me: AccountOut, case_id: str) -> Response:
    """The 404 of a hidden (or missing) case; a person is offered to ask for nödåtkomst."""
    links = way_back(request, me)
    if me.kind in PERSON_KINDS:
        links = [(f"/arenden/{case_id}/nodatkomst", "Begär nödåtkomst till ärendet"), *links]
    ctx = {"status": 404, "title": "Ärendet visas inte", "message": HIDDEN, "links": links}
    return render(request, "error.html", ctx, status=404)


def _form(request: Request, case_id: str, reason: str = "", error: str | None = None, status: int = 200) -> Response:
    ctx = {"case_id": case_id, "reason": reason, "error": error, "minimum": EMERGENCY_REASON_MIN,
           "hours": EMERGENCY_HOURS}  # fmt: skip
    return render(request, "emergency.html", ctx, status=status)


@router.get("/arenden/{case_id}/nodatkomst", response_class=HTMLResponse)
def emergency_page(request: Request, me: PartyMe, case_id: str) -> Response:
    return _form(request, case_id)


@router.post("/arenden/{case_id}/nodatkomst", dependencies=Csrf)
async def grant_emergency(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    reason = form.get("skal", "").strip()
    if form.get("bekrafta") != "ja":
        return _form(request, case_id, reason, "Bekräfta att du förstår att åtkomsten loggas och granskas.", 422)
    if len(reason) < EMERGENCY_REASON_MIN:
        return _form(request, case_id, reason, f"Skriv skälet till nödåtkomsten (minst {EMERGENCY_REASON_MIN} tecken).",
                     422)  # fmt: skip
    try:
        services_of(request).cases.execute(me.caller(), case_id, c.GrantEmergencyAccess(reason=reason), None)
    except ServiceError as exc:
        message = REFUSED if exc.code == "not_found" else exc.message
        return _form(request, case_id, reason, message, 404 if exc.code == "not_found" else exc.status)
    session(request).message("ok", "Du har fått nödåtkomst. Åtkomsten loggas och granskas i loggkontrollen.")
    return redirect(request, f"/arenden/{case_id}")
