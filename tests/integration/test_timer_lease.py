"""The timer sweep's claim (issue 13): each batch's lease is read from the clock at its claim, the
claim has an owner, and a sweep whose lease ran out releases or deletes nothing another sweep has
claimed since. On PostgreSQL, with two sweepers."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from engine.adapters.store.models import EventRow, TimerRow
from engine.bootstrap import Services
from engine.service.timers import SweepStats, claim_due_timers, fire_claimed, sweep_due_timers
from tests.fakes import FakeClock
from tests.integration.conftest import make_services
from tests.integration.timer_kit import clone_cases, template_case

TZ = ZoneInfo("Europe/Stockholm")
TIMER_EVENTS = ("ReminderDue", "DeadlineMissed", "TaskEscalated")
LEASE = timedelta(minutes=3)
pytestmark = pytest.mark.postgres


def office(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), TZ).astimezone(UTC)


def _two_sweepers(pg_db_url: str, clock: FakeClock, copies: int) -> tuple[list[Services], list[str]]:
    setup = make_services(pg_db_url, clock)
    try:
        template = template_case(setup)
        cases = [template, *clone_cases(setup, template, copies)]
    finally:
        setup.close()
    clock.set(office(date(2026, 7, 15)))  # each case's three timers are due
    return [make_services(pg_db_url, clock) for _ in range(2)], cases


def _claims(svc: Services) -> dict[tuple[str, str], tuple[datetime | None, str | None]]:
    with svc.uow() as uow:
        rows = uow.session.execute(select(TimerRow.case_id, TimerRow.timer_id, TimerRow.claimed_until, TimerRow.owner))
        return {(r[0], r[1]): (r[2], r[3]) for r in rows if r[2] is not None}


def test_a_later_batch_is_leased_from_the_clock_at_its_claim_not_from_the_sweeps_start(pg_db_url: str) -> None:
    clock = FakeClock(office(date(2026, 6, 15)))
    (a, b), _ = _two_sweepers(pg_db_url, clock, 3)
    try:
        sweep_started = clock()
        clock.advance(minutes=10)  # the earlier batches took longer than the lease
        claimed = claim_due_timers(a, sweep_started, 2, LEASE, owner="sweep-a")
        assert len(claimed) == 2
        claims = _claims(a)
        assert {claims[k] for k in claimed} == {(clock() + LEASE, "sweep-a")}
        # so another sweeper starting now sees them as taken
        assert not set(claim_due_timers(b, clock(), 100, LEASE, owner="sweep-b")) & set(claimed)
    finally:
        a.close()
        b.close()


def test_a_sweep_whose_lease_ran_out_neither_releases_nor_deletes_the_claim_another_sweep_took(
    pg_db_url: str,
) -> None:
    clock = FakeClock(office(date(2026, 6, 15)))
    (a, b), _ = _two_sweepers(pg_db_url, clock, 1)
    try:
        mine = claim_due_timers(a, clock(), 2, LEASE, owner="sweep-a")
        clock.advance(minutes=4)  # a's lease ran out; b takes the timers over
        theirs = claim_due_timers(b, clock(), 2, LEASE, owner="sweep-b")
        assert theirs == mine
        with a.case_store.unit() as unit:  # what a does after losing a race: release its claim
            unit.release_timers(mine, "sweep-a")
            unit.delete_timers(mine, "sweep-a")
            unit.commit()
        claims = _claims(a)
        assert {claims[k] for k in mine} == {(clock() + LEASE, "sweep-b")}
        stats = SweepStats()
        fire_claimed(b, theirs, "sweep-b", stats)
        assert stats.fired == 2
        assert stats.errors == []
    finally:
        a.close()
        b.close()


def test_two_sweepers_with_a_lease_shorter_than_a_batch_fire_each_timer_exactly_once(pg_db_url: str) -> None:
    """Every fired timer moves the shared clock a minute: a batch of 10 outlives its 3-minute lease,
    so the sweepers take over each other's claims; the case locks and owners keep it exactly once."""
    clock = FakeClock(office(date(2026, 6, 15)))
    workers, cases = _two_sweepers(pg_db_url, clock, 39)
    stats = [SweepStats() for _ in workers]
    failures: list[BaseException] = []

    def work(svc: Services, st: SweepStats) -> None:
        try:
            for _ in range(200):  # the scheduler's trigger: one sweep after another
                sweep_due_timers(svc, batch=10, lease=LEASE, stats=st,
                                 on_fired=lambda _c, _t: clock.advance(minutes=1))  # fmt: skip
                with svc.uow() as uow:
                    if not uow.session.scalar(select(func.count()).select_from(TimerRow)
                                              .where(TimerRow.due_at <= office(date(2026, 7, 15)))):  # fmt: skip
                        return
            raise AssertionError("timers left")
        except BaseException as exc:  # noqa: BLE001  (reported by the test thread)
            failures.append(exc)

    try:
        threads = [threading.Thread(target=work, args=(w, s)) for w, s in zip(workers, stats, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert failures == []
        assert all(s.claimed > 0 for s in stats)
        assert sum(s.fired for s in stats) == len(cases) * 3
        with workers[0].uow() as uow:
            per_case = Counter(uow.session.execute(
                select(EventRow.case_id, EventRow.type).where(EventRow.type.in_(TIMER_EVENTS))).all())  # fmt: skip
        assert len(per_case) == len(cases) * 3
        assert set(per_case.values()) == {1}
    finally:
        for w in workers:
            w.close()
