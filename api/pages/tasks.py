"""Handläggare: my party's tasks, and acting on one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.web import (
    Csrf,
    PageError,
    PartyMe,
    execute_command,
    form_of,
    local_path,
    phase_labels,
    redirect,
    render,
    services_of,
    session,
)
from api.routing import CheckedRoute
from engine.core import commands as c
from engine.service.list_filters import TaskQuery

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)


# --- handläggare: tasks ---------------------------------------------------------------------------

FILTERS = {"open": "Öppna", "overdue": "Försenade", "due_this_week": "Förfaller denna vecka", "all": "Alla"}
SORTS = {"due": "Förfallodag", "case": "Ärende", "label": "Uppgift", "phase": "Fas"}


@router.get("/uppgifter", response_class=HTMLResponse)
def tasks_page(
    request: Request, me: PartyMe, visa: str = "open", sortera: str = "due", sok: str = "", omvand: bool = False
) -> Response:
    visa = visa if visa in FILTERS else "open"
    sortera = sortera if sortera in SORTS else "due"
    query = TaskQuery(status=visa)
    page = services_of(request).cases.tasks(me.caller(), query, limit=500, page=1, purpose="GET /uppgifter")
    items = list(page.items)
    needle = sok.strip().lower()
    if needle:
        items = [t for t in items if needle in t.label.lower() or needle in t.case_id.lower()]
    keys: dict[str, Callable[[Any], Any]] = {
        "due": lambda t: (t.due is None, t.due or date.max, t.label),
        "case": lambda t: (t.case_id, t.due or date.max),
        "label": lambda t: (t.label.lower(), t.due or date.max),
        "phase": lambda t: (t.phase or "", t.due or date.max),
    }
    items.sort(key=keys[sortera], reverse=omvand)
    return render(
        request,
        "tasks.html",
        {
            "tasks": items,
            "filters": FILTERS,
            "sorts": SORTS,
            "visa": visa,
            "sortera": sortera,
            "sok": sok,
            "omvand": omvand,
            "phases": phase_labels(request),
            "overdue_count": sum(1 for t in items if t.overdue),
        },
    )


TASK_ACTIONS = ("acceptera", "avboj", "slutfor", "kommentera")


@router.post("/uppgifter/{case_id}/{task_id}/{action}", dependencies=Csrf)
async def task_action(request: Request, me: PartyMe, case_id: str, task_id: str, action: str) -> Response:
    form = await form_of(request)
    back = local_path(form.get("tillbaka"), "/uppgifter")
    sess = session(request)
    command: c.Command
    if action == "acceptera":
        command, done = c.AcceptTask(task_id=task_id), "Uppgiften är accepterad."
    elif action == "avboj":
        reason = form.get("orsak", "").strip()
        if not reason:
            sess.message("fel", "Ange en orsak när du avböjer en uppgift.")
            return redirect(request, back)
        command, done = c.DeclineTask(task_id=task_id, reason=reason), "Uppgiften är avböjd."
    elif action == "slutfor":
        command, done = c.CompleteTask(task_id=task_id, note=form.get("anteckning") or None), "Uppgiften är klar."
    elif action == "kommentera":
        text = form.get("kommentar", "").strip()
        if not text:
            sess.message("fel", "Skriv en kommentar.")
            return redirect(request, back)
        command, done = c.CommentTask(task_id=task_id, text=text), "Kommentaren är sparad."
    else:
        raise PageError(404, "Okänd åtgärd.")
    execute_command(request, me, case_id, command, form, done)
    return redirect(request, back)
