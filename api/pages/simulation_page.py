"""Förbund admin: simulate a version with every option of `engine simulate` as form fields, shown
as the dated list and as a timeline per party (server-rendered bars). Simulating changes nothing,
so the form is a GET."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages import labels as L
from api.pages.web import AdminMe, PageError, definition_of, render, services_of, today_of
from api.routing import CheckedRoute
from engine.core.definition import Definition
from engine.core.definition_diff import who
from engine.core.simulation import SimulationOptions, default_path
from engine.service.errors import ServiceError
from engine.service.views import SimulationOut

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)

MAX_LATE_DAYS = 365
MAX_EXTENSIONS = 20


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: ange datum som ÅÅÅÅ-MM-DD.") from None


def _count(value: str, name: str, top: int) -> int:
    if not value.strip():
        return 0
    if not value.strip().isdigit() or int(value) > top:
        raise ValueError(f"{name}: ange ett heltal från 0 till {top}.")
    return int(value)


def options_of(d: Definition, q: Any, today: date) -> tuple[SimulationOptions, list[str]]:
    """The options from the form (query parameters); the list of problems, in words."""
    errors: list[str] = []
    start = today
    try:
        start = _date(q.get("start", ""), "Startdatum") or today
    except ValueError as exc:
        errors.append(str(exc))
    sick = None
    try:
        sick = _date(q.get("sjukperiod", ""), "Sjukperiodens start")
    except ValueError as exc:
        errors.append(str(exc))
    path = tuple(p for p in q.getlist("vag") if p)
    for p in path:
        if p not in d.phase_by_id:
            errors.append("Vägen innehåller en fas som inte finns i versionen.")
            break
    outcome = q.get("utfall", "") or "förvärvsarbete"
    if outcome not in {o.value for o in d.outcomes}:
        errors.append("Välj ett utfall ur listan.")
    abort_in = q.get("avbryt", "") or None
    if abort_in is not None and abort_in not in d.phase_by_id:
        errors.append("Välj fasen för avbrottet ur listan.")
    extensions: dict[str, int] = {}
    late: dict[str, int] = {}
    for p in d.phases:
        try:
            n = _count(q.get(f"forlang_{p.id}", ""), f"Förlängningar av '{p.label}'", MAX_EXTENSIONS)
            if n:
                extensions[p.id] = n
        except ValueError as exc:
            errors.append(str(exc))
        for t in p.tasks:
            try:
                n = _count(q.get(f"sen_{t.id}", ""), f"Dagar försenad för '{t.label}'", MAX_LATE_DAYS)
                if n:
                    late[t.id] = n
            except ValueError as exc:
                errors.append(str(exc))
    opts = SimulationOptions(
        start=start,
        path=path,
        outcome=outcome,
        abort_in=abort_in,
        anonymous=q.get("anonym") == "ja",
        sick_period_start=sick,
        extensions=extensions,
        late=late,
        contact_every=None if q.get("ingen_kontakt") == "ja" else 7,
    )
    return opts, errors


def chart(d: Definition, result: SimulationOut) -> dict[str, Any]:
    """The timeline as rows of bars with left and width in percent of the simulated span."""
    if not result.bars:
        return {"lanes": [], "ticks": []}
    first = min(b.start for b in result.bars)
    last = max(b.end for b in result.bars)
    span = max((last - first).days + 1, 1)

    def pct(day: date) -> float:
        return round(100 * (day - first).days / span, 2)

    lanes: dict[str, dict[str, Any]] = {}
    for b in result.bars:
        title = "Ärendets faser" if b.lane == "" else who(d, b.lane)
        lane = lanes.setdefault(b.lane, {"title": title, "bars": []})
        lane["bars"].append(
            {
                "label": b.label,
                "who": who(d, b.responsible) if b.responsible else "",
                "start": b.start,
                "end": b.end,
                "due": b.due,
                "late": b.late,
                "left": pct(b.start),
                "width": max(round(100 * ((b.end - b.start).days + 1) / span, 2), 0.8),
                "due_at": pct(b.due) if b.due is not None and first <= b.due <= last else None,
            }
        )
    days = sorted({first + timedelta(days=round(i * (span - 1) / 5)) for i in range(6)})
    ticks = [{"day": day, "left": pct(day)} for day in days]
    order = [""] + [p.id for p in d.parties]
    ordered = [lanes[k] for k in order if k in lanes] + [v for k, v in lanes.items() if k not in order]
    return {"lanes": ordered, "ticks": ticks, "first": first, "last": last}


@router.get("/admin/definitioner/{definition_id}/{version}/simulera", response_class=HTMLResponse)
def simulation_page(request: Request, me: AdminMe, definition_id: str, version: int) -> Response:
    try:
        d = definition_of(request, definition_id, version)
    except ServiceError as exc:
        raise PageError(exc.status, exc.message) from None
    q = request.query_params
    ran = "start" in q
    opts, errors = options_of(d, q, today_of(request))
    path = opts.path or default_path(d)
    ctx: dict[str, Any] = {
        "d": d, "opts": opts, "sim_path": path, "steps": max(len(path) + 3, 6), "errors": errors, "result": None,
        "outcomes": [(o.value, L.OUTCOMES.get(o.value, o.value)) for o in d.outcomes], "who": who,
    }  # fmt: skip
    if ran and not errors:
        try:
            result = services_of(request).definitions.simulate(definition_id, version, opts)
        except ServiceError as exc:
            errors.append(exc.message)
        else:
            ctx["result"] = result
            ctx["chart"] = chart(d, result)
            ctx["lines"] = [
                (line.day, ", ".join(who(d, x.strip()) for x in line.who.split(",")) if line.who != "ärendet"
                 else "Ärendet", line.what)
                for line in result.lines
            ]  # fmt: skip
    return render(request, "simulation.html", ctx, status=422 if errors else 200)
