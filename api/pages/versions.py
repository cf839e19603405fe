"""Förbund admin: versions of a definition: what changed between two, publishing and migrating
running cases, each behind a page that says what will happen before anything does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.web import (
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
from engine.service.accounts import AccountOut
from engine.service.errors import ServiceError

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)

STATUS_SV = {
    "migrated": "Flyttat", "would_migrate": "Flyttas", "unmappable": "Kan inte flyttas", "unchanged": "Oförändrat",
}  # fmt: skip


def _versions(request: Request, definition_id: str) -> list[Any]:
    versions = [v for v in services_of(request).definitions.list() if v.id == definition_id]
    if not versions:
        raise PageError(404, "Definitionen finns inte.")
    return versions


def _version(versions: list[Any], value: str | int | None, default: int) -> int:
    try:
        chosen = int(value) if value not in (None, "") else default
    except ValueError:
        raise PageError(422, "Välj en version i listan.") from None
    if chosen not in {v.version for v in versions}:
        raise PageError(404, f"Version {chosen} finns inte.")
    return chosen


def _published(versions: list[Any]) -> int | None:
    return max((v.version for v in versions if v.published), default=None)


def _running(request: Request, me: AccountOut, definition_id: str) -> dict[tuple[str, int], int]:
    running: dict[tuple[str, int], int] = web_of(request).overview.running_per_version(me.caller(), definition_id)
    return running


@router.get("/admin/definitioner/{definition_id}/versioner", response_class=HTMLResponse)
def compare_page(request: Request, me: AdminMe, definition_id: str, fran: str = "", till: str = "") -> Response:
    versions = _versions(request, definition_id)
    newest = versions[-1].version
    to_v = _version(versions, till, newest)
    from_v = _version(versions, fran, _published(versions) or versions[0].version)
    diff = services_of(request).definitions.diff(definition_id, from_v, to_v)
    d = definition_of(request, definition_id, to_v)
    return render(request, "versions.html", {"d": d, "versions": versions, "fran": from_v, "till": to_v, "diff": diff})


@router.get("/admin/definitioner/{definition_id}/{version}/publicera", response_class=HTMLResponse)
def publish_confirm(request: Request, me: AdminMe, definition_id: str, version: int) -> Response:
    versions = _versions(request, definition_id)
    _version(versions, version, version)
    current = _published(versions)
    row = next(v for v in versions if v.version == version)
    diff = services_of(request).definitions.diff(definition_id, current, version) if current else []
    running = _running(request, me, definition_id)
    ctx = {
        "d": definition_of(request, definition_id, version),
        "version": version,
        "already": row.published,
        "current": current,
        "diff": diff,
        "running_total": sum(n for (_, v), n in running.items() if v != version),
        "running": running,
        "versions": versions,
    }
    return render(request, "publish.html", ctx)


@router.post("/admin/definitioner/{definition_id}/{version}/publicera", dependencies=Csrf)
async def publish(request: Request, me: AdminMe, definition_id: str, version: int) -> Response:
    form = await form_of(request)
    if form.get("bekrafta") != "ja":
        return redirect(request, f"/admin/definitioner/{definition_id}/{version}/publicera")
    try:
        services_of(request).definitions.publish(me.caller(), definition_id, version)
        session(request).message(
            "ok",
            f"Version {version} är publicerad: nya ärenden startar på den. Pågående ärenden stannar på sin version.",
        )
    except ServiceError as exc:
        session(request).message("fel", exc.message)
    return redirect(request, f"/admin/definitioner/{definition_id}?version={version}")


def _phase_map(old: Definition, new: Definition, values: dict[str, str]) -> dict[str, str]:
    """Old phase id → new phase id from the selects (`fas_<old id>`); an empty choice keeps the id."""
    out: dict[str, str] = {}
    for p in old.phases:
        chosen = values.get(f"fas_{p.id}", "")
        if chosen and chosen != p.id:
            if chosen not in new.phase_by_id:
                raise PageError(422, f"Välj en fas ur version {new.version} för fasen '{p.label}'.")
            out[p.id] = chosen
    return out


def _migrate_ctx(request: Request, me: AccountOut, definition_id: str, values: dict[str, str]) -> dict[str, Any]:
    versions = _versions(request, definition_id)
    running = _running(request, me, definition_id)
    newest = versions[-1].version
    busy = [v.version for v in versions if running.get((definition_id, v.version), 0) and v.version != newest]
    from_v = _version(versions, values.get("fran"), busy[0] if busy else versions[0].version)
    to_v = _version(versions, values.get("till"), _published(versions) or newest)
    old = definition_of(request, definition_id, from_v)
    new = definition_of(request, definition_id, to_v)
    phase_map = _phase_map(old, new, values)
    ctx: dict[str, Any] = {
        "d": new, "old": old, "new": new, "versions": versions, "running": running, "fran": from_v, "till": to_v,
        "phase_map": phase_map, "report": None, "diff": [], "status_sv": STATUS_SV,
    }  # fmt: skip
    if from_v != to_v:
        svc = services_of(request).definitions
        ctx["diff"] = svc.diff(definition_id, from_v, to_v)
        try:
            ctx["report"] = svc.migrate(me.caller(), definition_id, from_v, to_v, phase_map, dry_run=True)
        except ServiceError as exc:
            ctx["migrate_error"] = exc.message
    return ctx


@router.get("/admin/definitioner/{definition_id}/migrera", response_class=HTMLResponse)
def migrate_page(request: Request, me: AdminMe, definition_id: str) -> Response:
    """The preview: per running case, in words, what the migration would do; nothing changes."""
    ctx = _migrate_ctx(request, me, definition_id, dict(request.query_params))
    return render(request, "migrate.html", ctx)


@router.post("/admin/definitioner/{definition_id}/migrera", dependencies=Csrf)
async def migrate(request: Request, me: AdminMe, definition_id: str) -> Response:
    form = await form_of(request)
    ctx = _migrate_ctx(request, me, definition_id, form)
    if form.get("bekrafta") != "ja" or ctx["fran"] == ctx["till"]:
        return render(request, "migrate.html", ctx, status=422)
    try:
        report = services_of(request).definitions.migrate(
            me.caller(), definition_id, ctx["fran"], ctx["till"], ctx["phase_map"], dry_run=False
        )
    except ServiceError as exc:
        session(request).message("fel", exc.message)
        return redirect(request, f"/admin/definitioner/{definition_id}/migrera?fran={ctx['fran']}&till={ctx['till']}")
    session(request).message(
        "ok",
        f"{report.migrated} {'ärende' if report.migrated == 1 else 'ärenden'} flyttades "
        f"från version {report.from_version} till {report.to_version}"
        + (f"; {report.unmappable} kunde inte flyttas och stannar kvar." if report.unmappable else "."),
    )
    return redirect(request, f"/admin/definitioner/{definition_id}/migrera?fran={ctx['fran']}&till={ctx['till']}")
