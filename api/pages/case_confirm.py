"""What cannot be undone asks first: withdrawing consent, skyddade personuppgifter, exit with an
outcome and avbrott. The case page's form opens a confirmation page (GET, nothing changes) that
says exactly what will happen; its form posts with `bekrafta=ja`, which the handler requires."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages import labels as L
from api.pages.case_forms import back, chosen, fail, to_section
from api.pages.timeline import and_list
from api.pages.web import (
    Csrf,
    PageError,
    PartyMe,
    execute_command,
    form_of,
    labels_of,
    render,
    service_error_message,
    services_of,
    session,
)
from api.routing import CheckedRoute
from engine.core import commands as c
from engine.service.accounts import AccountOut
from engine.service.errors import ServiceError
from engine.service.views import CaseOut

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)
CONFIRM = "ja"


def _case(request: Request, me: AccountOut, case_id: str) -> tuple[CaseOut, dict[str, str | None], dict[str, Any]]:
    try:
        case, may = services_of(request).cases.case_with_actions(me.caller(), case_id, purpose="GET bekräfta")
    except ServiceError as exc:
        raise PageError(exc.status, exc.message) from None
    return case, dict(may), labels_of(request, case.definition_id, case.definition_version)


def _confirm(request: Request, case: CaseOut, **ctx: Any) -> HTMLResponse:
    return render(request, "confirm.html", {"case": case, **ctx})


# --- withdraw consent -----------------------------------------------------------------------------


def withdrawable(me: AccountOut, may: dict[str, str | None], case: CaseOut, asked: tuple[str, ...]) -> tuple[str, ...]:
    """The parties this caller's withdrawal can name: any the consent covers for the host's
    samordnare, only its own party for another covered party (access.may_act says which)."""
    covered = tuple(case.consent.parties) if case.consent and case.consent.active else ()
    if may.get("withdraw_consent_all") is None:
        return tuple(p for p in asked if p in covered)
    if may.get("withdraw_consent_own") is None and me.party in covered:
        return (me.party,) if me.party else ()
    return ()


@router.get("/arenden/{case_id}/samtycke/aterkalla", response_class=HTMLResponse)
async def withdraw_consent_page(request: Request, me: PartyMe, case_id: str) -> Response:
    case, may, d = _case(request, me, case_id)
    asked = tuple(dict.fromkeys(request.query_params.getlist("parter")))
    parties = withdrawable(me, may, case, asked)
    if not parties:
        return fail(request, case_id, "oaterkalleligt", "Välj vilka parter återkallelsen gäller.")
    names = [d["parties"].get(p, "en part") for p in parties]
    covered = case.consent.parties if case.consent else []
    remaining = [d["parties"].get(p, "en part") for p in covered if p not in parties]
    effects = [
        f"Samtycket återkallas för {and_list(names)}.",
        f"{and_list(names)} ser därefter inte deltagarens namn, personnummer eller tidslinje; bara sina egna "
        "uppgifter i ärendet.",
        f"Samtycket gäller fortfarande för {and_list(remaining)}." if remaining else "Inget samtycke gäller därefter.",
        "Återkallelsen kan inte ångras: ett nytt samtycke måste lämnas och registreras.",
    ]
    return _confirm(
        request, case, title="Återkalla samtycke", effects=effects, action=f"/arenden/{case_id}/samtycke/aterkalla",
        hidden=[("parter", p) for p in parties],
        fields=[{"name": "orsak", "label": "Orsak (valfri)", "kind": "text", "required": False}],
        submit="Ja, återkalla samtycket", cancel=back(case_id, "oaterkalleligt"),
    )  # fmt: skip


@router.post("/arenden/{case_id}/samtycke/aterkalla", dependencies=Csrf)
async def withdraw_consent(request: Request, me: PartyMe, case_id: str) -> Response:
    """Withdraws consent for exactly the parties named: never all of it by default."""
    form = await form_of(request)
    parties = await chosen(request, "parter")
    if not parties:
        return fail(request, case_id, "oaterkalleligt", "Välj vilka parter återkallelsen gäller.")
    if form.get("bekrafta") != CONFIRM:
        return fail(request, case_id, "oaterkalleligt", "Bekräfta återkallelsen på bekräftelsesidan.")
    command = c.WithdrawConsent(parties=parties, reason=form.get("orsak", "").strip() or None)
    execute_command(request, me, case_id, command, form, "Samtycket är återkallat.")
    return to_section(request, case_id, "samtycke")


# --- skyddade personuppgifter ---------------------------------------------------------------------


@router.get("/arenden/{case_id}/skyddad-identitet", response_class=HTMLResponse)
async def protected_identity_page(request: Request, me: PartyMe, case_id: str) -> Response:
    case, _may, _d = _case(request, me, case_id)
    effects = [
        "Deltagarens namn och personnummer tas bort direkt, i alla deltagarens ärenden.",
        "Bara kön och födelseår finns kvar. Det går inte att ångra.",
    ]
    return _confirm(
        request, case, title="Skyddade personuppgifter", effects=effects,
        action=f"/arenden/{case_id}/skyddad-identitet", hidden=[], fields=[],
        submit="Ja, ta bort namn och personnummer", cancel=back(case_id, "oaterkalleligt"),
    )  # fmt: skip


@router.post("/arenden/{case_id}/skyddad-identitet", dependencies=Csrf)
async def set_protected_identity(request: Request, me: PartyMe, case_id: str) -> Response:
    """Skyddade personuppgifter: name and personnummer are removed at once, and cannot come back."""
    form = await form_of(request)
    sess = session(request)
    if form.get("bekrafta") != CONFIRM:
        return fail(request, case_id, "oaterkalleligt", "Bekräfta att deltagaren har skyddade personuppgifter.")
    try:
        # No version check: protection must never wait for a reload (as in the API).
        services_of(request).cases.set_protected_identity(me.caller(), case_id)
    except ServiceError as exc:
        sess.message("fel", service_error_message(exc))
    else:
        sess.message("ok", "Skyddade personuppgifter: namn och personnummer är borttagna.")
    return to_section(request, case_id, "oaterkalleligt")


# --- exit with an outcome, avbrott ----------------------------------------------------------------

CLOSING = "Alla öppna uppgifter avbryts, samtycket upphör och ärendet kan inte öppnas igen."


@router.get("/arenden/{case_id}/avsluta", response_class=HTMLResponse)
async def exit_page(request: Request, me: PartyMe, case_id: str, utfall: str = "") -> Response:
    case, _may, d = _case(request, me, case_id)
    forms = d.get("forms", {})
    if utfall not in forms.get("outcomes", []):
        return fail(request, case_id, "avslut", "Välj utfall.")
    needs_reason = utfall in forms.get("reasons_required_for", [])
    effects = [f"Ärendet avslutas med utfallet {L.OUTCOMES.get(utfall, utfall)}.", CLOSING]
    label = "Orsak" if needs_reason else "Orsak (valfri)"
    return _confirm(
        request, case, title="Avsluta ärendet", effects=effects, action=f"/arenden/{case_id}/avsluta",
        hidden=[("utfall", utfall)],
        fields=[{"name": "orsak", "label": label, "kind": "text", "required": needs_reason}],
        submit="Ja, avsluta ärendet", cancel=back(case_id, "avslut"),
    )  # fmt: skip


@router.post("/arenden/{case_id}/avsluta", dependencies=Csrf)
async def exit_case(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    if form.get("bekrafta") != CONFIRM:
        return fail(request, case_id, "avslut", "Bekräfta avslutet på bekräftelsesidan.")
    command = c.ExitCase(outcome=form.get("utfall", ""), reason=form.get("orsak", "").strip() or None)
    execute_command(request, me, case_id, command, form, "Ärendet är avslutat.")
    return to_section(request, case_id, "avslut")


@router.get("/arenden/{case_id}/avbrott", response_class=HTMLResponse)
async def abort_page(request: Request, me: PartyMe, case_id: str) -> Response:
    case, _may, d = _case(request, me, case_id)
    reasons: list[str] = d.get("forms", {}).get("avbrott_reasons", [])
    reason: dict[str, Any] = {"name": "orsak", "label": "Orsak till avbrottet", "required": True}
    reason |= {"kind": "select", "options": [(r, L.AVBROTT(r)) for r in reasons]} if reasons else {"kind": "text"}
    note = {"name": "anteckning", "label": "Anteckning (valfri)", "kind": "textarea", "required": False}
    return _confirm(
        request, case, title="Registrera avbrott", effects=["Ärendet avslutas som avbrott, utan utfall.", CLOSING],
        action=f"/arenden/{case_id}/avbrott", hidden=[], fields=[reason, note],
        submit="Ja, registrera avbrott", cancel=back(case_id, "avbrott"),
    )  # fmt: skip


@router.post("/arenden/{case_id}/avbrott", dependencies=Csrf)
async def abort_case(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    if form.get("bekrafta") != CONFIRM:
        return fail(request, case_id, "avbrott", "Bekräfta avbrottet på bekräftelsesidan.")
    command = c.AbortCase(reason=form.get("orsak", "").strip(), note=form.get("anteckning", "").strip() or None)
    execute_command(request, me, case_id, command, form, "Avbrottet är registrerat och ärendet avslutat.")
    return to_section(request, case_id, "avbrott")
