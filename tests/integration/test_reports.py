"""Uppföljning Finsam: figures against a hand-counted set of participants built through commands."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from engine.bootstrap import Services, build_batch
from engine.service.errors import ServiceError
from engine.service.report_files import report_csv, write_report_files
from engine.service.reports import parse_period, suppress_group
from tests.fakes import FakeClock
from tests.integration.conftest import make_services
from tests.integration.flows_kit import participant, refer
from tests.integration.service_kit import ADMIN, AF, PNR_ANNA, PNR_BO
from tests.integration.store_kit import create_pg_database, drop_pg_database, pg_url

T1 = parse_period("2026T1")  # 2026-01-01 .. 2026-04-30


def build_t1(svc: Services, clock: FakeClock) -> None:
    """Hand-counted for 2026T1 (see the table in each test)."""
    d = date
    participant(svc, clock, d(2025, 11, 10), gender="kvinna", end=d(2026, 2, 10), outcome="förvärvsarbete")  # A 92 d
    participant(svc, clock, d(2025, 12, 1), gender="man")  # B active
    participant(svc, clock, d(2026, 1, 15), gender="kvinna", end=d(2026, 3, 16), outcome="studier")  # C 60 d
    participant(
        svc, clock, d(2026, 1, 20), gender="man", birth_year=1960, end=d(2026, 4, 20), outcome="avbrott"
    )  # D 90
    participant(svc, clock, d(2026, 2, 2), pnr=PNR_ANNA, name="Anna Andersson")  # E kvinna (named)
    participant(svc, clock, d(2026, 2, 16), gender="annat")  # F
    participant(svc, clock, d(2026, 3, 2), gender="kvinna", end=d(2026, 4, 1), outcome="arbetssökande")  # G 30 d
    participant(svc, clock, d(2026, 4, 6), pnr=PNR_BO, name="Bo Berg")  # H man (named)
    participant(svc, clock, d(2026, 5, 4), gender="kvinna")  # I after the period
    participant(svc, clock, d(2025, 10, 1), gender="man", end=d(2025, 12, 15), outcome="studier")  # J before
    refer(svc, clock, d(2026, 2, 3), gender="kvinna", birth_year=1990)  # K referred, never admitted
    participant(svc, clock, d(2026, 3, 10), gender="kvinna", end=d(2026, 3, 31), outcome="felregistrering")  # L 21 d
    clock.set(clock().replace(year=2026, month=6, day=15))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def t1(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Built once per database kind for the module (the fixture is read-only in every test)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("reports") / "insats.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url, name = f"sqlite:///{path}", None
    else:
        name = create_pg_database(template=request.getfixturevalue("pg_template"))
        url = pg_url(name)
    clock = FakeClock()
    svc = make_services(url, clock)
    try:
        build_t1(svc, clock)
        yield svc
    finally:
        svc.close()
        if name is not None:
            drop_pg_database(name)


def test_figures_match_the_hand_count(t1: Services) -> None:
    raw = build_batch(t1).reports.raw(ADMIN, T1)["finsam-insats"]
    assert raw.started == {"total": 7, "kvinna": 4, "man": 2, "annat": 1, "okänt": 0}  # C D E F G H L
    assert raw.active == {"total": 9, "kvinna": 5, "man": 3, "annat": 1, "okänt": 0}  # + A B
    assert raw.ended == {"total": 5, "kvinna": 4, "man": 1, "annat": 0, "okänt": 0}  # A C D G L
    assert raw.ended_by == {
        "total": 5, "förvärvsarbete": 1, "studier": 1, "arbetssökande": 1, "övriga_avslutade": 0,
        "felregistrering": 1, "avbrott": 1,
    }  # fmt: skip
    assert raw.days == [21, 30, 60, 90, 92]


def test_unsuppressed_report_with_threshold_one(t1: Services) -> None:
    report = build_batch(t1).reports.finsam(ADMIN, T1, threshold=1)
    f = next(i for i in report.insatser if i.definition_id == "finsam-insats")
    assert f.started["kvinna"] == 4
    assert f.ended_by_outcome["avbrott"] == 1
    assert (f.days_median, f.days_p90) == (60.0, 92.0)
    months = {m.month: (m.started, m.ended) for m in report.months}
    assert months == {"2026-01": (2, 0), "2026-02": (2, 1), "2026-03": (2, 2), "2026-04": (1, 2)}


def test_small_counts_are_suppressed(t1: Services) -> None:
    report = build_batch(t1).reports.finsam(ADMIN, T1)  # threshold 5
    f = next(i for i in report.insatser if i.definition_id == "finsam-insats")
    assert f.started == {"total": 7, "kvinna": None, "man": None, "annat": None, "okänt": 0}
    assert f.active == {"total": 9, "kvinna": 5, "man": None, "annat": None, "okänt": 0}
    assert f.ended == {"total": 5, "kvinna": None, "man": None, "annat": 0, "okänt": 0}
    assert set(f.ended_by_outcome.values()) == {5, None, 0}
    assert (f.days_median, f.days_p90) == (60.0, 92.0)  # five ended: enough
    assert all(m.started is None for m in report.months)
    text = report_csv(report).decode()
    assert "<5" in text
    assert "Anna" not in text


def test_a_lone_suppressed_cell_takes_a_second_one_with_it() -> None:
    assert suppress_group({"total": 9, "kvinna": 6, "man": 3, "annat": 0}, 5) == {
        "total": 9, "kvinna": None, "man": None, "annat": 0,
    }  # fmt: skip
    assert suppress_group({"total": 3, "kvinna": 3, "man": 0}, 5) == {"total": None, "kvinna": None, "man": 0}
    assert suppress_group({"total": 12, "kvinna": 7, "man": 5}, 5) == {"total": 12, "kvinna": 7, "man": 5}


def test_period_forms() -> None:
    assert (T1.start, T1.end) == (date(2026, 1, 1), date(2026, 4, 30))
    assert (parse_period("2026-T3").start, parse_period("2026-T3").end) == (date(2026, 9, 1), date(2026, 12, 31))
    assert parse_period("2025").end == date(2025, 12, 31)
    assert parse_period("2024-02").end == date(2024, 2, 29)
    custom = parse_period("2026-01-10..2026-02-05")
    assert [f"{y}-{m}" for y, m in custom.months()] == ["2026-1", "2026-2"]
    with pytest.raises(ServiceError):
        parse_period("T1")


def test_reports_never_read_persons(t1: Services) -> None:
    seen: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.lower())

    event.listen(t1.engine, "before_cursor_execute", spy)
    try:
        batch = build_batch(t1)
        batch.reports.finsam(ADMIN, T1)
        batch.reports.participant_export(ADMIN, T1, "finsam-insats")
    finally:
        event.remove(t1.engine, "before_cursor_execute", spy)
    assert seen
    assert not any("persons" in s for s in seen)


def test_only_the_forbund_reads_reports(t1: Services) -> None:
    with pytest.raises(ServiceError) as exc:
        build_batch(t1).reports.finsam(AF, T1)
    assert exc.value.code == "forbidden"


def test_files_csv_excel_json_chart_and_participant_export(t1: Services, tmp_path: Path) -> None:
    batch = build_batch(t1)
    report = batch.reports.finsam(ADMIN, T1)
    rows = batch.reports.participant_export(ADMIN, T1, "finsam-insats")
    assert len(rows) == 9
    assert set(rows[0].model_dump()) == {"kon", "aldersgrupp", "startdatum", "slutdatum", "utfall"}
    d_row = next(r for r in rows if r.startdatum == date(2026, 1, 20))
    assert (d_row.kon, d_row.aldersgrupp, d_row.slutdatum, d_row.utfall) == ("man", "60+", date(2026, 4, 20), "avbrott")
    files = write_report_files(report, tmp_path, excel=True, exports={"finsam-insats": rows})
    names = sorted(p.name for p in files)
    assert names == sorted([
        "uppfoljning-2026-T1.json", "uppfoljning-2026-T1.csv", "uppfoljning-2026-T1.png",
        "deltagare-finsam-insats-2026-T1.csv",
    ])  # fmt: skip
    raw = (tmp_path / "uppfoljning-2026-T1.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, finsam = table[0], next(r for r in table if r[0] == "finsam-insats")
    assert finsam[header.index("startade_totalt")] == "7"
    assert finsam[header.index("startade_kvinnor")] == "<5"
    assert finsam[header.index("tid_median_dagar")] == "60"
    data = json.loads((tmp_path / "uppfoljning-2026-T1.json").read_text(encoding="utf-8"))
    assert data["threshold"] == 5
    assert data["insatser"][0]["started"]["kvinna"] is None
    assert (tmp_path / "uppfoljning-2026-T1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    export = (tmp_path / "deltagare-finsam-insats-2026-T1.csv").read_text(encoding="utf-8-sig")
    assert "Anna" not in export
    assert PNR_ANNA not in export
    assert export.count("\n") == 10
