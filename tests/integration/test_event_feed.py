"""The event feed: only what the caller's party may see, in order, resumable by cursor."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from engine.bootstrap import Services
from engine.core import commands as c
from engine.core.decide import decide
from engine.core.events import Decision
from engine.service.changes import changed
from engine.service.errors import ServiceError
from engine.service.views import EventOut
from tests.fakes import FakeClock
from tests.integration.conftest import make_services
from tests.integration.service_kit import AF, AF_HANDLAGGARE, FK, SAMORDNARE, named_referral, run, with_consent


def test_feed_returns_visible_events_in_order_and_resumes(services: Services) -> None:
    covered = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, covered.id, ("fk", "kommun"))
    hidden = services.cases.refer(AF_HANDLAGGARE, named_referral(pnr="198112189876", name="Bo Berg"))
    run(services, SAMORDNARE, hidden.id, c.RecordContact())

    first, cursor = services.feed.after(FK, 0, limit=3)
    rest, end = services.feed.after(FK, cursor, limit=1000)
    events = first + rest
    assert len(first) == 3
    assert {e.case_id for e in events} == {covered.id}
    ids = [e.id for e in events]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    again, end2 = services.feed.after(FK, end, limit=10)
    assert again == []
    assert end2 == end


def test_feed_without_consent_carries_only_the_partys_own_task_events(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, case.id, ("kommun",))
    run(services, SAMORDNARE, case.id, c.CompleteTask("inhamta_samtycke"))
    events, _ = services.feed.after(AF, 0, limit=100)
    assert events == []  # AF has no task yet and the consent does not cover it
    kommun, _ = services.feed.after(SAMORDNARE, 0, limit=100)
    assert any(e.type == "ConsentRecorded" for e in kommun)


def test_feed_refuses_a_cursor_beyond_the_newest_committed_event(services: Services) -> None:
    services.cases.refer(AF_HANDLAGGARE, named_referral())
    _, end = services.feed.after(SAMORDNARE, 0, limit=1000)
    assert end > 0
    assert services.feed.after(SAMORDNARE, end, limit=10) == ([], end)
    for beyond in (end + 1, 999_999):
        with pytest.raises(ServiceError) as refused:
            services.feed.after(SAMORDNARE, beyond, limit=10)
        assert (refused.value.code, refused.value.status) == ("cursor_invalid", 400)
    case = services.cases.refer(AF_HANDLAGGARE, named_referral(pnr="198112189876", name="Bo Berg"))
    with_consent(services, case.id, ("kommun",))
    later, _ = services.feed.after(SAMORDNARE, end, limit=1000)
    assert {e.case_id for e in later} == {case.id}, "the events after the last good cursor are all there"
    assert [e.seq for e in later] == list(range(1, len(later) + 1))


@pytest.mark.postgres
def test_feed_waits_for_a_writer_that_holds_a_lower_event_id(pg_db_url: str, clock: FakeClock) -> None:
    """On PostgreSQL a transaction can take event ids and commit after a later one: the feed must not
    hand out a cursor beyond it, or the reader would never see its events."""
    svc = make_services(pg_db_url, clock)
    try:
        case = svc.cases.refer(AF_HANDLAGGARE, named_referral())
        with_consent(svc, case.id, ("kommun",))
        _, start = svc.feed.after(SAMORDNARE, 0, limit=1000)
        appended, release = threading.Event(), threading.Event()

        def slow_writer() -> None:
            with svc.case_store.unit() as unit:  # events appended (ids taken), not yet committed
                row = unit.load_for_command(case.id)
                assert row is not None
                d = svc.definitions.cache.get(unit, row.definition_id, row.definition_version)
                cmd = c.RecordContact(channel="långsam", actor=SAMORDNARE.user_id)
                decision = decide(d, row.state, cmd, svc.clock())
                assert isinstance(decision, Decision)
                unit.append([changed(row, decision, svc.clock(), SAMORDNARE.user_id)])
                appended.set()
                release.wait(timeout=30)
                unit.commit()

        def read() -> tuple[list[EventOut], int]:
            return svc.feed.after(SAMORDNARE, start, limit=1000)

        with ThreadPoolExecutor(max_workers=2) as pool:
            writer = pool.submit(slow_writer)
            assert appended.wait(timeout=30)
            reader = pool.submit(read)
            assert _waiting_for_advisory_lock(pg_db_url), "the feed should wait for the unfinished writer"
            assert not reader.done()
            release.set()
            writer.result(timeout=30)
            events, _ = reader.result(timeout=30)
        assert [e.data.get("channel") for e in events if e.type == "ContactRecorded"] == ["långsam"]
    finally:
        svc.close()


def _waiting_for_advisory_lock(url: str, attempts: int = 200) -> bool:
    """Poll pg_locks until some session waits for an advisory lock (the feed's exclusive request)."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(attempts):
            row = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()
            if row and row[0]:
                return True
            conn.execute("SELECT pg_sleep(0.02)")
    return False
