"""Förbund admin: statistics (Uppföljning Finsam), small counts suppressed so that none can be
worked out from the others (engine/service/suppression.py); the same table as CSV and .xlsx, and
charts drawn from the very cells the tables show. Never a person."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
from engine.service.report_files import report_csv, report_xlsx
from engine.service.reports import DEFAULT_THRESHOLD, ENDINGS, FinsamReport, Period, parse_period, suppress_group

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)
MEASURES = (("started", "Påbörjade"), ("active", "Deltagit"), ("ended", "Avslutade"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Choice:
    ids: list[str]
    names: dict[str, str]
    chosen: str | None
    period: Period
    label: str
    threshold: int
    error: str | None


def _choice(request: Request, definition: str | None, period: str | None, troskel: int) -> Choice:
    svc = services_of(request)
    rows = sorted(svc.definitions.list(), key=lambda d: (d.id, d.version))
    names = {d.id: d.name for d in rows}  # the newest version's name
    ids = sorted(names, key=lambda i: names[i])
    chosen = definition if definition in ids else None
    threshold = min(max(troskel, DEFAULT_THRESHOLD), 50)  # an admin may raise it, never lower it
    label = (period or "").strip() or str(today_of(request).year)
    error = None
    try:
        chosen_period = parse_period(label)
    except ServiceError as exc:
        error, label = exc.message, str(today_of(request).year)
        chosen_period = parse_period(label)
    return Choice(ids, names, chosen, chosen_period, label, threshold, error)


def _report(request: Request, me: AdminMe, ch: Choice) -> FinsamReport:
    report: FinsamReport = services_of(request).reports.finsam(me.caller(), ch.period, ch.threshold, ch.chosen)
    return report


@router.get("/admin/statistik", response_class=HTMLResponse)
def statistics(
    request: Request, me: AdminMe, definition: str | None = None, period: str | None = None, troskel: int = 5
) -> Response:
    """Uppföljning Finsam (engine/service/reports.py): counts per insats by gender, small counts
    suppressed; plus running cases per phase, suppressed the same way. Never a person."""
    ch = _choice(request, definition, period, troskel)
    report = _report(request, me, ch)
    fu = web_of(request).overview.follow_up(me.caller(), ch.chosen)
    phases = phase_labels(request, ch.chosen or None)
    by_phase = suppress_group({**fu.by_phase, "total": fu.active}, ch.threshold)
    phase_rows = [(phases.get(k, k), by_phase[k]) for k in sorted(fu.by_phase, key=lambda k: -fu.by_phase[k])]
    outcome_rows = [(L.OUTCOMES.get(k, k), report.total.ended_by_outcome[k]) for k in ENDINGS]
    hidden = f"<{ch.threshold}"
    figures = [*report.insatser, report.total]
    query = f"?definition={ch.chosen or ''}&period={ch.label}&troskel={ch.threshold}"
    return render(
        request,
        "stats.html",
        {
            "report": report,
            "ids": ch.ids,
            "names": ch.names,
            "chosen": ch.chosen,
            "period": ch.label,
            "threshold": ch.threshold,
            "error": ch.error,
            "measures": MEASURES,
            "phase_rows": phase_rows,
            "outcome_rows": outcome_rows,
            "active_total": by_phase["total"],
            "genders": ("kvinna", "man", "annat", "okänt"),
            "export_query": query,
            "insats_chart": bar_chart(
                [(f.name, [f.started["total"], f.active["total"], f.ended["total"]]) for f in figures],
                "Deltagare per insats", [t for _, t in MEASURES], hidden,
            ),
            "phase_chart": bar_chart([(a, [b]) for a, b in phase_rows], "Pågående deltagare per fas", hidden=hidden),
            "outcome_chart": bar_chart([(a, [b]) for a, b in outcome_rows], "Avslutade per utfall", hidden=hidden),
            "month_chart": bar_chart(
                [(m.month, [m.started, m.ended]) for m in report.months],
                "Påbörjade och avslutade per månad", ("Påbörjade", "Avslutade"), hidden,
            ),
        },
    )


def _filename(report: FinsamReport, ext: str) -> str:
    return "uppfoljning-" + re.sub(r"[^0-9A-Za-z_-]+", "_", report.period) + "." + ext


@router.get("/admin/statistik/uppfoljning.csv")
def statistics_csv(
    request: Request, me: AdminMe, definition: str | None = None, period: str | None = None, troskel: int = 5
) -> Response:
    """The table as CSV the way Swedish Excel opens it (semicolons, BOM); suppressed as on the page."""
    report = _report(request, me, _choice(request, definition, period, troskel))
    return Response(
        report_csv(report, excel=True),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, "csv")}"'},
    )


@router.get("/admin/statistik/uppfoljning.xlsx")
def statistics_xlsx(
    request: Request, me: AdminMe, definition: str | None = None, period: str | None = None, troskel: int = 5
) -> Response:
    """The same table as a real .xlsx workbook (openpyxl)."""
    report = _report(request, me, _choice(request, definition, period, troskel))
    return Response(
        report_xlsx(report),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, "xlsx")}"'},
    )
