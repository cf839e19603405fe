"""Handläggare: "Mina ärenden", the cases I work on (my party's, if I choose), filtered by phase,
status, overdue tasks and my party's own reference, searchable by the name or reference I see,
paged; the list is the service's one case list (engine/service/case_lists.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages import lists
from api.pages.dates import human_date
from api.pages.web import PartyMe, case_caller, phase_labels, render, services_of, today_of
from api.routing import CheckedRoute
from engine.core.decide import local_date
from engine.service.list_filters import CaseQuery
from engine.service.notify_texts import case_reference
from engine.service.views import CaseOut, Page

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)


def _reference(case: CaseOut, party: str | None) -> str | None:
    refs: dict[str, str] = getattr(case, "external_references", None) or {}
    return refs.get(party or "")


@router.get("/arenden", response_class=HTMLResponse)
def cases_page(request: Request, me: PartyMe) -> Response:
    raw = dict(request.query_params)
    params = lists.clean(raw, ("scope", "phase", "status", "overdue", "external_ref", "sok"))
    phases = phase_labels(request)
    if params.get("scope") not in lists.CASE_SCOPES:
        params.pop("scope", None)
    if params.get("status") not in lists.CASE_STATUS:
        params.pop("status", None)
    if params.get("phase") and params["phase"] not in phases:
        params.pop("phase")
    if params.get("overdue") != "true":
        params.pop("overdue", None)
    params = {k: v[:100] for k, v in params.items()}
    query = CaseQuery(
        scope=params.get("scope", "mine"),
        phase=params.get("phase") or None,
        status=params.get("status", "active"),
        overdue=params.get("overdue") == "true",
        external_ref=params.get("external_ref") or None,
    )
    page = lists.page_number(raw.get("page"))
    needle = params.get("sok", "").strip().lower()
    svc = services_of(request).cases
    who = case_caller(request, me)
    purpose = "GET /arenden"
    items: list[CaseOut]
    if needle:
        every: Page[CaseOut] = svc.cases(who, query, limit=lists.SEARCH_LIMIT, page=1, purpose=purpose)
        hits = [
            c for c in every.items
            if lists.matches(needle, c.person.name if c.person else None, case_reference(c.id), _reference(c, me.party))
        ]  # fmt: skip
        total = len(hits)
        items = hits[(page - 1) * lists.PER_PAGE : page * lists.PER_PAGE]
    else:
        found: Page[CaseOut] = svc.cases(who, query, limit=lists.PER_PAGE, page=page, purpose=purpose)
        items, total = list(found.items), found.total
    today = today_of(request)
    rows: list[dict[str, Any]] = []
    for case in items:
        open_mine = [t for t in case.tasks if t.status in ("open", "accepted") and t.party == me.party]
        due = min((t.due for t in open_mine if t.due is not None), default=None)
        rows.append({
            "case": case,
            "reference": _reference(case, me.party),
            "open_tasks": len(open_mine),
            "overdue": sum(1 for t in case.tasks if t.overdue),
            "next_due": due,
            "updated": local_date(case.updated_at) if case.updated_at else None,
        })  # fmt: skip
    return render(
        request,
        "cases.html",
        {
            "rows": rows,
            "params": params,
            "scopes": lists.CASE_SCOPES,
            "statuses": lists.CASE_STATUS,
            "phases": phases,
            "pager": lists.pager(total, page),
            "total": total,
            "base_params": params,
            "views": lists.views_of(request, me, "cases"),
            "view_url": lists.view_url,
            "view_fields": lists.VIEW_FIELDS["cases"],
            "human_date": lambda d: human_date(d, today),
        },
    )
