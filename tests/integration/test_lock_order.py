"""One lock order everywhere (issue 13): a unit that writes takes the event-append advisory lock
(shared) before any case row lock, the timer sweep's batch exactly as a command. Shown on
PostgreSQL by holding that lock exclusively (as the feed's horizon does) and looking, from other
connections, at what the blocked batch and command hold."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from engine.adapters.store.db import EVENT_APPEND_LOCK
from engine.bootstrap import Services
from engine.core import commands as c
from engine.service.batch_fire import fire_batch
from engine.service.ports import CaseUnit
from engine.service.timers import DONE_CODES, claim_due_timers
from tests.fakes import FakeClock
from tests.integration.conftest import make_services
from tests.integration.service_kit import AF, SAMORDNARE, named_referral
from tests.integration.timer_kit import clone_cases, template_case

TZ = ZoneInfo("Europe/Stockholm")
pytestmark = pytest.mark.postgres


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def _append_lock_held_exclusively(url: str) -> Iterator[None]:
    with psycopg.connect(_dsn(url)) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (EVENT_APPEND_LOCK,))
        yield
        conn.rollback()


def _waits_for_the_append_lock(url: str) -> bool:
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        for _ in range(500):
            row = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted",
                (EVENT_APPEND_LOCK,),
            ).fetchone()
            if row and row[0]:
                return True
            conn.execute("SELECT pg_sleep(0.01)")  # the test polls; the code under test never sleeps
    return False


def _row_locked(url: str, case_ids: list[str]) -> bool:
    """Whether another transaction holds a lock on any of these case rows."""
    with psycopg.connect(_dsn(url)) as conn:
        try:
            conn.execute("SELECT id FROM cases WHERE id = ANY(%s) FOR UPDATE NOWAIT", (case_ids,))
        except psycopg.errors.LockNotAvailable:
            return True
        finally:
            conn.rollback()
    return False


def _in_unit(svc: Services, work: Callable[[CaseUnit], Any], done: threading.Event) -> Any:
    """`work` in one unit of work, kept open until `done` (so its locks can be looked at)."""
    with svc.case_store.unit() as unit:
        out = work(unit)
        done.wait(30)
        return out


@pytest.fixture
def due_cases(pg_db_url: str) -> Iterator[tuple[Services, list[str]]]:
    clock = FakeClock(datetime.combine(date(2026, 6, 15), time(10), TZ).astimezone(UTC))
    svc = make_services(pg_db_url, clock)
    try:
        template = template_case(svc)
        cases = [template, *clone_cases(svc, template, 4)]
        clock.set(datetime.combine(date(2026, 7, 15), time(10), TZ).astimezone(UTC))
        yield svc, cases
    finally:
        svc.close()


def _assert_append_lock_first(url: str, case_ids: list[str], pending: Future[Any]) -> None:
    """`pending` (started while the lock is held exclusively) waits for the event-append lock and
    holds no case row lock meanwhile."""
    assert _waits_for_the_append_lock(url), "the unit did not wait for the event-append lock"
    assert not pending.done()
    assert not _row_locked(url, case_ids), "a case row was locked before the event-append lock"


def test_the_timer_batch_takes_the_event_append_lock_before_its_case_row_locks(
    pg_db_url: str, due_cases: tuple[Services, list[str]]
) -> None:
    svc, cases = due_cases
    claimed = claim_due_timers(svc, svc.clock(), 100, owner="sweep-a")
    assert {c for c, _ in claimed} == set(cases)

    def fire(unit: CaseUnit) -> Any:
        return fire_batch(unit, claimed, svc.clock(), svc.definitions.cache, DONE_CODES, owner="sweep-a")

    done = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        try:
            with _append_lock_held_exclusively(pg_db_url):
                pending = pool.submit(_in_unit, svc, fire, done)
                _assert_append_lock_first(pg_db_url, cases, pending)
            for _ in range(500):  # it has the append lock now, and then takes its rows
                if _row_locked(pg_db_url, cases):
                    break
            assert _row_locked(pg_db_url, cases)
        finally:
            done.set()
        assert len(pending.result(30).fired) == len(claimed)


def test_a_command_takes_the_event_append_lock_before_its_case_row_lock(
    pg_db_url: str, due_cases: tuple[Services, list[str]]
) -> None:
    svc, _ = due_cases
    before = svc.cases.refer(AF, named_referral())
    with ThreadPoolExecutor(1) as pool:
        with _append_lock_held_exclusively(pg_db_url):
            pending = pool.submit(svc.cases.execute, SAMORDNARE, before.id, c.RecordContact(), None)
            _assert_append_lock_first(pg_db_url, [before.id], pending)
        assert pending.result(30).version == before.version + 1
