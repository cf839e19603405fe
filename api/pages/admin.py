"""Förbund admin: the definitions editor (validate, save). Publishing, migrating and comparing
versions are in versions.py, the forms in forms.py, simulation in simulation_page.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.pages.diagram import UNAVAILABLE, diagram_context, diagram_svg
from api.pages.web import (
    MAX_YAML,
    AdminMe,
    Csrf,
    PageError,
    definition_of,
    form_of,
    redirect,
    render,
    services_of,
    session,
    web_of,
)
from api.routing import CheckedRoute
from engine.core.definition import Definition
from engine.core.editor_help import DURATION_EXAMPLES, document_ids, problem_tree
from engine.core.loader import DefinitionError, loads, problem_dicts
from engine.core.schema import definition_schema
from engine.service.accounts import AccountOut
from engine.service.errors import ServiceError

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)


# --- förbund admin: definitions -------------------------------------------------------------------


@router.get("/admin/definitioner", response_class=HTMLResponse)
def definitions_page(request: Request, me: AdminMe) -> Response:
    svc = services_of(request)
    running = web_of(request).overview.running_per_version(me.caller())
    grouped: dict[str, list[Any]] = {}
    for d in svc.definitions.list():
        grouped.setdefault(d.id, []).append(d)
    return render(request, "definitions.html", {"grouped": grouped, "running": running})


def _editor_ctx(request: Request, me: AccountOut, definition_id: str, version: int | None) -> dict[str, Any]:
    svc = services_of(request)
    try:
        detail = svc.definitions.get(definition_id, version)
    except ServiceError as exc:
        raise PageError(exc.status, exc.message) from None
    d = definition_of(request, detail.id, detail.version)
    versions = [v for v in svc.definitions.list() if v.id == definition_id]
    running = web_of(request).overview.running_per_version(me.caller(), definition_id)
    return {
        "detail": detail,
        "d": d,
        "yaml": detail.yaml,
        "problems": [],
        **diagram_context(request, d),
        "editor_help": editor_help(detail.yaml),
        "versions": versions,
        "running": running,
    }


@router.get("/admin/definitioner/{definition_id}", response_class=HTMLResponse)
def editor_page(request: Request, me: AdminMe, definition_id: str, version: int | None = None) -> Response:
    return render(request, "editor.html", _editor_ctx(request, me, definition_id, version))


def editor_help(text: str) -> dict[str, Any]:
    """What the code editor completes and explains: the JSON Schema of the definition language
    (field names, Swedish descriptions, enum values), duration examples and the document's ids."""
    return {"schema": definition_schema(), "durations": list(DURATION_EXAMPLES), "ids": document_ids(text)}


def _problems(text: str) -> tuple[Definition | None, list[dict[str, Any]]]:
    try:
        return loads(text, "definition.yaml"), []
    except DefinitionError as exc:
        return None, problem_dicts(exc.problems)


@router.post("/admin/validera", dependencies=Csrf)
async def validate(request: Request, me: AdminMe) -> JSONResponse:
    """Live validation for the editor: the same loader and validator as `python -m engine validate`."""
    try:
        body = await request.json()
    except ValueError:
        raise PageError(422, 'Skicka JSON: {"yaml": "..."}') from None
    text = body.get("yaml") if isinstance(body, dict) else None
    if not isinstance(text, str) or len(text) > MAX_YAML:
        raise PageError(422, "Fältet yaml saknas eller är för långt.")
    d, problems = _problems(text)
    out: dict[str, Any] = {"ok": d is not None, "problems": problems, "ids": document_ids(text)}
    if d is not None:
        out["svg"] = diagram_svg(request, d) or f'<p class="small">{UNAVAILABLE}</p>'
        out["name"] = d.name
    return JSONResponse(out, headers={"Cache-Control": "no-store"})


@router.post("/admin/definitioner/{definition_id}/spara", dependencies=Csrf)
async def save_definition(request: Request, me: AdminMe, definition_id: str) -> Response:
    form = await form_of(request)
    text = form.get("yaml", "")
    try:
        out = services_of(request).definitions.upload(me.caller(), text)
    except ServiceError as exc:
        ctx = _editor_ctx(request, me, definition_id, None)
        problems = exc.details.get("problems", []) if exc.code == "definition_invalid" else []
        ctx.update(yaml=text, problems=problem_tree(problems), editor_help=editor_help(text), error=exc.message)
        return render(request, "editor.html", ctx, status=422)
    session(request).message("ok", f"Version {out.version} är sparad men inte publicerad.")
    return redirect(request, f"/admin/definitioner/{out.id}?version={out.version}")
