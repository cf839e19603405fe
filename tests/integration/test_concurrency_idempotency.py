"""Optimistic concurrency and idempotency: never a lost update, and a retried request acts once."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from engine.adapters.store.models import CaseRow, EventRow
from engine.bootstrap import Services
from engine.core import commands as c
from engine.service.access import Caller
from engine.service.errors import ServiceError
from engine.service.views import CaseOut
from tests.fakes import FakeClock
from tests.integration.conftest import make_services
from tests.integration.service_kit import (
    AF_HANDLAGGARE,
    SAMORDNARE,
    assert_store_matches_state,
    load_state,
    named_referral,
    rows,
    with_consent,
)


def test_stale_version_is_a_version_conflict_and_changes_nothing(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    services.cases.execute(SAMORDNARE, case.id, c.RecordContact(), expected_version=1)
    with pytest.raises(ServiceError) as err:
        services.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="sms"), expected_version=1)
    assert (err.value.code, err.value.status) == ("version_conflict", 412)
    assert err.value.details["current_version"] == 2
    row, _ = load_state(services, case.id)
    assert row.version == 2
    assert [r.type for r in rows(services, EventRow, case.id)].count("ContactRecorded") == 1


def _writers(svc: Services, case_id: str, n: int, make: Any, *, expect_conflicts: bool) -> list[tuple[int, CaseOut]]:
    """n threads, each retrying its command on version_conflict until it is accepted."""
    start = threading.Barrier(n)
    conflicts = [0]
    lock = threading.Lock()

    def write(i: int) -> tuple[int, CaseOut]:
        caller = Caller(f"samordnare{i}@kommun", "samordnare", "kommun", ("samordnare", "teamledare"))  # party-wide
        start.wait()
        for _attempt in range(1000):
            row_version = svc.cases.get_case(caller, case_id).version
            try:
                return i, svc.cases.execute(caller, case_id, make(i), expected_version=row_version)
            except ServiceError as exc:
                if exc.code != "version_conflict":
                    raise
                with lock:
                    conflicts[0] += 1
        raise AssertionError("never accepted")

    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(write, range(n)))
    if expect_conflicts:
        assert conflicts[0] > 0, "the writers should have collided at least once"
    return results


@pytest.mark.postgres
def test_fifty_concurrent_writers_on_one_case_lose_no_update(pg_db_url: str, clock: FakeClock) -> None:
    svc = make_services(pg_db_url, clock)
    try:
        case = svc.cases.refer(AF_HANDLAGGARE, named_referral())
        with_consent(svc, case.id)
        before, _ = load_state(svc, case.id)

        def command(i: int) -> c.Command:
            return c.RecordContact(channel=f"kanal-{i}") if i % 2 else c.CommentTask("inhamta_samtycke", text=f"nr {i}")

        results = _writers(svc, case.id, 50, command, expect_conflicts=True)

        versions = sorted(out.version for _, out in results)
        assert versions == list(range(before.version + 1, before.version + 51))
        row, state = load_state(svc, case.id)
        assert row.version == before.version + 50
        events = sorted(rows(svc, EventRow, case.id), key=lambda r: r.seq)
        assert [r.seq for r in events] == list(range(1, len(events) + 1))  # gapless per case
        new = [r for r in events if r.seq > before.last_event_seq]
        assert len(new) == 50
        assert {r.actor for r in new} == {f"samordnare{i}@kommun" for i in range(50)}
        contacts = {r.data["channel"] for r in new if r.type == "ContactRecorded"}
        comments = {r.data["text"] for r in new if r.type == "TaskCommented"}
        assert contacts == {f"kanal-{i}" for i in range(1, 50, 2)}
        assert comments == {f"nr {i}" for i in range(0, 50, 2)}
        assert_store_matches_state(svc, case.id)
    finally:
        svc.close()


def test_concurrent_writers_on_sqlite_lose_no_update(sqlite_template: Path, tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "insats.db"
    shutil.copyfile(sqlite_template, path)
    svc = make_services(f"sqlite:///{path}", clock)
    try:
        case = svc.cases.refer(AF_HANDLAGGARE, named_referral())
        with_consent(svc, case.id)
        before, _ = load_state(svc, case.id)
        _writers(svc, case.id, 8, lambda i: c.RecordContact(channel=f"k{i}"), expect_conflicts=False)
        row, _ = load_state(svc, case.id)
        assert row.version == before.version + 8
        assert_store_matches_state(svc, case.id)
    finally:
        svc.close()


def test_same_idempotency_key_twice_acts_once_and_returns_the_first_response(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, case.id)
    cmd = c.RecordContact(channel="telefon")
    first = services.cases.execute(SAMORDNARE, case.id, cmd, expected_version=None, idempotency_key="k-1")
    services.clock.advance(hours=1)  # type: ignore[attr-defined]
    second = services.cases.execute(SAMORDNARE, case.id, cmd, expected_version=None, idempotency_key="k-1")
    assert second == first
    assert [r.type for r in rows(services, EventRow, case.id)].count("ContactRecorded") == 1
    row, _ = load_state(services, case.id)
    assert row.version == first.version

    with pytest.raises(ServiceError) as err:
        services.cases.execute(
            SAMORDNARE, case.id, c.RecordContact(channel="sms"), expected_version=None, idempotency_key="k-1"
        )
    assert (err.value.code, err.value.status) == ("idempotency_conflict", 422)

    # keys belong to a caller: another caller may use the same key for its own request
    other = Caller("karl@kommun", "samordnare", "kommun", ("samordnare", "teamledare"))
    services.cases.execute(other, case.id, cmd, expected_version=None, idempotency_key="k-1")
    assert [r.type for r in rows(services, EventRow, case.id)].count("ContactRecorded") == 2


def test_referral_with_the_same_key_creates_one_case(services: Services) -> None:
    a = services.cases.refer(AF_HANDLAGGARE, named_referral(), idempotency_key="remiss-1")
    b = services.cases.refer(AF_HANDLAGGARE, named_referral(), idempotency_key="remiss-1")
    assert a == b
    with services.uow() as uow:
        from sqlalchemy import func, select

        assert uow.session.scalar(select(func.count()).select_from(CaseRow)) == 1


def test_a_rejected_command_is_not_stored_under_its_key(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with pytest.raises(ServiceError):
        services.cases.execute(SAMORDNARE, case.id, c.StartPhase("beslut"), expected_version=None, idempotency_key="x")
    services.cases.execute(SAMORDNARE, case.id, c.CompleteTask("bekrafta_remiss"), expected_version=None)
    out = services.cases.execute(
        SAMORDNARE, case.id, c.StartPhase("samtycke"), expected_version=None, idempotency_key="y"
    )
    assert out.phase == "samtycke"


def test_concurrent_requests_with_the_same_key_act_once(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, case.id)
    n = 12
    start = threading.Barrier(n)
    cmd = c.CommentTask("inhamta_samtycke", text="en gång")

    def send(_: int) -> CaseOut:
        start.wait()
        return services.cases.execute(SAMORDNARE, case.id, cmd, expected_version=None, idempotency_key="samma")

    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(send, range(n)))
    assert all(r == results[0] for r in results)
    assert [r.type for r in rows(services, EventRow, case.id)].count("TaskCommented") == 1
