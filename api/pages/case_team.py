"""The case page's Team section (issue 14): the case team per party, adding and removing a
colleague of one's own party (chosen by name from the party's active accounts), handing the case
over, the party's own case number, and each task's assignee, priority and follow-up date. Every
form posts one command through the one service path (`execute_command`), then 303 back to the case.
What access allows is `access.may_act`'s word (`team`, `reference`, `task:<id>`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.case_forms import back, fail, parse_day, to_section
from api.pages.web import Csrf, PageError, PartyMe, execute_command, form_of, redirect, render, services_of, web_of
from api.routing import CheckedRoute
from engine.core import commands as c
from engine.service.access import PERSON_KINDS, TASK_ACTION
from engine.service.accounts import AccountOut
from engine.service.errors import ServiceError
from engine.service.views import CaseOut

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)
TEAM = "team"
TASKS = "uppgifter"
SAMORDNARE_ROLE = "samordnare"
PRIORITIES = {"normal": "Normal", "high": "Hög"}


def team_context(
    request: Request, me: AccountOut, case: CaseOut, may: dict[str, str | None], d: dict[str, Any], active: bool
) -> dict[str, Any]:
    """What the Team section and the tasks' team lines show and offer to this caller."""
    roles: dict[str, str] = d.get("roles", {})
    parties: dict[str, str] = d.get("parties", {})
    groups: dict[str, list[dict[str, Any]]] = {}
    accounts = web_of(request).accounts
    for m in case.team:
        account = accounts.get(m.user_id)
        samordnare = m.role == SAMORDNARE_ROLE or (account is not None and account.kind == SAMORDNARE_ROLE)
        groups.setdefault(m.party, []).append(
            {"user_id": m.user_id, "name": m.name, "role": roles.get(m.role or "", ""), "samordnare": samordnare}
        )
    mine = {m["user_id"] for m in groups.get(me.party or "", [])}
    person = me.kind in PERSON_KINDS
    may_team = active and person and may.get("team") is None
    colleagues = web_of(request).accounts.colleagues(me.caller()) if may_team else []
    order = sorted(groups, key=lambda p: parties.get(p, p))
    return {
        "team_groups": [(p, parties.get(p, "Okänd part"), groups[p]) for p in order],
        "may_team": may_team,
        "team_reason": None if not active else may.get("team"),
        "addable": [a for a in colleagues if a.user_id not in mine],
        "successors": [a for a in colleagues if a.user_id != me.user_id],
        "on_team": me.user_id in mine,
        "may_reference": active and may.get("reference") is None,
        "our_reference": case.external_references.get(me.party or ""),
        "task_team": {t.task_id: may.get(f"{TASK_ACTION}{t.task_id}", "Uppgiften är inte öppen") for t in case.tasks},
        "members_of": {p: [(m["user_id"], m["name"]) for m in ms] for p, ms in groups.items()},
        "priorities": PRIORITIES,
    }


def colleague(request: Request, me: AccountOut, user_id: str) -> AccountOut | None:
    """An active handläggare or samordnare of the caller's own party (never a typed id)."""
    return next((a for a in web_of(request).accounts.colleagues(me.caller()) if a.user_id == user_id), None)


