"""Handläggare and samordnare: one case, with a form for every command they may give. The forms
post to api/pages/case_forms.py; irreversible actions ask first (api/pages/case_confirm.py)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages import labels as L
from api.pages.case_team import team_context
from api.pages.emergency import hidden_case_page
from api.pages.timeline import Words, sentence
from api.pages.web import PageError, PartyMe, case_caller, labels_of, render, services_of, session, today_of, web_of
from api.routing import CheckedRoute
from engine.service.errors import ServiceError
from engine.service.views import CaseOut, EventOut, TaskOut

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)

@router.get("/arenden/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, me: PartyMe, case_id: str, system: str = "") -> Response:
    svc = services_of(request)
    caller = case_caller(request, me)
    try:
        case, may = svc.cases.case_with_actions(caller, case_id, purpose="GET /arenden/{case_id}")
    except ServiceError as exc:
        if exc.code == "not_found":
            return hidden_case_page(request, me, case_id)
        raise PageError(exc.status, exc.message) from None
    d = labels_of(request, case.definition_id, case.definition_version)
    forms: dict[str, Any] = d.get("forms", {})
    events: list[EventOut] = []
    if case.access in ("full", "case"):
        events = list(svc.cases.timeline(caller, case_id, limit=500, page=1, purpose="GET /arenden/{case_id}").items)
    words = words_for(request, d, case, events)
    sentences = [sentence(e, words) for e in reversed(events)]
    show_system = system == "1"
    active = case.status == "active" and case.access != "tasks"
    phase_kind: str = forms.get("phase_kinds", {}).get(case.phase or "", "")
    facts = fact_fields(d, case) if active else []
    extendable = case.phase in forms.get("extendable", [])
    covered = list(case.consent.parties) if case.consent is not None and case.consent.active else []
    may_withdraw = bool(covered) and (
        may["withdraw_consent_all"] is None or (may["withdraw_consent_own"] is None and me.party in covered)
    )
    # protection never waits: offered on a closed case too (the core allows it)
    may_protect = case.access != "tasks" and may["protect"] is None and not (case.protected_identity or case.anonymous)
    shown = {
        "uppgifter": True, "ga-vidare": active, "samtycke": active, "kontakt": active, "avbrott": active,
        "beslut": active and phase_kind == "decision", "avslut": active and phase_kind == "exit",
        "forlangning": active and extendable, "uppgifter-i-arendet": bool(facts),
        "tidslinje": case.access != "tasks", "team": case.access != "tasks",
        "oaterkalleligt": (active and may_withdraw) or may_protect,
    }  # fmt: skip
    sess = session(request)
    acted = sess.extra.pop("acted", None)
    sess.changed = sess.changed or acted is not None
    if not shown.get(str(acted)):
        acted = None  # the section is gone (the case closed): the message shows at the top
    notices = sess.pop_flash() if acted else []
    return render(
        request,
        "case.html",
        {
            "case": case,
            "definition_name": d["name"],
            "parties": d["parties"],
            "who": {**d["parties"], **d["roles"]},
            "phases": d["phases"],
            "transitions": d["transitions"].get(case.phase or "", []) if active else [],
            "facts": facts,
            "outcomes": [(o, L.OUTCOMES.get(o, o)) for o in forms.get("outcomes", [])],
            "reason_outcomes": [L.OUTCOMES.get(o, o) for o in forms.get("reasons_required_for", [])],
            "avbrott_reasons": forms.get("avbrott_reasons", []),
            "phase_kind": phase_kind,
            "extendable": extendable,
            "covered": covered,
            "may_withdraw": may_withdraw,
            "may_protect": may_protect,
            "active": active,
            "may": may,
            "task_groups": task_groups(case, d, events, words),
            "sentences": [s for s in sentences if not s.system],
            "system_sentences": [s for s in sentences if s.system] if show_system else [],
            "show_system": show_system,
            "today": today_of(request),
            "mine": {t.task_id for t in case.tasks if t.party == me.party or t.responsible in me.roles},
            "consent_forms": L.CONSENT_FORMS,
            "my_party": me.party,
            "acted": acted if notices else None,
            "notices": notices,
            "emergency_until": emergency_until(events, me.user_id, svc.clock()),
            **team_context(request, me, case, may, d, active),
        },
    )


def emergency_until(events: list[EventOut], user_id: str, now: datetime) -> datetime | None:
    """Until when the caller's nödåtkomst to the case lasts (the timeline's newest grant to them)."""
    for e in reversed(events):
        if e.type == "EmergencyAccessGranted" and e.data.get("user_id") == user_id and e.data.get("until"):
            until = datetime.fromisoformat(str(e.data["until"]))
            return until if until > now else None
    return None


def words_for(request: Request, d: dict[str, Any], case: CaseOut, events: list[EventOut]) -> Words:
    """The labels and names a sentence may use: the definition's, the case's task labels (follow-ups
    and repeated visits have instance ids), and the names of the accounts that acted."""
    tasks = dict(d.get("tasks", {}))
    for e in events:
        if e.type == "TaskCreated" and e.data.get("task") and e.data.get("label"):
            tasks[str(e.data["task"])] = str(e.data["label"])
    tasks.update({t.task_id: t.label for t in case.tasks})
    accounts = web_of(request).accounts
    names: dict[str, str | None] = {}

    def person(user_id: str) -> str | None:
        if user_id not in names:
            account = accounts.get(user_id)
            names[user_id] = account.name if account is not None and account.name else None
        return names[user_id]

    return Words(d["parties"], d["roles"], d["phases"], d.get("facts", {}), tasks, person)


def fact_fields(d: dict[str, Any], case: CaseOut) -> list[dict[str, Any]]:
    """Each fact of the definition with its label, the input its type asks for, and its value now."""
    types: dict[str, str] = d.get("forms", {}).get("fact_types", {})
    out = []
    for fid, label in d.get("facts", {}).items():
        kind = types.get(fid, "text")
        out.append({"id": fid, "label": label, "type": kind, "input": L.FACT_INPUTS.get(kind, "text"),
                    "value": case.facts.get(fid), "known": fid in case.facts})  # fmt: skip
    return out


def task_groups(case: CaseOut, d: dict[str, Any], events: list[EventOut], words: Words) -> list[dict[str, Any]]:
    """The tasks by phase (phase label; the current phase first), each with who completed
    (or declined) it, when and the note, as the timeline recorded it."""
    closed: dict[str, dict[str, Any]] = {}
    for e in events:
        if e.type in ("TaskCompleted", "TaskDeclined") and e.data.get("task"):
            closed[str(e.data["task"])] = {"by": words.who(e.actor) or "Systemet", "at": e.at,
                                           "note": sentence(e, words).note}  # fmt: skip
    groups: OrderedDict[str, list[tuple[TaskOut, dict[str, Any] | None]]] = OrderedDict()
    for t in case.tasks:
        groups.setdefault(t.phase or "", []).append((t, closed.get(t.task_id)))
    phases: dict[str, str] = d["phases"]
    now = case.phase or ""
    if now in groups:  # the phase the case is in first, then the ones before it, latest first
        order = [now, *reversed([p for p in groups if p != now])]
        groups = OrderedDict((p, groups[p]) for p in order)
    return [
        {"phase": pid, "label": phases.get(pid, "Hela ärendet") if pid else "Hela ärendet", "tasks": items,
         "current": pid == case.phase}
        for pid, items in groups.items()
    ]  # fmt: skip
