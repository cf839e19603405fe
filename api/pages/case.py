"""Handläggare: one case, with contact, phase, consent and protected identity forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.web import (
    Csrf,
    PageError,
    PartyMe,
    case_caller,
    execute_command,
    form_of,
    labels_of,
    redirect,
    render,
    service_error_message,
    services_of,
    session,
    today_of,
)
from api.routing import CheckedRoute
from engine.core import commands as c
from engine.service.accounts import AccountOut
from engine.service.errors import ServiceError

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)


# --- handläggare: a case --------------------------------------------------------------------------


@router.get("/arenden/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, me: PartyMe, case_id: str) -> Response:
    svc = services_of(request)
    caller = case_caller(request, me)
    try:
        case = svc.cases.get_case(caller, case_id, purpose="GET /arenden/{case_id}")
    except ServiceError as exc:
        raise PageError(exc.status, exc.message) from None
    d = labels_of(request, case.definition_id, case.definition_version)
    timeline: list[Any] = []
    if case.access in ("full", "case"):
        timeline = list(svc.cases.timeline(caller, case_id, limit=500, page=1, purpose="GET /arenden/{case_id}").items)
        timeline.reverse()
    transitions = d["transitions"].get(case.phase or "", [])
    return render(
        request,
        "case.html",
        {
            "case": case,
            "definition_name": d["name"],
            "parties": d["parties"],
            "who": {**d["parties"], **d["roles"]},
            "phases": d["phases"],
            "transitions": transitions if case.access != "tasks" else [],
            "timeline": timeline,
            "today": today_of(request),
            "mine": {t.task_id for t in case.tasks if t.party == me.party or t.responsible in me.roles},
            "may_handle_consent": may_handle_consent(me, case),
            # consent is recorded and withdrawn for any party by the host's samordnare; another
            # covered party withdraws it for itself only (engine/service/access.py: authorize_consent)
            "keeps_consent": me.kind == "samordnare",
            "my_party": me.party,
        },
    )


def may_handle_consent(me: AccountOut, case: Any) -> bool:
    """Show the consent and protection forms to the samordnare and to handläggare whose party the
    active consent covers; the service still decides (access.authorize_command)."""
    if case.access == "tasks" or case.status != "active":
        return False
    if me.kind == "samordnare":
        return True
    consent = case.consent
    return bool(consent is not None and consent.active and me.party in consent.parties)


@router.post("/arenden/{case_id}/kontakt", dependencies=Csrf)
async def record_contact(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    try:
        on = date.fromisoformat(form["datum"]) if form.get("datum") else None
    except ValueError:
        session(request).message("fel", "Ange datum som ÅÅÅÅ-MM-DD.")
        return redirect(request, f"/arenden/{case_id}")
    channel = form.get("kanal") or None
    execute_command(request, me, case_id, c.RecordContact(on=on, channel=channel), form, "Kontakten är registrerad.")
    return redirect(request, f"/arenden/{case_id}")


@router.post("/arenden/{case_id}/fas", dependencies=Csrf)
async def start_phase(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    phase = form.get("fas", "")
    execute_command(request, me, case_id, c.StartPhase(phase=phase), form, "Ärendet har gått vidare till nästa fas.")
    return redirect(request, f"/arenden/{case_id}")


@router.post("/arenden/{case_id}/samtycke/aterkalla", dependencies=Csrf)
async def withdraw_consent(request: Request, me: PartyMe, case_id: str) -> Response:
    """The participant withdraws consent (for some parties, or all of it). Who may is the service's rule."""
    form = await form_of(request)
    chosen = tuple(dict.fromkeys(v for v in (await request.form()).getlist("parter") if isinstance(v, str)))
    everything = form.get("omfattning", "alla") == "alla"
    if not everything and not chosen:
        session(request).message("fel", "Välj vilka parter återkallelsen gäller, eller hela samtycket.")
        return redirect(request, f"/arenden/{case_id}")
    command = c.WithdrawConsent(parties=None if everything else chosen, reason=form.get("orsak", "").strip() or None)
    execute_command(request, me, case_id, command, form, "Samtycket är återkallat.")
    return redirect(request, f"/arenden/{case_id}")


@router.post("/arenden/{case_id}/skyddad-identitet", dependencies=Csrf)
async def set_protected_identity(request: Request, me: PartyMe, case_id: str) -> Response:
    """Skyddade personuppgifter: name and personnummer are removed at once, and cannot come back."""
    form = await form_of(request)
    sess = session(request)
    if form.get("bekrafta") != "ja":
        sess.message("fel", "Bekräfta att deltagaren har skyddade personuppgifter.")
        return redirect(request, f"/arenden/{case_id}")
    try:
        # No version check: protection must never wait for a reload (as in the API).
        services_of(request).cases.set_protected_identity(me.caller(), case_id)
    except ServiceError as exc:
        sess.message("fel", service_error_message(exc))
    else:
        sess.message("ok", "Skyddade personuppgifter: namn och personnummer är borttagna.")
    return redirect(request, f"/arenden/{case_id}")