@router.post("/arenden/{case_id}/team/lagg-till", dependencies=Csrf)
async def add_member(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    account = colleague(request, me, form.get("anvandare", ""))
    if account is None or me.party is None:
        return fail(request, case_id, TEAM, "Välj en kollega i din part.")
    command = c.AddTeamMember(party=me.party, user_id=account.user_id, name=account.name or account.user_id)
    execute_command(request, me, case_id, command, form, f"{account.name} är med i teamet.")
    return to_section(request, case_id, TEAM)


@router.get("/arenden/{case_id}/team/{user_id}/ta-bort", response_class=HTMLResponse)
async def remove_member_page(request: Request, me: PartyMe, case_id: str, user_id: str) -> Response:
    try:
        case = services_of(request).cases.get_case(me.caller(), case_id, purpose="GET bekräfta")
    except ServiceError as exc:
        raise PageError(exc.status, exc.message) from None
    member = next((m for m in case.team if m.party == me.party and m.user_id == user_id), None)
    if member is None:
        return fail(request, case_id, TEAM, "Personen är inte med i teamet för din part.")
    effects = [
        f"{member.name} tas bort ur ärendets team.",
        f"{member.name} ser därefter inte ärendet. Öppna uppgifter som {member.name} har går till en annan i "
        "teamet för din part, annars blir de otilldelade.",
    ]
    return render(request, "confirm.html", {
        "case": case, "title": "Ta bort ur teamet", "effects": effects,
        "action": f"/arenden/{case_id}/team/{user_id}/ta-bort", "hidden": [], "fields": [],
        "submit": f"Ja, ta bort {member.name}", "cancel": back(case_id, TEAM),
    })  # fmt: skip


@router.post("/arenden/{case_id}/team/{user_id}/ta-bort", dependencies=Csrf)
async def remove_member(request: Request, me: PartyMe, case_id: str, user_id: str) -> Response:
    form = await form_of(request)
    if form.get("bekrafta") != "ja" or me.party is None:
        return fail(request, case_id, TEAM, "Bekräfta borttagningen på bekräftelsesidan.")
    command = c.RemoveTeamMember(party=me.party, user_id=user_id)
    execute_command(request, me, case_id, command, form, "Personen är borttagen ur teamet.")
    return to_section(request, case_id, TEAM)


@router.post("/arenden/{case_id}/team/lamna-over", dependencies=Csrf)
async def hand_over(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    account = colleague(request, me, form.get("till", ""))
    if account is None or me.party is None:
        return fail(request, case_id, TEAM, "Välj vem i din part som tar över ärendet.")
    command = c.HandOver(party=me.party, from_user=me.user_id, to_user=account.user_id,
                         to_name=account.name or account.user_id)  # fmt: skip
    if execute_command(request, me, case_id, command, form, f"Ärendet är överlämnat till {account.name}."):
        return redirect(request, "/uppgifter")  # off the team the case may be hidden from me now
    return to_section(request, case_id, TEAM)


@router.post("/arenden/{case_id}/diarienummer", dependencies=Csrf)
async def set_reference(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    if me.party is None:
        return fail(request, case_id, TEAM, "Diarienumret hör till en part.")
    reference = form.get("diarienummer", "").strip() or None
    done = f"Ert diarienummer är {reference}." if reference else "Ert diarienummer är borttaget."
    execute_command(request, me, case_id, c.SetExternalReference(party=me.party, reference=reference), form, done)
    return to_section(request, case_id, TEAM)


# --- the team on one task -------------------------------------------------------------------------


@router.post("/arenden/{case_id}/uppgifter/{task_id}/ta", dependencies=Csrf)
async def claim(request: Request, me: PartyMe, case_id: str, task_id: str) -> Response:
    form = await form_of(request)
    execute_command(request, me, case_id, c.ClaimTask(task_id=task_id), form, "Du har tagit uppgiften.")
    return to_section(request, case_id, TASKS)


@router.post("/arenden/{case_id}/uppgifter/{task_id}/slapp", dependencies=Csrf)
async def unclaim(request: Request, me: PartyMe, case_id: str, task_id: str) -> Response:
    form = await form_of(request)
    execute_command(request, me, case_id, c.UnclaimTask(task_id=task_id), form, "Du har släppt uppgiften.")
    return to_section(request, case_id, TASKS)


@router.post("/arenden/{case_id}/uppgifter/{task_id}/tilldela", dependencies=Csrf)
async def assign(request: Request, me: PartyMe, case_id: str, task_id: str) -> Response:
    form = await form_of(request)
    user_id = form.get("anvandare", "")
    if not user_id:
        return fail(request, case_id, TASKS, "Välj vem i teamet som ska ha uppgiften.")
    execute_command(request, me, case_id, c.AssignTask(task_id=task_id, user_id=user_id), form,
                    "Uppgiften är tilldelad.")  # fmt: skip
    return to_section(request, case_id, TASKS)


@router.post("/arenden/{case_id}/uppgifter/{task_id}/prioritet", dependencies=Csrf)
async def priority(request: Request, me: PartyMe, case_id: str, task_id: str) -> Response:
    form = await form_of(request)
    chosen = form.get("prioritet", "")
    if chosen not in PRIORITIES:
        return fail(request, case_id, TASKS, "Välj prioritet: Normal eller Hög.")
    execute_command(request, me, case_id, c.SetTaskPriority(task_id=task_id, priority=chosen), form,
                    f"Prioriteten är {PRIORITIES[chosen].lower()}.")  # fmt: skip
    return to_section(request, case_id, TASKS)


@router.post("/arenden/{case_id}/uppgifter/{task_id}/paborja", dependencies=Csrf)
async def follow_up(request: Request, me: PartyMe, case_id: str, task_id: str) -> Response:
    form = await form_of(request)
    try:
        on = parse_day(form.get("datum"))
    except ValueError:
        return fail(request, case_id, TASKS, "Ange datum som ÅÅÅÅ-MM-DD.")
    done = f"Påbörja senast {on}." if on else "Datumet för påbörja senast är borttaget."
    execute_command(request, me, case_id, c.SetTaskFollowUp(task_id=task_id, on=on), form, done)
    return to_section(request, case_id, TASKS)

