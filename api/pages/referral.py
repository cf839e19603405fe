"""Ny remiss: a samordnare or handläggare registers a referral. The personnummer is checked with the
`personnummer` library (engine/core/identity.py, the service's own check); when the person already
has an active case in the same insats the page warns and asks again before a second case starts.
A form with errors, or the warning, is shown again (nothing is written); a referral made redirects
(303) to its new case."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.pages.web import Csrf, PartyMe, form_of, redirect, render, services_of, session, today_of
from api.routing import CheckedRoute
from engine.core.identity import PersonnummerError, parse_personnummer
from engine.service.accounts import AccountOut
from engine.service.errors import ServiceError
from engine.service.views import ReferralIn

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)
GENDERS = {"kvinna": "Kvinna", "man": "Man", "annat": "Annat"}


def insatser(request: Request) -> list[tuple[str, str]]:
    """The published definitions a case can be referred to: (id, name), by name."""
    named: dict[str, str] = {}
    for d in sorted(services_of(request).definitions.list(), key=lambda d: d.version):
        if d.published:
            named[d.id] = d.name
    return sorted(named.items(), key=lambda item: item[1])


def _page(request: Request, form: dict[str, str], errors: dict[str, str], status: int = 200, **ctx: Any) -> Response:
    return render(
        request, "referral.html",
        {"form": form, "errors": errors, "insatser": insatser(request), "genders": GENDERS, **ctx},
        status=status,
    )  # fmt: skip


@router.get("/remiss/ny", response_class=HTMLResponse)
def referral_page(request: Request, me: PartyMe) -> Response:
    return _page(request, {}, {})


@router.post("/remiss/ny", dependencies=Csrf)
async def refer(request: Request, me: PartyMe) -> Response:
    form = await form_of(request)
    anonymous = form.get("anonym") == "ja"
    errors: dict[str, str] = {}
    choices = dict(insatser(request))
    definition_id = form.get("insats", "")
    if definition_id not in choices:
        errors["insats"] = "Välj insats."
    if anonymous:
        birth = form.get("fodelsear", "").strip()
        if birth and not (birth.isdigit() and 1900 <= int(birth) <= 2100):
            errors["fodelsear"] = "Ange födelseår med fyra siffror."
    else:
        try:
            parse_personnummer(form.get("personnummer", ""), today_of(request))
        except PersonnummerError as exc:
            errors["personnummer"] = str(exc) if form.get("personnummer") else "Ange personnummer (ÅÅÅÅMMDD-NNNN)."
        if not form.get("namn", "").strip():
            errors["namn"] = "Ange deltagarens namn."
    if errors:
        return _page(request, form, errors, status=422)
    if not anonymous and form.get("bekrafta") != form["personnummer"]:  # asked again for another person
        existing = active_cases(request, me, form["personnummer"], definition_id)
        if existing:
            return _page(request, form, {}, existing=existing, insats_name=choices[definition_id])
    return _create(request, me, form, anonymous, errors)


def active_cases(request: Request, me: AccountOut, pnr: str, definition_id: str) -> list[Any]:
    """The person's active cases in this insats that the caller may see (the service's search_person)."""
    try:
        found = services_of(request).cases.search_person(me.caller(), pnr, purpose="POST /remiss/ny")
    except ServiceError:
        return []
    return [c for c in found if c.status == "active" and c.definition_id == definition_id]


def _create(
    request: Request, me: AccountOut, form: dict[str, str], anonymous: bool, errors: dict[str, str]
) -> Response:
    try:
        referral = ReferralIn(
            definition_id=form["insats"],
            anonymous=anonymous,
            personnummer=None if anonymous else form.get("personnummer"),
            name=None if anonymous else form.get("namn", "").strip(),
            gender=(form.get("kon") or None) if anonymous else None,
            birth_year=int(form["fodelsear"]) if anonymous and form.get("fodelsear") else None,
        )
        case = services_of(request).cases.refer(me.caller(), referral)
    except ValidationError:
        return _page(request, form, {"kon": "Välj kön i listan."}, status=422)
    except ServiceError as exc:
        field = str((exc.details or {}).get("field", "insats"))
        errors[{"personnummer": "personnummer", "name": "namn"}.get(field, "insats")] = exc.message
        return _page(request, form, errors, status=422)
    session(request).message("ok", "Remissen är registrerad och ärendet har startat.")
    return redirect(request, f"/arenden/{case.id}")
