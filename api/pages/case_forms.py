"""The case page's forms: each posts one command through the one service path (`execute_command`:
services.cases.execute, as the API), then redirects (303) back to the case at the section acted on,
with a flash message. What the command may not do the service says (engine/service/access.py) and
what the process does not allow the core says, in words (engine/core/rules)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.pages.web import Csrf, PartyMe, execute_command, form_of, labels_of, redirect, services_of, session
from api.routing import CheckedRoute
from engine.core import commands as c
from engine.service.errors import ServiceError

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)


def back(case_id: str, section: str) -> str:
    """The case page at a section: the browser scrolls there and the page moves focus to it."""
    return f"/arenden/{case_id}#{section}"


def to_section(request: Request, case_id: str, section: str) -> Response:
    """303 back to the case at `section`; the flash message is shown in that section (the session
    remembers which, once)."""
    sess = session(request)
    sess.extra["acted"] = section
    sess.changed = True
    return redirect(request, back(case_id, section))


async def chosen(request: Request, name: str) -> tuple[str, ...]:
    """Every value of a repeated field (checkboxes), in order, once each."""
    return tuple(dict.fromkeys(v for v in (await request.form()).getlist(name) if isinstance(v, str) and v))


def parse_day(text: str | None) -> date | None:
    """A date from a form's date field; None when empty. Raises ValueError when not a date."""
    return date.fromisoformat(text) if text else None


def fail(request: Request, case_id: str, section: str, message: str) -> Response:
    session(request).message("fel", message)
    return to_section(request, case_id, section)


@router.post("/arenden/{case_id}/kontakt", dependencies=Csrf)
async def record_contact(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    try:
        on = parse_day(form.get("datum"))
    except ValueError:
        return fail(request, case_id, "kontakt", "Ange datum som ÅÅÅÅ-MM-DD.")
    channel = form.get("kanal") or None
    execute_command(request, me, case_id, c.RecordContact(on=on, channel=channel), form, "Kontakten är registrerad.")
    return to_section(request, case_id, "kontakt")


@router.post("/arenden/{case_id}/fas", dependencies=Csrf)
async def start_phase(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    phase = form.get("fas", "")
    if not phase:
        return fail(request, case_id, "ga-vidare", "Välj vart ärendet ska gå vidare.")
    execute_command(request, me, case_id, c.StartPhase(phase=phase), form, "Ärendet har gått vidare.")
    return to_section(request, case_id, "ga-vidare")


@router.post("/arenden/{case_id}/samtycke", dependencies=Csrf)
async def record_consent(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    parties = await chosen(request, "parter")
    if not parties:
        return fail(request, case_id, "samtycke", "Välj vilka parter samtycket omfattar.")
    try:
        given_on = parse_day(form.get("datum"))
    except ValueError:
        return fail(request, case_id, "samtycke", "Ange datum som ÅÅÅÅ-MM-DD.")
    if given_on is None:
        return fail(request, case_id, "samtycke", "Ange vilken dag samtycket lämnades.")
    command = c.RecordConsent(parties=parties, given_on=given_on, form=form.get("form", "").strip())
    execute_command(request, me, case_id, command, form, "Samtycket är registrerat.")
    return to_section(request, case_id, "samtycke")


@router.post("/arenden/{case_id}/beslut", dependencies=Csrf)
async def decide_participation(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    decision = form.get("beslut", "")
    if not decision:
        return fail(request, case_id, "beslut", "Välj beslut: Antagen, Ej antagen eller Vilande.")
    command = c.DecideParticipation(decision=decision, note=form.get("anteckning", "").strip() or None)
    execute_command(request, me, case_id, command, form, "Beslutet om deltagande är registrerat.")
    return to_section(request, case_id, "beslut")


@router.post("/arenden/{case_id}/faktum", dependencies=Csrf)
async def record_fact(request: Request, me: PartyMe, case_id: str) -> Response:
    """One fact: its value read as the definition's type says (a date, ja/nej, a number, a text)."""
    form = await form_of(request)
    fact = form.get("faktum", "")
    try:
        case = services_of(request).cases.get_case(me.caller(), case_id, purpose="POST /arenden/{case_id}/faktum")
    except ServiceError as exc:
        return fail(request, case_id, "uppgifter-i-arendet", exc.message)
    d = labels_of(request, case.definition_id, case.definition_version)
    kind = d.get("forms", {}).get("fact_types", {}).get(fact, "text")
    label = d.get("facts", {}).get(fact, "Uppgiften")
    try:
        value = fact_value(kind, form.get("varde", ""))
    except ValueError as exc:
        return fail(request, case_id, "uppgifter-i-arendet", f"{label}: {exc}")
    execute_command(request, me, case_id, c.RecordFact(fact=fact, value=value), form, f"'{label}' är registrerat.")
    return to_section(request, case_id, "uppgifter-i-arendet")


def fact_value(kind: str, text: str) -> Any:
    text = text.strip()
    if kind == "bool":
        return text == "ja"
    if not text:
        raise ValueError("ange ett värde.")
    if kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError("ange datum som ÅÅÅÅ-MM-DD.") from None
    if kind == "number":
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ValueError("ange ett tal.") from None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return text


@router.post("/arenden/{case_id}/forlang", dependencies=Csrf)
async def extend_phase(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    reason = form.get("orsak", "").strip()
    if not reason:
        return fail(request, case_id, "forlangning", "Ange varför fasen förlängs.")
    execute_command(request, me, case_id, c.ExtendPhase(reason=reason), form, "Fasen är förlängd.")
    return to_section(request, case_id, "forlangning")
