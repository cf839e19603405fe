"""What "Mina uppgifter" and "Mina ärenden" share: the filters' Swedish labels, search, paging and
the saved views (kept by the service, engine/service/saved_views.py). The pages' query strings use
the API's own filter names (engine/service/list_filters.py), so a saved view is a query string."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from api.pages.web import Csrf, PageError, PartyMe, form_of, local_path, redirect, services_of, session
from api.routing import CheckedRoute
from engine.service.errors import ServiceError

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)

PER_PAGE = 20
SEARCH_LIMIT = 500
"""A search reads up to this many rows and filters them by what the user sees (name, reference)."""

WHEN = {
    "open": "Alla öppna",
    "due_today": "Förfaller i dag",
    "due_this_week": "Förfaller denna vecka",
    "overdue": "Försenade",
    "all": "Alla, även avslutade",
}
PRIORITY = {"": "Alla prioriteter", "high": "Hög prioritet", "normal": "Normal prioritet"}
TASK_SORTS = {
    "due": "Förfallodag, tidigast först",
    "-due": "Förfallodag, senast först",
    "priority": "Prioritet",
    "follow_up": "Påbörja senast",
    "created": "Nyast först",
}
CASE_SCOPES = {"mine": "Mina ärenden", "party": "Min parts ärenden"}
CASE_STATUS = {"active": "Pågående", "closed": "Avslutade", "all": "Alla"}
PAGE_OF = {"tasks": "/uppgifter", "cases": "/arenden"}
VIEW_FIELDS = {
    "tasks": ("assignee", "status", "priority", "phase", "sort"),
    "cases": ("scope", "phase", "status", "overdue", "external_ref"),
}
"""The query parameters a saved view keeps (not the search text nor the page)."""


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    total: int

    def url(self, path: str, params: Mapping[str, str], page: int) -> str:
        return f"{path}?{urlencode({**params, 'page': str(page)})}"


def pager(total: int, page: int) -> Pager:
    return Pager(page=page, pages=max(1, -(-total // PER_PAGE)), total=total)


def page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) < 100_000 else 1


def matches(needle: str, *texts: str | None) -> bool:
    """The search: a case-insensitive part of the name or reference the user sees."""
    return any(needle in t.lower() for t in texts if t)


def clean(params: Mapping[str, str], allowed: Mapping[str, Any] | tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k in allowed and v}


def views_of(request: Request, me: Any, kind: str) -> list[Any]:
    items: list[Any] = services_of(request).views.list(me.caller(), kind).items
    return items


def view_url(kind: str, filters: Mapping[str, Any]) -> str:
    params = {k: ("true" if v is True else str(v)) for k, v in filters.items() if v not in (None, False, "")}
    return PAGE_OF[kind] + ("?" + urlencode(params) if params else "")


@router.post("/vyer", dependencies=Csrf)
async def save_view(request: Request, me: PartyMe) -> Response:
    form = await form_of(request)
    kind = form.get("lista", "")
    if kind not in PAGE_OF:
        raise PageError(404, "Okänd lista.")
    back = local_path(form.get("tillbaka"), PAGE_OF[kind])
    sess = session(request)
    name = form.get("namn", "").strip()
    filters: dict[str, Any] = {k: form[k] for k in VIEW_FIELDS[kind] if form.get(k)}
    if "overdue" in filters:
        filters["overdue"] = filters["overdue"] == "true"
    if not name:
        sess.message("fel", "Ge vyn ett namn.")
        return redirect(request, back)
    try:
        services_of(request).views.save(me.caller(), kind, name, filters)
    except ServiceError as exc:
        sess.message("fel", exc.message)
        return redirect(request, back)
    sess.message("ok", f"Vyn ”{name}” är sparad.")
    return redirect(request, back)


@router.post("/vyer/{view_id}/ta-bort", dependencies=Csrf)
async def delete_view(request: Request, me: PartyMe, view_id: Annotated[int, Path(ge=1, le=2**62)]) -> Response:
    form = await form_of(request)
    kind = form.get("lista", "tasks")
    back = local_path(form.get("tillbaka"), PAGE_OF.get(kind, "/uppgifter"))
    sess = session(request)
    if form.get("bekrafta") != "ja":
        sess.message("fel", "Kryssa i att du vill ta bort vyn.")
        return redirect(request, back)
    try:
        services_of(request).views.delete(me.caller(), view_id)
    except ServiceError as exc:
        sess.message("fel", exc.message)
        return redirect(request, back)
    sess.message("ok", "Vyn är borttagen.")
    return redirect(request, back)


def who_labels(request: Request) -> dict[str, str]:
    """Party and role id → label over the newest version of each definition (stored labels)."""
    out: dict[str, str] = {}
    for _did, labels in sorted(services_of(request).definitions.latest_labels().items()):
        for key in ("parties", "roles"):
            for code, label in (labels.get(key) or {}).items():
                out.setdefault(code, label)
    return out
