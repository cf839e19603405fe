"""Förbund admin: the definitions editor (validate, save, publish, simulate, migrate)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.pages.diagram import describe, render_svg
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
    today_of,
    web_of,
)
from api.routing import CheckedRoute
from engine.core.definition import Definition
from engine.core.editor_help import DURATION_EXAMPLES, document_ids, problem_tree
from engine.core.loader import DefinitionError, loads, problem_dicts
from engine.core.schema import definition_schema
from engine.core.simulation import SimulationOptions, default_path
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
        "editor_help": editor_help(detail.yaml),
        "svg": render_svg(d),
        "rows": describe(d),
        "versions": versions,
        "running": running,
        "sim_start": today_of(request).isoformat(),
        "sim_path": ",".join(default_path(d)),
        "simulation": None,
        "report": None,
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
        out["svg"] = render_svg(d)
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


@router.post("/admin/definitioner/{definition_id}/{version}/publicera", dependencies=Csrf)
def publish(request: Request, me: AdminMe, definition_id: str, version: int) -> Response:
    try:
        services_of(request).definitions.publish(me.caller(), definition_id, version)
        session(request).message(
            "ok",
            f"Version {version} är publicerad: nya ärenden startar på den. Pågående ärenden stannar på sin version.",
        )
    except ServiceError as exc:
        session(request).message("fel", exc.message)
    return redirect(request, f"/admin/definitioner/{definition_id}?version={version}")


@router.post("/admin/definitioner/{definition_id}/{version}/simulera", response_class=HTMLResponse, dependencies=Csrf)
async def simulate(request: Request, me: AdminMe, definition_id: str, version: int) -> Response:
    form = await form_of(request)
    ctx = _editor_ctx(request, me, definition_id, version)
    try:
        start = date.fromisoformat(form.get("start", ""))
        sick = date.fromisoformat(form["sjukperiod"]) if form.get("sjukperiod") else None
    except ValueError:
        ctx["sim_error"] = "Ange datum som ÅÅÅÅ-MM-DD."
        return render(request, "editor.html", ctx, status=422)
    path = tuple(p.strip() for p in form.get("vag", "").replace(";", ",").split(",") if p.strip())
    ctx.update(sim_start=start.isoformat(), sim_path=",".join(path), sim_sick=form.get("sjukperiod", ""))
    try:
        result = services_of(request).definitions.simulate(
            definition_id, version, SimulationOptions(start=start, path=path, sick_period_start=sick)
        )
    except ServiceError as exc:
        ctx["sim_error"] = exc.message
        return render(request, "editor.html", ctx, status=422)
    per_party: dict[str, list[Any]] = {}
    for line in result.lines:
        per_party.setdefault(line.who, []).append(line)
    ctx["simulation"] = {"result": result, "per_party": per_party}
    return render(request, "editor.html", ctx)


@router.post("/admin/definitioner/{definition_id}/migrera", response_class=HTMLResponse, dependencies=Csrf)
async def migrate(request: Request, me: AdminMe, definition_id: str) -> Response:
    form = await form_of(request)
    try:
        from_v, to_v = int(form.get("fran", "")), int(form.get("till", ""))
    except ValueError:
        raise PageError(422, "Välj versioner att migrera mellan.") from None
    phase_map: dict[str, str] = {}
    for line in form.get("fasmappning", "").splitlines():
        if "=" in line:
            old, new = line.split("=", 1)
            if old.strip() and new.strip():
                phase_map[old.strip()] = new.strip()
    dry = form.get("provkorning") == "ja"
    ctx = _editor_ctx(request, me, definition_id, to_v)
    try:
        ctx["report"] = services_of(request).definitions.migrate(
            me.caller(), definition_id, from_v, to_v, phase_map, dry_run=dry
        )
    except ServiceError as exc:
        ctx["migrate_error"] = exc.message
        return render(request, "editor.html", ctx, status=422)
    if not dry:
        ctx["running"] = web_of(request).overview.running_per_version(me.caller(), definition_id)
    return render(request, "editor.html", ctx)
