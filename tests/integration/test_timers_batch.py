"""The batched timer firing leaves exactly what firing the same timers one unit of work per case
(`timers.fire_by_case`, the same `append`) leaves: events (in the same order), outbox rows, case
rows, tasks, timers and consents, on SQLite and PostgreSQL, with the same fake clock."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, select, text, update

from engine.adapters.store.models import CaseRow, ConsentRow, EventRow, OutboxRow, TaskRow, TimerRow
from engine.bootstrap import Services
from engine.core import commands as c
from engine.service.timers import LEASE, SweepStats, claim_due_timers, fire_by_case, fire_claimed, sweep_due_timers
from tests.fakes import FakeClock
from tests.integration.conftest import make_services
from tests.integration.service_kit import (
    AF_HANDLAGGARE,
    PNR_ANNA,
    PNR_BO,
    SAMORDNARE,
    SAMORDNINGSNUMMER,
    assert_store_matches_state,
    load_state,
    named_referral,
    run,
)
from tests.integration.store_kit import create_pg_database, drop_pg_database, pg_url
from tests.integration.timer_kit import clone_cases, template_case

TZ = ZoneInfo("Europe/Stockholm")
START = datetime.combine(date(2027, 3, 22), time(10), TZ).astimezone(UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_db_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two migrated, empty databases of the same kind: one for each path."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        paths = [tmp_path / "batched.db", tmp_path / "one_by_one.db"]
        for p in paths:
            shutil.copyfile(template, p)
        yield f"sqlite:///{paths[0]}", f"sqlite:///{paths[1]}"
        return
    pg_template: str = request.getfixturevalue("pg_template")
    names = [create_pg_database(template=pg_template) for _ in range(2)]
    try:
        yield pg_url(names[0]), pg_url(names[1])
    finally:
        for name in names:
            drop_pg_database(name)


def _complete_phase(svc: Services, case_id: str) -> None:
    _, state = load_state(svc, case_id)
    callers = {"kommun": SAMORDNARE}
    for task in state.open_tasks():
        if task.phase == state.phase and task.party in callers:
            run(svc, callers[task.party], case_id, c.CompleteTask(task.id))


def build(svc: Services, clock: FakeClock) -> list[str]:
    """Cases in different phases, with every kind of timer; a stray timer row and an early one."""
    late = svc.cases.refer(AF_HANDLAGGARE, named_referral(pnr=PNR_ANNA, sick_period_start=date(2027, 3, 1))).id
    clones = clone_cases(svc, template_case(svc), 12)
    moving = []
    for pnr in (PNR_BO, SAMORDNINGSNUMMER):
        case_id = svc.cases.refer(AF_HANDLAGGARE, named_referral(pnr=pnr, name="B")).id
        run(svc, SAMORDNARE, case_id, c.CompleteTask("bekrafta_remiss"))
        run(svc, SAMORDNARE, case_id, c.StartPhase("samtycke"))
        run(svc, SAMORDNARE, case_id, c.RecordConsent(("af", "fk", "kommun", "region"), given_on=date(2027, 3, 22)))
        _complete_phase(svc, case_id)
        run(svc, SAMORDNARE, case_id, c.StartPhase("beslut"))
        run(svc, SAMORDNARE, case_id, c.DecideParticipation("admitted"))
        _complete_phase(svc, case_id)
        run(svc, SAMORDNARE, case_id, c.StartPhase("inskrivning"))  # a meeting task
        moving.append(case_id)
    clock.advance(days=2)
    _complete_phase(svc, moving[1])
    run(svc, SAMORDNARE, moving[1], c.RecordFact("inskrivningssamtal_hallet", "2027-03-24"))
    run(svc, SAMORDNARE, moving[1], c.StartPhase("kartlaggning"))
    with svc.uow() as uow:
        s = uow.session
        # a timer row the state no longer knows (dropped as timer_not_active) ...
        s.execute(
            text(
                "INSERT INTO timers (case_id, timer_id, due_at, kind, ref) VALUES (:c, 'stray', :at, 'reminder', NULL)"
            ),
            {"c": late, "at": START},
        )
        # ... and a row that says due while the state says later (released as timer_not_due)
        first = s.scalars(select(TimerRow).where(TimerRow.case_id == moving[0]).order_by(TimerRow.due_at)).first()
        assert first is not None
        s.execute(
            text("UPDATE timers SET due_at = :at WHERE case_id = :c AND timer_id = :t"),
            {"at": START, "c": moving[0], "t": first.timer_id},
        )
        uow.commit()
    return [late, *clones, *moving]


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def dump(svc: Services) -> dict[str, Any]:
    """Every row the firing writes, with database ids replaced by their order (events) or dropped."""
    with svc.uow() as uow:
        s = uow.session
        events = s.execute(select(_table(EventRow)).order_by(EventRow.id)).mappings().all()
        key_of = {e["id"]: (e["case_id"], e["seq"]) for e in events}
        outbox = s.execute(select(_table(OutboxRow)).order_by(OutboxRow.id)).mappings().all()

        def plain(model: Any, order: Any) -> list[dict[str, Any]]:
            return [dict(r) for r in s.execute(select(_table(model)).order_by(*order)).mappings()]

        return {
            "events": [{k: v for k, v in e.items() if k != "id"} for e in events],
            "outbox": [
                {**{k: v for k, v in o.items() if k != "id"}, "event_id": key_of[o["event_id"]]} for o in outbox
            ],
            "cases": plain(CaseRow, [CaseRow.id]),
            "tasks": plain(TaskRow, [TaskRow.case_id, TaskRow.task_id]),
            "timers": plain(TimerRow, [TimerRow.case_id, TimerRow.timer_id]),
            "consents": [{k: v for k, v in r.items() if k != "id"} for r in plain(ConsentRow, [ConsentRow.id])],
        }


def _assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for table in a:
        assert len(a[table]) == len(b[table]), table
        for i, (x, y) in enumerate(zip(a[table], b[table], strict=True)):
            assert x == y, (table, i)


def test_batched_firing_leaves_what_one_by_one_firing_leaves(two_db_urls: tuple[str, str]) -> None:
    clocks = [FakeClock(START), FakeClock(START)]
    svcs = [make_services(url, clock) for url, clock in zip(two_db_urls, clocks, strict=True)]
    try:
        cases = [build(svc, clock) for svc, clock in zip(svcs, clocks, strict=True)]
        assert cases[0] == cases[1]
        assert _dump_equal(svcs)  # the same start
        fired = 0
        # Some steps fire several timers of one case in one sweep, some split a case over batches.
        for days, batch in ((1, 500), (4, 500), (9, 3), (15, 4), (40, 7), (75, 500), (200, 500), (400, 500)):
            stats = [SweepStats(), SweepStats()]
            for clock in clocks:
                clock.set(START + timedelta(days=days))
            if batch >= 500:  # the whole sweep, each path on its own
                for svc, st, batched in zip(svcs, stats, (True, False), strict=True):
                    sweep_due_timers(svc, batch=batch, stats=st, batched=batched)
            else:  # small batches: the same claims for both (ties in due_at may break differently)
                _sweep_in_step(svcs, clocks[0](), batch, stats)
            assert (stats[0].claimed, stats[0].fired, stats[0].dropped, stats[0].released) == (
                stats[1].claimed, stats[1].fired, stats[1].dropped, stats[1].released,
            ), days  # fmt: skip
            assert sorted(stats[0].errors) == sorted(stats[1].errors)
            fired += stats[0].fired
            _assert_same(dump(svcs[0]), dump(svcs[1]))
        assert fired > 60
        # (copies carry no events of their own; the first moving case has the early timer row)
        for case_id in (cases[0][0], cases[0][-1]):
            assert_store_matches_state(svcs[0], case_id)
    finally:
        for svc in svcs:
            svc.close()


def _sweep_in_step(svcs: list[Services], now: datetime, batch: int, stats: list[SweepStats]) -> None:
    while True:
        claimed = claim_due_timers(svcs[0], now, batch, owner="sweep-a")
        with svcs[1].uow() as uow:
            for case_id, timer_id in claimed:
                uow.session.execute(
                    update(TimerRow)
                    .where(TimerRow.case_id == case_id, TimerRow.timer_id == timer_id)
                    .values(claimed_until=now + LEASE, owner="sweep-a")
                )
            uow.commit()
        for st in stats:
            st.claimed += len(claimed)
        fire_claimed(svcs[0], claimed, "sweep-a", stats[0])
        fire_by_case(svcs[1], claimed, "sweep-a", stats[1])
        if len(claimed) < batch:
            return


def _dump_equal(svcs: list[Services]) -> bool:
    _assert_same(dump(svcs[0]), dump(svcs[1]))
    return True
