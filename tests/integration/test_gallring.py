"""Gallring on PostgreSQL: what is due goes, what is inside its retention stays, aggregates hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from engine.adapters.store.models import AccessLogRow, CaseRow, ConsentRow, EventRow, PersonRow
from engine.bootstrap import Services, build_batch
from engine.service.gallring import deadline_for
from engine.service.reports import parse_period
from tests.fakes import FakeClock
from tests.integration.conftest import make_services
from tests.integration.flows_kit import at, participant
from tests.integration.service_kit import ADMIN, PNR_ANNA, PNR_BO, SAMORDNARE, SAMORDNINGSNUMMER, SYSTEM

pytestmark = pytest.mark.postgres
TODAY = date(2026, 6, 15)


@pytest.fixture
def svc(pg_db_url: str) -> Iterator[tuple[Services, FakeClock, dict[str, str]]]:
    clock = FakeClock()
    services = make_services(pg_db_url, clock)
    try:
        ids = {
            # Anna: an old case (due) and an open one: her person row must stay.
            "anna_old": participant(
                services,
                clock,
                date(2018, 9, 3),
                pnr=PNR_ANNA,
                name="Anna Andersson",
                end=date(2019, 3, 1),
                outcome="studier",
            ),  # fmt: skip
            "anna_open": participant(services, clock, date(2026, 5, 4), pnr=PNR_ANNA, name="Anna Andersson"),
            # Bo: last entry 2021-05-10, five years ran out 2026-05-10: due (just outside).
            "bo": participant(
                services, clock, date(2020, 9, 1), pnr=PNR_BO, name="Bo Berg", end=date(2021, 5, 10), outcome="avbrott"
            ),  # fmt: skip
            # Cecilia: last entry 2021-07-01: five years run out 2026-07-01, inside the window.
            "cecilia": participant(
                services,
                clock,
                date(2021, 1, 11),
                pnr=SAMORDNINGSNUMMER,
                name="Cecilia Ceder",
                end=date(2021, 7, 1),
                outcome="övriga_avslutade",
            ),  # fmt: skip
            "anon_old": participant(
                services, clock, date(2017, 3, 6), gender="man", end=date(2018, 1, 15), outcome="förvärvsarbete"
            ),  # fmt: skip
        }
        # Reads (access log): two old enough to go by the log's own retention, two that stay.
        for when, case in ((date(2019, 2, 1), "anna_old"), (date(2021, 6, 1), "bo"),
                           (date(2021, 6, 20), "bo"), (date(2026, 6, 1), "anna_open")):  # fmt: skip
            clock.set(at(when))
            services.cases.get_case(SAMORDNARE, ids[case], purpose="test")
        clock.set(at(TODAY))
        yield services, clock, ids
    finally:
        services.close()


def dump(svc: Services, case_ids: list[str] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (or those of the given cases), for before/after comparisons."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with svc.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if table in ("alembic_version", "gallring_runs", "gallrade_cases"):
                continue
            cols = [c["name"] for c in inspect(conn).get_columns(table)]
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            if case_ids is not None:
                if table == "access_log":
                    continue  # its own retention, checked on its own
                key = "id" if table == "cases" else "case_id"
                if key not in cols:
                    continue
                rows = [r for r in rows if r[cols.index(key)] in case_ids]
            out[table] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def old_log_entries(svc: Services) -> int:
    """Access-log entries from before 2021-06-15 (Swedish time): older than the log's five years."""
    limit = datetime(2021, 6, 14, 22, 0, tzinfo=UTC)
    with svc.uow() as uow:
        return len(uow.session.scalars(select(AccessLogRow).where(AccessLogRow.at < limit)).all())


def figures(svc: Services) -> Any:
    report = build_batch(svc).reports.finsam(ADMIN, parse_period("2017-01-01..2026-12-31"), threshold=1)
    return report.model_dump(exclude={"generated_at"})


def test_dry_run_lists_what_would_go_and_changes_nothing(svc: tuple[Services, FakeClock, dict[str, str]]) -> None:
    services, _, ids = svc
    before = dump(services)
    report = build_batch(services).gallring.run(SYSTEM, dry_run=True)
    assert [c.case_id for c in report.cases] == [ids["anon_old"], ids["anna_old"], ids["bo"]]
    assert report.cutoff == date(2021, 6, 15)
    assert report.persons == 1
    assert report.access_log == old_log_entries(services) > 0
    anon = report.cases[0]
    assert anon.last_entry_on == date(2018, 1, 15)
    assert anon.deadline == deadline_for(date(2018, 1, 15), 5)
    assert anon.deadline == date(2024, 12, 31)
    assert anon.overdue
    assert not report.cases[2].overdue
    assert dump(services) == before
    assert build_batch(services).gallring.runs(ADMIN)[0]["dry_run"] is True


def test_gallring_removes_personal_data_outside_the_window_only(
    svc: tuple[Services, FakeClock, dict[str, str]],
) -> None:
    services, _, ids = svc
    keep = [ids["anna_open"], ids["cecilia"]]
    kept_before = dump(services, keep)
    aggregates_before = figures(services)
    old_log = old_log_entries(services)
    with services.uow() as uow:
        versions = {key: uow.session.get(CaseRow, ids[key]).version for key in ("anna_old", "bo", "anon_old")}  # type: ignore[union-attr]
    report = build_batch(services).gallring.run(SYSTEM, dry_run=False)
    assert {c.case_id for c in report.cases} == {ids["anon_old"], ids["anna_old"], ids["bo"]}
    assert (report.persons, report.access_log) == (1, old_log)
    assert old_log_entries(services) == 0

    assert dump(services, keep) == kept_before, "nothing inside the retention window is touched"
    assert figures(services) == aggregates_before, "aggregates identical before and after"
    with services.uow() as uow:
        s = uow.session
        persons = {p.personnummer for p in s.scalars(select(PersonRow))}
        assert persons == {PNR_ANNA, SAMORDNINGSNUMMER}
        for key in ("anna_old", "bo", "anon_old"):
            case = s.get(CaseRow, ids[key])
            assert case is not None
            assert case.person_id is None
            assert case.status == "closed"
            assert case.version == versions[key] + 1, "a scrubbed case is a changed case: a new version (ETag)"
            assert s.scalars(select(ConsentRow).where(ConsentRow.case_id == ids[key])).all() == []
            for ev in s.scalars(select(EventRow).where(EventRow.case_id == ids[key])):
                assert not {"note", "text", "value"} & set(ev.data), ev.type
            assert '"sjukperiod' not in case.state
            assert "Annan insats" not in case.state
        closed = s.scalars(select(EventRow).where(EventRow.case_id == ids["bo"], EventRow.type == "CaseClosed")).one()
        assert closed.data["avbrott"] is True
        assert closed.data["reason"] == "egen_begaran"
        log = sorted(r.at.date() for r in s.scalars(select(AccessLogRow).where(AccessLogRow.purpose == "test")))
        assert log == [date(2021, 6, 20), date(2026, 6, 1)], "the access log keeps its own five years"
    everything = str(dump(services))
    for secret in ("Bo Berg", PNR_BO, "Flyttar till Malmö", "Bokat med Anna"):
        if secret == "Bokat med Anna":
            continue  # Anna's open case keeps its notes
        assert secret not in everything, secret

    again = build_batch(services).gallring.run(SYSTEM, dry_run=False)
    assert again.cases == []
    assert again.persons == 0
    assert [r["dry_run"] for r in build_batch(services).gallring.runs(ADMIN)] == [False, False]
