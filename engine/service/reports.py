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
`null` in JSON and `<5` in CSV and .xlsx. The report is one table of cells tied by sums (rows with
their totals, insatser with the totals row, outcomes with the ended total, months with the period's
total: `table_cells`), and secondary suppression (engine/service/suppression.py) hides further cells
until no line has exactly one hidden cell, so no hidden count follows by subtraction from the
published cells and totals. Medians and p90 of fewer than `threshold` participants are not shown.
"""

from __future__ import annotations

import calendar
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from engine.core.decide import local_date
from engine.service.access import Caller
from engine.service.errors import ServiceError, forbidden
from engine.service.query_ports import ReportFacts, ReportSource
from engine.service.suppression import primary, suppress

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


def participations(facts: ReportFacts, until: date) -> list[Participation]:
    """Participants admitted on or before `until`, from cases and events (never persons)."""
    started: dict[str, date] = {}
    ended: dict[str, tuple[date, str]] = {}
    for e in facts.events:
        day = local_date(e.at)
        if e.type == "ParticipationDecided":
            if e.data.get("decision") == "admitted" and e.case_id not in started:
                started[e.case_id] = day
        elif e.case_id in started and e.case_id not in ended:
            ending = "avbrott" if e.data.get("avbrott") else str(e.data.get("outcome") or "övriga_avslutade")
            ended[e.case_id] = (day, ending)
    out = []
    for case_id, start in started.items():
        case = facts.cases.get(case_id)
        if start > until or case is None:
            continue
        end = ended.get(case_id)
        if end is not None and end[0] > until:
            end = None  # seen from the end of the period, still active
        out.append(
            Participation(
                definition_id=case.definition_id,
                gender=case.gender if case.gender in GENDERS else "okänt",
                birth_year=case.birth_year,
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
    if total is None or total not in counts:
        hidden = primary(counts, threshold)
    else:
        hidden = suppress(counts, [[total, *(k for k in counts if k != total)]], threshold)
    return {k: (None if k in hidden else v) for k, v in counts.items()}


MEASURES = ("started", "active", "ended")
_COLUMNS = ("total", *GENDERS)


def table_cells(
    per_insats: Mapping[str, RawFigures], months: Sequence[str], months_started: Mapping[str, int],
    months_ended: Mapping[str, int], everyone: RawFigures,
) -> tuple[dict[tuple[str, str, str], int], list[list[tuple[str, str, str]]]]:
    """The report's counts as one table of keyed cells, and its lines (each sum with its total
    first): per insats and measure across the genders, per measure and gender across the insatser
    (the totals row "*"), per insats across the endings (the total is the insats's ended total,
    the same cell), per ending across the insatser, and the months of the period (their total is
    the totals row's started or ended total)."""
    values: dict[tuple[str, str, str], int] = {}
    rows = {**per_insats, "*": everyone}
    for did, raw in rows.items():
        for m in MEASURES:
            for g in _COLUMNS:
                values[(m, did, g)] = getattr(raw, m)[g]
        for e in ENDINGS:
            values[("ended_by", did, e)] = raw.ended_by[e]
    for month in months:
        values[("month_started", "*", month)] = months_started[month]
        values[("month_ended", "*", month)] = months_ended[month]
    lines: list[list[tuple[str, str, str]]] = []
    for did in rows:
        for m in MEASURES:
            lines.append([(m, did, "total"), *((m, did, g) for g in GENDERS)])
        lines.append([("ended", did, "total"), *(("ended_by", did, e) for e in ENDINGS)])
    for m in MEASURES:
        for g in _COLUMNS:
            lines.append([(m, "*", g), *((m, did, g) for did in per_insats)])
    for e in ENDINGS:
        lines.append([("ended_by", "*", e), *(("ended_by", did, e) for did in per_insats)])
    lines.append([("started", "*", "total"), *(("month_started", "*", k) for k in months)])
    lines.append([("ended", "*", "total"), *(("month_ended", "*", k) for k in months)])
    return values, lines


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


def _figures(
    definition_id: str, name: str, raw: RawFigures, threshold: int, hidden: set[tuple[str, str, str]]
) -> InsatsFigures:
    enough = len(raw.days) >= threshold
    key = definition_id

    def shown(measure: str, counts: dict[str, int]) -> dict[str, Cell]:
        return {k: (None if (measure, key, k) in hidden else v) for k, v in counts.items()}

    by = shown("ended_by", {e: raw.ended_by[e] for e in ENDINGS})
    return InsatsFigures(
        definition_id=definition_id,
        name=name,
        started=shown("started", raw.started),
        active=shown("active", raw.active),
        ended=shown("ended", raw.ended),
        ended_by_outcome={"total": None if ("ended", key, "total") in hidden else raw.ended_by["total"], **by},
        days_median=float(statistics.median(raw.days)) if enough and raw.days else None,
        days_p90=percentile(raw.days, 0.9) if enough and raw.days else None,
    )


@dataclass
class _Table:
    per_insats: dict[str, RawFigures]
    everyone: RawFigures
    months_started: dict[str, int]
    months_ended: dict[str, int]
    names: dict[str, str]


def require_statistics_reader(caller: Caller) -> None:
    if caller.kind not in ("forbund_admin", "system"):
        raise forbidden("Endast förbundet (administratör) och systemet tar fram uppföljningsrapporter")


class ReportService:
    def __init__(self, source: ReportSource, clock: Callable[[], datetime]) -> None:
        self._source = source
        self._clock = clock

    def _load(self, period: Period, definition_id: str | None) -> tuple[list[Participation], dict[str, str]]:
        facts = self._source.facts(definition_id)
        return participations(facts, period.end), facts.names

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

    def _table(self, period: Period, definition_id: str | None) -> _Table:
        parts, names = self._load(period, definition_id)
        groups: dict[str, list[Participation]] = defaultdict(list)
        for p in parts:
            groups[p.definition_id].append(p)
        wanted = [definition_id] if definition_id else sorted(set(names) | set(groups))
        months_started: dict[str, int] = {}
        months_ended: dict[str, int] = {}
        for y, m in period.months():
            key = f"{y:04d}-{m:02d}"
            months_started[key] = sum(
                1 for p in parts if p.started_in(period) and (p.started_on.year, p.started_on.month) == (y, m)
            )
            months_ended[key] = sum(
                1 for p in parts if p.ended_in(period) and p.ended_on is not None
                and (p.ended_on.year, p.ended_on.month) == (y, m)
            )  # fmt: skip
        return _Table(
            per_insats={did: raw_figures(groups.get(did, []), period) for did in wanted},
            everyone=raw_figures(parts, period),
            months_started=months_started,
            months_ended=months_ended,
            names=names,
        )

    def raw_cells(
        self, caller: Caller, period: Period, definition_id: str | None = None
    ) -> tuple[dict[tuple[str, str, str], int], list[list[tuple[str, str, str]]]]:
        """The unsuppressed cells of `finsam` and the lines (sums) that tie them (for tests and
        checks that no hidden cell can be recovered; never written to a file)."""
        require_statistics_reader(caller)
        t = self._table(period, definition_id)
        return table_cells(t.per_insats, list(t.months_started), t.months_started, t.months_ended, t.everyone)

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
        t = self._table(period, definition_id)
        values, lines = table_cells(t.per_insats, list(t.months_started), t.months_started, t.months_ended, t.everyone)
        hidden = suppress(values, lines, threshold)
        insatser = [_figures(did, t.names.get(did, did), raw, threshold, hidden) for did, raw in t.per_insats.items()]
        months = [
            MonthFigures(
                month=k,
                started=None if ("month_started", "*", k) in hidden else t.months_started[k],
                ended=None if ("month_ended", "*", k) in hidden else t.months_ended[k],
            )
            for k in t.months_started
        ]
        return FinsamReport(
            period_start=period.start,
            period_end=period.end,
            period=period.label,
            threshold=threshold,
            generated_at=self._clock(),
            insatser=insatser,
            total=_figures("*", "Alla insatser", t.everyone, threshold, hidden),
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


def period_of(text: str | None, today: date) -> Period:
    return parse_period(text) if text else previous_month(today)
