"""Uppföljning Finsam: counts per insats by gender, outcomes, time in the insats, a monthly chart.

The förbund sees aggregates only, so this module reads the `cases` rows (definition, gender, birth
year) and the `events` (when a participant was admitted, when and how the case closed) and never
the `persons` table: no name or personnummer can reach a report. Anonymous participants are cases
like the others and are counted the same way. Gallring leaves everything read here untouched, so a
report gives the same figures before and after it.

Who counts as what, for a period [from, to] (local dates, both inclusive):
- a *participant* is a case admitted to the insats (`ParticipationDecided` with `admitted`); the
  day of the first admission is the start. Referrals that were never admitted are not participants;
- *started*: start within the period; *ended*: the case closed within the period (after its start);
- *active*: took part at some time during the period (started on or before `to`, not ended before `from`);
- *ended by outcome*: the five outcome groups of the national follow-up, plus `avbrott` (early end);
- *time in the insats*: days from start to end, over the participants who ended in the period.

Small counts are suppressed (`threshold`, default 5): a count from 1 to threshold−1 is shown as
`null` in JSON and `<5` in CSV, and when a group shows its total, a second cell is suppressed with
a lone suppressed one so that it cannot be recovered by subtraction. Medians and p90 of fewer than
`threshold` participants are not shown either.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.adapters.store.models import CaseRow, DefinitionRow, EventRow
from engine.core.decide import local_date
from engine.service.access import Caller
from engine.service.errors import ServiceError, forbidden
from engine.service.uow import UowFactory

GENDERS = ("kvinna", "man", "annat", "okänt")
OUTCOME_GROUPS = ("förvärvsarbete", "studier", "arbetssökande", "övriga_avslutade", "felregistrering")
ENDINGS = (*OUTCOME_GROUPS, "avbrott")
DEFAULT_THRESHOLD = 5
AGE_BANDS = ((0, 19, "under 20"), (20, 24, "20–24"), (25, 29, "25–29"), (30, 39, "30–39"), (40, 49, "40–49"),
             (50, 59, "50–59"), (60, 200, "60+"))  # fmt: skip

Cell = int | None
"""A count, or None when it is suppressed."""


# --- periods -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str

    def months(self) -> list[tuple[int, int]]:
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


_TERTIAL = re.compile(r"^(\d{4})-?[Tt]([123])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_period(text: str) -> Period:
    """`2026T1` / `2026-T2` (tertial: jan–apr, maj–aug, sep–dec), `2026` (year), `2026-05` (month),
    or `2026-01-01..2026-03-31` (custom, both days included)."""
    text = text.strip()
    if m := _TERTIAL.match(text):
        year, t = int(m[1]), int(m[2])
        first = 1 + 4 * (t - 1)
        last = first + 3
        return Period(date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1]), f"{year}-T{t}")
    if m := _YEAR.match(text):
        year = int(m[1])
        return Period(date(year, 1, 1), date(year, 12, 31), str(year))
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise _period_error(text)
        return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), text)
    if ".." in text:
        a, b = text.split("..", 1)
        try:
            start, end = date.fromisoformat(a), date.fromisoformat(b)
        except ValueError:
            raise _period_error(text) from None
        if end < start:
            raise _period_error(text)
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")
    raise _period_error(text)


def _period_error(text: str) -> ServiceError:
    return ServiceError(
        "validation_error",
        f"Okänd period '{text}': ange t.ex. 2026T1 (tertial), 2026 (år), 2026-05 (månad) eller 2026-01-01..2026-03-31",
        details={"field": "period"},
    )


def previous_month(today: date) -> Period:
    """The calendar month before `today` (what the monthly deployment reports)."""
    y, m = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return parse_period(f"{y:04d}-{m:02d}")


# --- participations: what a report reads ----------------------------------------------------


@dataclass(frozen=True)
class Participation:
    """One participant in one insats, with nothing that identifies the person."""

    definition_id: str
    gender: str
    birth_year: int | None
    started_on: date
    ended_on: date | None
    ending: str | None  # an outcome group, "avbrott", or None while active

    def active_in(self, p: Period) -> bool:
        return self.started_on <= p.end and (self.ended_on is None or self.ended_on >= p.start)

    def started_in(self, p: Period) -> bool:
        return p.start <= self.started_on <= p.end

    def ended_in(self, p: Period) -> bool:
        return self.ended_on is not None and p.start <= self.ended_on <= p.end

    @property
    def days(self) -> int | None:
        return None if self.ended_on is None else (self.ended_on - self.started_on).days


def load_participations(s: Session, until: date, definition_id: str | None = None) -> list[Participation]:
    """Participants admitted on or before `until`, read from cases and events (never persons)."""
    q = select(CaseRow.id, CaseRow.definition_id, CaseRow.gender, CaseRow.birth_year)
    if definition_id is not None:
        q = q.where(CaseRow.definition_id == definition_id)
    cases = {cid: (did, gender, by) for cid, did, gender, by in s.execute(q)}
    eq = (
        select(EventRow.case_id, EventRow.type, EventRow.at, EventRow.data)
        .where(EventRow.type.in_(("ParticipationDecided", "CaseClosed")))
        .order_by(EventRow.case_id, EventRow.seq)
    )
    if definition_id is not None:
        eq = eq.join(CaseRow, CaseRow.id == EventRow.case_id).where(CaseRow.definition_id == definition_id)
    started: dict[str, date] = {}
    ended: dict[str, tuple[date, str]] = {}
    for case_id, type_, at, data in s.execute(eq):
        day = local_date(at)
        if type_ == "ParticipationDecided":
            if data.get("decision") == "admitted" and case_id not in started:
                started[case_id] = day
        elif case_id in started and case_id not in ended:
            ending = "avbrott" if data.get("avbrott") else str(data.get("outcome") or "övriga_avslutade")
            ended[case_id] = (day, ending)
    out = []
    for case_id, start in started.items():
        if start > until or case_id not in cases:
            continue
        did, gender, birth_year = cases[case_id]
        end = ended.get(case_id)
        if end is not None and end[0] > until:
            end = None  # seen from the end of the period, still active
        out.append(
            Participation(
                definition_id=did,
                gender=gender if gender in GENDERS else "okänt",
                birth_year=birth_year,
                started_on=start,
                ended_on=end[0] if end else None,
                ending=end[1] if end else None,
            )
        )
    return out


# --- raw figures ---------------------------------------------------------------------------


@dataclass
class RawFigures:
    started: dict[str, int]
    active: dict[str, int]
    ended: dict[str, int]
    ended_by: dict[str, int]
    days: list[int]


def _by_gender(parts: Iterable[Participation]) -> dict[str, int]:
    c = Counter(p.gender for p in parts)
    return {"total": sum(c.values()), **{g: c.get(g, 0) for g in GENDERS}}


def raw_figures(parts: Sequence[Participation], period: Period) -> RawFigures:
    ended = [p for p in parts if p.ended_in(period)]
    by = Counter(p.ending for p in ended)
    return RawFigures(
        started=_by_gender(p for p in parts if p.started_in(period)),
        active=_by_gender(p for p in parts if p.active_in(period)),
        ended=_by_gender(ended),
        ended_by={"total": len(ended), **{e: by.get(e, 0) for e in ENDINGS}},
        days=sorted(p.days for p in ended if p.days is not None),
    )


def percentile(values: Sequence[int], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(q * len(ordered)) - 1)])


# --- suppression ---------------------------------------------------------------------------


def suppress_group(counts: dict[str, int], threshold: int, total: str | None = "total") -> dict[str, Cell]:
    """Hide counts from 1 to threshold−1. With a visible total, never leave exactly one cell hidden
    (it would follow by subtraction): hide the smallest other non-zero cell too."""
    out: dict[str, Cell] = {k: (None if 0 < v < threshold else v) for k, v in counts.items()}
    cells = [k for k in counts if k != total]
    hidden = [k for k in cells if out[k] is None]
    if total is not None and out.get(total) is not None and len(hidden) == 1:
        others = sorted((counts[k], k) for k in cells if out[k] is not None and counts[k] > 0)
        if others:
            out[others[0][1]] = None
    return out


# --- the report ----------------------------------------------------------------------------


class ReportModel(BaseModel):
    model_config = ConfigDict(frozen=True)


class InsatsFigures(ReportModel):
    definition_id: str
    name: str
    started: dict[str, Cell]
    active: dict[str, Cell]
    ended: dict[str, Cell]
    ended_by_outcome: dict[str, Cell]
    days_median: float | None
    days_p90: float | None


class MonthFigures(ReportModel):
    month: str
    started: Cell
    ended: Cell


class FinsamReport(ReportModel):
    period_start: date
    period_end: date
    period: str
    threshold: int
    generated_at: datetime
    insatser: list[InsatsFigures]
    total: InsatsFigures
    months: list[MonthFigures]


class ExportRow(ReportModel):
    """The anonymous per-participant export: these five fields and nothing else."""

    kon: str
    aldersgrupp: str
    startdatum: date
    slutdatum: date | None
    utfall: str | None


def age_band(birth_year: int | None, on: date) -> str:
    if birth_year is None:
        return "okänd"
    age = on.year - birth_year
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return "okänd"


def _figures(definition_id: str, name: str, raw: RawFigures, threshold: int) -> InsatsFigures:
    enough = len(raw.days) >= threshold
    return InsatsFigures(
        definition_id=definition_id,
        name=name,
        started=suppress_group(raw.started, threshold),
        active=suppress_group(raw.active, threshold),
        ended=suppress_group(raw.ended, threshold),
        ended_by_outcome=suppress_group(raw.ended_by, threshold),
        days_median=float(statistics.median(raw.days)) if enough and raw.days else None,
        days_p90=percentile(raw.days, 0.9) if enough and raw.days else None,
    )


def require_statistics_reader(caller: Caller) -> None:
    if caller.kind not in ("forbund_admin", "system"):
        raise forbidden("Endast förbundet (administratör) och systemet tar fram uppföljningsrapporter")


class ReportService:
    def __init__(self, uow: UowFactory, clock: Callable[[], datetime]) -> None:
        self._uow = uow
        self._clock = clock

    def _load(self, period: Period, definition_id: str | None) -> tuple[list[Participation], dict[str, str]]:
        with self._uow() as uow:
            s = uow.session
            parts = load_participations(s, period.end, definition_id)
            names: dict[str, str] = {}
            for did, _version, name in s.execute(
                select(DefinitionRow.id, DefinitionRow.version, DefinitionRow.name).order_by(DefinitionRow.version)
            ):
                names[did] = name  # the newest version's name
        return parts, names

    def raw(self, caller: Caller, period: Period, definition_id: str | None = None) -> dict[str, RawFigures]:
        """Unsuppressed figures per insats (for tests and internal checks; never written to a file)."""
        require_statistics_reader(caller)
        parts, _ = self._load(period, definition_id)
        groups: dict[str, list[Participation]] = defaultdict(list)
        for p in parts:
            groups[p.definition_id].append(p)
        out = {did: raw_figures(ps, period) for did, ps in sorted(groups.items())}
        out["*"] = raw_figures(parts, period)
        return out

    def finsam(
        self,
        caller: Caller,
        period: Period,
        threshold: int = DEFAULT_THRESHOLD,
        definition_id: str | None = None,
    ) -> FinsamReport:
        require_statistics_reader(caller)
        if threshold < 1:
            raise ServiceError("validation_error", "Tröskeln ska vara minst 1", details={"field": "threshold"})
        parts, names = self._load(period, definition_id)
        groups: dict[str, list[Participation]] = defaultdict(list)
        for p in parts:
            groups[p.definition_id].append(p)
        wanted = [definition_id] if definition_id else sorted(set(names) | set(groups))
        insatser = [
            _figures(did, names.get(did, did), raw_figures(groups.get(did, []), period), threshold) for did in wanted
        ]
        months_started: dict[str, int] = {"total": 0}
        months_ended: dict[str, int] = {"total": 0}
        for y, m in period.months():
            key = f"{y:04d}-{m:02d}"
            months_started[key] = sum(
                1 for p in parts if p.started_in(period) and (p.started_on.year, p.started_on.month) == (y, m)
            )
            months_ended[key] = sum(
                1 for p in parts if p.ended_in(period) and p.ended_on is not None
                and (p.ended_on.year, p.ended_on.month) == (y, m)
            )  # fmt: skip
            months_started["total"] += months_started[key]
            months_ended["total"] += months_ended[key]
        ms, me = suppress_group(months_started, threshold), suppress_group(months_ended, threshold)
        months = [MonthFigures(month=k, started=ms[k], ended=me[k]) for k in months_started if k != "total"]
        return FinsamReport(
            period_start=period.start,
            period_end=period.end,
            period=period.label,
            threshold=threshold,
            generated_at=self._clock(),
            insatser=insatser,
            total=_figures("*", "Alla insatser", raw_figures(parts, period), threshold),
            months=months,
        )

    def participant_export(self, caller: Caller, period: Period, definition_id: str) -> list[ExportRow]:
        """Participants active in the period: gender, age band at start, start and end, outcome.
        Sorted by the data itself, so the order says nothing about who was registered when."""
        require_statistics_reader(caller)
        parts, _ = self._load(period, definition_id)
        rows = [
            ExportRow(
                kon=p.gender,
                aldersgrupp=age_band(p.birth_year, p.started_on),
                startdatum=p.started_on,
                slutdatum=p.ended_on,
                utfall=p.ending,
            )
            for p in parts
            if p.active_in(period)
        ]
        return sorted(rows, key=lambda r: (r.startdatum, r.slutdatum or date.max, r.kon, r.aldersgrupp, r.utfall or ""))


# --- output: CSV, JSON, PNG -----------------------------------------------------------------

_GENDER_HEAD = {"total": "totalt", "kvinna": "kvinnor", "man": "män", "annat": "annat", "okänt": "okänt"}


def csv_columns() -> list[str]:
    cols = ["insats", "namn"]
    for group in ("startade", "aktiva", "avslutade"):
        cols += [f"{group}_{_GENDER_HEAD[g]}" for g in ("total", *GENDERS)]
    cols += [f"avslutade_{e}" for e in ENDINGS]
    cols += ["tid_median_dagar", "tid_p90_dagar"]
    return cols


def _cell(value: Cell | float, threshold: int, excel: bool) -> str:
    if value is None:
        return f"<{threshold}"
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if excel else text
    return str(value)


def _median_cell(value: float | None, excel: bool) -> str:
    if value is None:
        return ""
    text = f"{value:g}"
    return text.replace(".", ",") if excel else text


def report_csv(report: FinsamReport, excel: bool = False) -> bytes:
    """UTF-8 CSV; `excel=True`: semicolons, decimal comma and a BOM, as Swedish Excel opens it."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n")
    w.writerow(csv_columns())
    for f in [*report.insatser, report.total]:
        row: list[str] = [f.definition_id, f.name]
        for group in (f.started, f.active, f.ended):
            row += [_cell(group[g], report.threshold, excel) for g in ("total", *GENDERS)]
        row += [_cell(f.ended_by_outcome[e], report.threshold, excel) for e in ENDINGS]
        row += [_median_cell(f.days_median, excel), _median_cell(f.days_p90, excel)]
        w.writerow(row)
    return buf.getvalue().encode("utf-8-sig" if excel else "utf-8")


