"""Handläggare: "Mina uppgifter" (my tasks and my roles' unassigned ones, or my party's), and acting
on one: accept, complete, decline, comment, take it ("Ta uppgiften"), give it back, or give it to a
colleague of the case team. The list is the service's one task list (engine/service/case_lists.py);
after an action the page comes back to the row acted on (#anchor, focused, the result announced)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages import lists
from api.pages.dates import human_date
from api.pages.web import (
    Csrf,
    PageError,
    PartyMe,
    case_caller,
    execute_command,
    form_of,
    local_path,
    phase_labels,
    redirect,
    render,
    services_of,
    session,
    today_of,
)
from api.routing import CheckedRoute
from engine.core import commands as c
from engine.service.accounts import AccountOut
from engine.service.list_filters import TaskQuery
from engine.service.notify_texts import case_reference
from engine.service.views import Page, TaskOut

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)

WHO = {"": "Mina och de jag kan ta", "me": "Bara mina", "unassigned": "Otilldelade i min part",
       "any": "Alla i min part"}  # fmt: skip


def _query(params: dict[str, str], assignee: str) -> TaskQuery:
    return TaskQuery(
        assignee=assignee,
        status=params.get("status", "open"),
        priority=params.get("priority") or None,
        phase=params.get("phase") or None,
        sort=params.get("sort", "due"),
    )


def _section(request: Request, me: AccountOut, query: TaskQuery, needle: str, page: int) -> tuple[list[TaskOut], int]:
    """One list of the page: a page of the service's list or, with a search, the matches among the
    first SEARCH_LIMIT (by the name and the reference the user sees)."""
    svc = services_of(request).cases
    who = case_caller(request, me)
    purpose = "GET /uppgifter"
    if not needle:
        found: Page[TaskOut] = svc.tasks(who, query, limit=lists.PER_PAGE, page=page, purpose=purpose)
        return list(found.items), found.total
    every: Page[TaskOut] = svc.tasks(who, query, limit=lists.SEARCH_LIMIT, page=1, purpose=purpose)
    hits = [
        t for t in every.items
        if lists.matches(needle, t.label, t.person.name if t.person else None, case_reference(t.case_id))
    ]  # fmt: skip
    start = (page - 1) * lists.PER_PAGE
    return hits[start : start + lists.PER_PAGE], len(hits)


@router.get("/uppgifter", response_class=HTMLResponse)
def tasks_page(request: Request, me: PartyMe) -> Response:
    raw = dict(request.query_params)
    params = lists.clean(raw, ("assignee", "status", "priority", "phase", "sort", "sok"))
    params = {
        k: v for k, v in params.items()
        if (k, v) in {("assignee", a) for a in WHO} | {("status", s) for s in lists.WHEN}
        | {("priority", p) for p in lists.PRIORITY} | {("sort", s) for s in lists.TASK_SORTS}
        or k in ("phase", "sok")
    }  # fmt: skip
    needle = params.get("sok", "").strip().lower()[:100]
    page = lists.page_number(raw.get("page"))
    who = params.get("assignee", "")
    phases = phase_labels(request)
    if params.get("phase") and params["phase"] not in phases:
        params.pop("phase")
    sections: list[dict[str, Any]] = []
    if who:
        items, total = _section(request, me, _query(params, who), needle, page)
        sections.append({"id": "lista", "title": WHO[who], "tasks": items, "total": total})
    else:  # the page's own view: mine, then what my roles (or, without roles, my party) may take
        mine, mine_total = _section(request, me, _query(params, "me"), needle, page)
        pool = "roles" if me.roles else "unassigned"
        free, free_total = _section(request, me, _query(params, pool), needle, page)
        sections += [
            {"id": "mina", "title": "Tilldelade mig", "tasks": mine, "total": mine_total},
            {"id": "att-ta", "title": "Otilldelade för mina roller" if me.roles else "Otilldelade i min part",
             "tasks": free, "total": free_total},
        ]  # fmt: skip
    total = max(s["total"] for s in sections)
    today = today_of(request)
    return render(
        request,
        "tasks.html",
        {
            "sections": sections,
            "params": params,
            "who": WHO,
            "when": lists.WHEN,
            "priorities": lists.PRIORITY,
            "sorts": lists.TASK_SORTS,
            "phases": phases,
            "pager": lists.pager(total, page),
            "base_params": dict(params),
            "views": lists.views_of(request, me, "tasks"),
            "view_url": lists.view_url,
            "view_fields": lists.VIEW_FIELDS["tasks"],
            "human_date": lambda d: human_date(d, today),
            "overdue_count": sum(1 for s in sections for t in s["tasks"] if t.overdue),
            "me_id": me.user_id,
            "who_label": lists.who_labels(request),
        },
    )


TASK_ACTIONS = ("acceptera", "avboj", "slutfor", "kommentera", "ta", "lamna", "tilldela")


@router.post("/uppgifter/{case_id}/{task_id}/{action}", dependencies=Csrf)
async def task_action(request: Request, me: PartyMe, case_id: str, task_id: str, action: str) -> Response:
    form = await form_of(request)
    back = local_path(form.get("tillbaka"), "/uppgifter").split("#", 1)[0]
    back = f"{back}#uppgift-{case_id}-{task_id}"  # the row acted on (api/static/lists.js focuses it)
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
    elif action == "ta":
        command, done = c.ClaimTask(task_id=task_id, party=me.party, name=me.name or None), "Du har tagit uppgiften."
    elif action == "lamna":
        command, done = c.UnclaimTask(task_id=task_id), "Uppgiften är tillbaka hos din part, otilldelad."
    elif action == "tilldela":
        user_id = form.get("till", "").strip()
        if not user_id:
            sess.message("fel", "Välj en kollega att lämna uppgiften till.")
            return redirect(request, back)
        command, done = c.AssignTask(task_id=task_id, user_id=user_id), "Uppgiften är lämnad vidare."
    else:
        raise PageError(404, "Okänd åtgärd.")
    execute_command(request, me, case_id, command, form, done)
    return redirect(request, back)
