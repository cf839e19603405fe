"""Suppression of small counts: no hidden count of a report can be worked out from the published
cells and totals by subtraction along rows and columns (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.service.access import Caller
from engine.service.query_ports import ReportCase, ReportEvent
from engine.service.reports import ENDINGS, GENDERS, FinsamReport, ReportService, parse_period
from engine.service.suppression import recoverable, suppress
from tests.fakes import FakeClock, FakeReportSource

ADMIN = Caller(user_id="frida", kind="forbund_admin", party=None, roles=(), name="Frida")
PERIOD = parse_period("2026T1")
INSATSER = ("arbete", "halsa", "studier")


def published(report: FinsamReport) -> dict[tuple[str, str, str], int | None]:
    """The report's cells under the keys `table_cells` gives them."""
    out: dict[tuple[str, str, str], int | None] = {}
    for f in [*report.insatser, report.total]:
        for m in ("started", "active", "ended"):
            for g, v in getattr(f, m).items():
                out[(m, f.definition_id, g)] = v
        for e in ENDINGS:
            out[("ended_by", f.definition_id, e)] = f.ended_by_outcome[e]
        assert f.ended_by_outcome["total"] == f.ended["total"]  # one cell, the same in both tables
    for month in report.months:
        out[("month_started", "*", month.month)] = month.started
        out[("month_ended", "*", month.month)] = month.ended
    return out


participant = st.tuples(
    st.sampled_from(INSATSER),
    st.sampled_from(GENDERS),
    st.integers(min_value=-40, max_value=119),  # start: days from 2026-01-01
    st.none() | st.integers(min_value=0, max_value=100),  # days until the end
    st.sampled_from(ENDINGS),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(participant, max_size=60), st.integers(min_value=2, max_value=6), st.booleans())
def test_no_hidden_count_follows_from_the_published_cells_and_totals(
    people: list[tuple[str, str, int, int | None, str]], threshold: int, one_insats: bool
) -> None:
    source = FakeReportSource({d: d.title() for d in INSATSER})
    for n, (did, gender, start, length, ending) in enumerate(people):
        case_id = f"c{n}"
        source.cases[case_id] = ReportCase(definition_id=did, gender=gender, birth_year=1980)
        at = datetime(2026, 1, 1, 10, tzinfo=UTC) + timedelta(days=start)
        source.events.append(ReportEvent(case_id, "ParticipationDecided", at, {"decision": "admitted"}))
        if length is not None:
            data = {"avbrott": True} if ending == "avbrott" else {"outcome": ending}
            source.events.append(ReportEvent(case_id, "CaseClosed", at + timedelta(days=length), data))
    service = ReportService(source, FakeClock(datetime(2026, 6, 1, tzinfo=UTC)))
    chosen = INSATSER[0] if one_insats else None
    report = service.finsam(ADMIN, PERIOD, threshold, chosen)
    values, lines = service.raw_cells(ADMIN, PERIOD, chosen)
    cells = published(report)
    assert set(cells) == set(values)
    for key, value in values.items():
        if 0 < value < threshold:
            assert cells[key] is None, f"{key}={value} is below the threshold and shown"
        if cells[key] is not None:
            assert cells[key] == value  # what is shown is the true count
    assert recoverable(cells, lines) == set(), "a hidden count follows by subtraction"
    # every line's published cells stay consistent with its published total
    for line in lines:
        total, parts = cells[line[0]], [cells[k] for k in line[1:]]
        if total is not None and all(p is not None for p in parts):
            assert total == sum(p for p in parts if p is not None)


def test_a_lone_hidden_cell_in_a_column_takes_a_second_one_with_it() -> None:
    # two insatser, one with 3 women: the totals row would give it away without a second cell
    values = {"A": 3, "B": 9, "T": 12}
    assert suppress(values, [["T", "A", "B"]], 5) == {"A", "B"}
    assert recoverable({"A": None, "B": 9, "T": 12}, [["T", "A", "B"]]) == {"A"}
