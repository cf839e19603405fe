"""Förbund admin: forms for the common changes (a phase's tasks, its length and extension, the
global timers). Each form writes its values into the version's YAML (engine/service/
definition_forms.py, only the changed lines) and saves the result as a new version, validated by
the one loader; its problems are shown in words in the form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.web import AdminMe, Csrf, PageError, form_of, redirect, render, services_of, session
from api.routing import CheckedRoute
from engine.service.accounts import AccountOut
from engine.service.definition_forms import TaskFields, edit_global_timers, edit_phase_length, edit_task
from engine.service.errors import ServiceError
from engine.service.yaml_edit import YamlEditError

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)

TIMERS = (("no_contact", "Larm om utebliven kontakt med deltagaren"), ("max_time", "Larm om längsta tid i insatsen"))
BASE = "/admin/definitioner/{id}/{version}/formular"


def _ctx(request: Request, definition_id: str, version: int, phase_id: str) -> dict[str, Any]:
    svc = services_of(request).definitions
    try:
        detail = svc.get(definition_id, version)
        d = svc.parsed(definition_id, version)
    except ServiceError as exc:
        raise PageError(exc.status, exc.message) from None
    phase = d.phase_by_id.get(phase_id) or next((p for p in d.phases if p.tasks), d.phases[0])
    who = [(p.id, p.label) for p in d.parties] + [(r.id, r.label) for r in d.roles]
    return {
        "d": d, "detail": detail, "phase": phase, "who": who, "timers": TIMERS, "posted": {}, "problems": [],
        "failed": None, "edit_error": None,
    }  # fmt: skip


@router.get("/admin/definitioner/{definition_id}/{version}/formular", response_class=HTMLResponse)
def forms_page(request: Request, me: AdminMe, definition_id: str, version: int, fas: str = "") -> Response:
    return render(request, "forms.html", _ctx(request, definition_id, version, fas))


def _save(
    request: Request, me: AccountOut, definition_id: str, version: int, form: dict[str, str], which: str, text: str
) -> Response:
    """Save the edited text as a new version, or show the form again with the problems in words."""
    phase_id = form.get("fas", "")
    try:
        out = services_of(request).definitions.upload(me.caller(), text)
    except ServiceError as exc:
        ctx = _ctx(request, definition_id, version, phase_id)
        problems = exc.details.get("problems", []) if exc.code == "definition_invalid" else []
        ctx.update(posted=form, problems=problems, failed=which, edit_error=exc.message)
        return render(request, "forms.html", ctx, status=422)
    session(request).message("ok", f"Ändringen är sparad som version {out.version}, inte publicerad.")
    return redirect(request, BASE.format(id=out.id, version=out.version) + f"?fas={phase_id}")


def _stored(request: Request, definition_id: str, version: int) -> str:
    try:
        text: str = services_of(request).definitions.get(definition_id, version).yaml
    except ServiceError as exc:
        raise PageError(exc.status, exc.message) from None
    return text


def _edited(
    request: Request, definition_id: str, version: int, form: dict[str, str], which: str, edit: Any
) -> str | Response:
    try:
        text: str = edit(_stored(request, definition_id, version))
    except (ServiceError, YamlEditError) as exc:
        ctx = _ctx(request, definition_id, version, form.get("fas", ""))
        message = exc.message if isinstance(exc, ServiceError) else (
            "Formuläret kan inte skriva i den här texten (den har en form som formulären inte kan ändra i); "
            "gör ändringen i YAML-redigeraren.")  # fmt: skip
        ctx.update(posted=form, failed=which, edit_error=message)
        return render(request, "forms.html", ctx, status=422)
    return text


@router.post("/admin/definitioner/{definition_id}/{version}/formular/uppgift", dependencies=Csrf)
async def save_task(request: Request, me: AdminMe, definition_id: str, version: int) -> Response:
    form = await form_of(request)
    task_id = form.get("uppgift", "")
    fields = TaskFields(
        label=form.get("label", ""),
        responsible=form.get("responsible", ""),
        due=form.get("due", ""),
        reminders=tuple(r for r in form.get("reminders", "").split(",") if r.strip()),
        escalation_to=form.get("esc_to", ""),
        escalation_after=form.get("esc_after", ""),
        blocking=form.get("blocking") == "ja",
    )
    which = "task:" + task_id
    text = _edited(request, definition_id, version, form, which,
                   lambda t: edit_task(t, form.get("fas", ""), task_id, fields))  # fmt: skip
    if isinstance(text, Response):
        return text
    return _save(request, me, definition_id, version, form, which, text)


@router.post("/admin/definitioner/{definition_id}/{version}/formular/fas", dependencies=Csrf)
async def save_phase(request: Request, me: AdminMe, definition_id: str, version: int) -> Response:
    form = await form_of(request)
    text = _edited(request, definition_id, version, form, "phase", lambda t: edit_phase_length(
        t, form.get("fas", ""), form.get("max_length", ""), form.get("step", ""), form.get("up_to", "")))  # fmt: skip
    if isinstance(text, Response):
        return text
    return _save(request, me, definition_id, version, form, "phase", text)


@router.post("/admin/definitioner/{definition_id}/{version}/formular/timrar", dependencies=Csrf)
async def save_timers(request: Request, me: AdminMe, definition_id: str, version: int) -> Response:
    form = await form_of(request)
    timers = {
        key: {"after": form.get(f"{key}_after", ""), "notify": form.get(f"{key}_notify", ""),
              "starts_in": form.get(f"{key}_starts_in", "")}
        for key, _ in TIMERS
    }  # fmt: skip
    text = _edited(request, definition_id, version, form, "timers", lambda t: edit_global_timers(t, timers))
    if isinstance(text, Response):
        return text
    return _save(request, me, definition_id, version, form, "timers", text)
