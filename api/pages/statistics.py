"""Förbund admin: statistics (Uppföljning Finsam), small counts suppressed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages import labels as L
from api.pages.stats import bar_chart
from api.pages.web import (
    AdminMe,
    phase_labels,
    render,
    services_of,
    today_of,
    web_of,
)
from api.routing import CheckedRoute
from engine.service.errors import ServiceError

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)


# --- förbund admin: statistics ------------------------------------------------------------------


@router.get("/admin/statistik", response_class=HTMLResponse)
def statistics(
    request: Request, me: AdminMe, definition: str | None = None, period: str | None = None, troskel: int = 5
) -> Response:
    """Uppföljning Finsam (engine/service/reports.py): counts per insats by gender, small counts
    suppressed; plus running cases per phase, suppressed the same way. Never a person."""
    from engine.service.reports import DEFAULT_THRESHOLD, parse_period, suppress_group

    svc = services_of(request)
    ids = sorted({d.id for d in svc.definitions.list()})
    chosen = definition if definition in ids else None
    threshold = min(max(troskel, DEFAULT_THRESHOLD), 50)  # an admin may raise it, never lower it
    label = (period or "").strip() or str(today_of(request).year)
    error = None
    try:
        chosen_period = parse_period(label)
    except ServiceError as exc:
        error, label = exc.message, str(today_of(request).year)
        chosen_period = parse_period(label)
    report = svc.reports.finsam(me.caller(), chosen_period, threshold, chosen)
    fu = web_of(request).overview.follow_up(me.caller(), chosen)
    phases = phase_labels(request, chosen or None)
    by_phase = suppress_group({**fu.by_phase, "total": fu.active}, threshold)
    phase_rows = [(phases.get(k, k), by_phase[k]) for k in sorted(fu.by_phase, key=lambda k: -fu.by_phase[k])]
    outcome_rows = [(L.OUTCOMES.get(k, k), v) for k, v in report.total.ended_by_outcome.items() if k != "total"]
    month_rows = [(m.month, m.started) for m in report.months]
    return render(
        request,
        "stats.html",
        {
            "report": report,
            "ids": ids,
            "chosen": chosen,
            "period": label,
            "threshold": threshold,
            "error": error,
            "phase_rows": phase_rows,
            "active_total": by_phase["total"],
            "genders": ("kvinna", "man", "annat", "okänt"),
            "phase_chart": bar_chart([(a, b) for a, b in phase_rows if b], "Pågående deltagare per fas"),
            "outcome_chart": bar_chart([(a, b) for a, b in outcome_rows if b], "Avslutade per utfall"),
            "month_chart": bar_chart([(a, b) for a, b in month_rows if b], "Påbörjade per månad"),
        },
    )