def export_csv(rows: Sequence[ExportRow], excel: bool = False) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n")
    w.writerow(["kon", "aldersgrupp", "startdatum", "slutdatum", "utfall"])
    for r in rows:
        w.writerow(
            [
                r.kon,
                r.aldersgrupp,
                r.startdatum.isoformat(),
                r.slutdatum.isoformat() if r.slutdatum else "",
                r.utfall or "",
            ]
        )
    return buf.getvalue().encode("utf-8-sig" if excel else "utf-8")


def report_json(report: FinsamReport) -> bytes:
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2).encode("utf-8")


def report_chart(report: FinsamReport) -> bytes:
    """Starts and ends per month (all insatser) as PNG; suppressed months are drawn as `<5`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    labels = [m.month for m in report.months]
    fig = Figure(figsize=(max(6.0, 0.7 * len(labels) + 2), 4), dpi=100)
    ax = fig.subplots()
    xs = list(range(len(labels)))
    width = 0.4
    for offset, attr, title, color in ((-width / 2, "started", "Startade", "#2a6f97"),
                                       (width / 2, "ended", "Avslutade", "#e07a5f")):  # fmt: skip
        values = [getattr(m, attr) for m in report.months]
        heights = [v if v is not None else 0 for v in values]
        bars = ax.bar([x + offset for x in xs], heights, width, label=title, color=color)
        for bar, v in zip(bars, values, strict=True):
            if v is None:
                ax.annotate(f"<{report.threshold}", (bar.get_x() + bar.get_width() / 2, 0), ha="center",
                            va="bottom", fontsize=8)  # fmt: skip
    ax.set_xticks(xs, labels, rotation=45, ha="right")
    ax.set_ylabel("Deltagare")
    ax.set_title(f"Startade och avslutade deltagare per månad, {report.period}")
    ax.legend()
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def write_report_files(
    report: FinsamReport,
    out_dir: Path,
    *,
    excel: bool = False,
    exports: dict[str, list[ExportRow]] | None = None,
) -> list[Path]:
    """uppfoljning-<period>.json/.csv/.png, and deltagare-<insats>-<period>.csv per export."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "uppfoljning-" + re.sub(r"[^0-9A-Za-z_-]+", "_", report.period)
    files = {
        out_dir / f"{stem}.json": report_json(report),
        out_dir / f"{stem}.csv": report_csv(report, excel=excel),
        out_dir / f"{stem}.png": report_chart(report),
    }
    for did, rows in (exports or {}).items():
        name = re.sub(r"[^0-9A-Za-z_-]+", "_", f"deltagare-{did}-{report.period}")
        files[out_dir / f"{name}.csv"] = export_csv(rows, excel=excel)
    for path, content in files.items():
        path.write_bytes(content)
    return list(files)


def period_of(text: str | None, today: date) -> Period:
    return parse_period(text) if text else previous_month(today)
