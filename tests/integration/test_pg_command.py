"""The two-statement command path on PostgreSQL (engine/service/pg_command.py).

It must write exactly what the general path writes (every table, every column but generated ids),
answer exactly the same, lose a race the same way (412, nothing written), and the pool must replace
connections the server has closed without a pre-ping query.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import psycopg
import pytest
from sqlalchemy import select

from engine.adapters.store.models import (
    AccessLogRow,
    CaseRow,
    EventRow,
    IdempotencyRow,
    OutboxRow,
    TaskRow,
    TimerRow,
)
from engine.bootstrap import Services, build_services
from engine.core import commands as c
from engine.service.cases import CaseService
from engine.service.errors import ServiceError
from engine.service.pg_command import AsyncConnections, Recent, RecentCases
from engine.service.views import CaseOut
from engine.settings import Settings
from tests.fakes import FakeClock, FakeIds
from tests.integration.conftest import REPO, make_services
from tests.integration.service_kit import (
    AF,
    FK,
    REGION,
    SAMORDNARE,
    assert_store_matches_state,
    named_referral,
    rows,
)
from tests.integration.store_kit import PG_HOST, PG_PORT, PG_USER

pytestmark = pytest.mark.postgres


@pytest.fixture
def pair(pg_db_url: str, clock: FakeClock) -> Iterator[tuple[Services, Services]]:
    """Two service stacks on one database and one clock: the two-statement path, and the general one."""
    fast = make_services(pg_db_url, clock)
    general = build_services(
        Settings(database_url=pg_db_url, definitions_dir=REPO / "definitions"), clock, FakeIds("g")
    )
    general.cases._autocommit = None  # the general path for every command
    try:
        yield fast, general
    finally:
        fast.close()
        general.close()


STEPS: list[tuple[Any, c.Command | str]] = [
    (SAMORDNARE, c.CompleteTask("bekrafta_remiss")),
    (SAMORDNARE, c.StartPhase("samtycke")),
    (SAMORDNARE, c.RecordConsent(("af", "fk", "kommun", "region"), given_on=None)),  # type: ignore[arg-type]
    (SAMORDNARE, c.CompleteTask("inhamta_samtycke")),
    (SAMORDNARE, c.StartPhase("beslut")),
    ("days", 3),  # type: ignore[list-item]
    (SAMORDNARE, c.DecideParticipation("admitted")),
    (SAMORDNARE, c.CompleteTask("besluta_deltagande")),
    (SAMORDNARE, c.StartPhase("inskrivning")),
    (SAMORDNARE, c.CompleteTask("boka_inskrivningssamtal")),
    (AF, c.AcceptTask("delta_inskrivningssamtal")),
    (SAMORDNARE, c.RecordFact("inskrivningssamtal_hallet", "TODAY")),
    (SAMORDNARE, c.RecordContact(channel="telefon")),
    (SAMORDNARE, c.StartPhase("kartlaggning")),
    ("days", 20),  # type: ignore[list-item]
    (REGION, c.CompleteTask("medicinskt_underlag")),
    (AF, c.CompleteTask("arbetsmarknadsunderlag", note="Inskriven sedan 2025")),
    (FK, c.CommentTask("kartlaggningsplan", text="FK följer upp sjukpenningen")),
    (SAMORDNARE, c.CompleteTask("kartlaggningsplan")),
    (SAMORDNARE, c.CompleteTask("avstamningsmote")),
    (SAMORDNARE, c.RecordFact("avstamningsmote_hallet", "TODAY")),
    (SAMORDNARE, c.StartPhase("arbetstraning")),
    (SAMORDNARE, c.ExtendPhase(reason="Behöver mer tid")),
    (SAMORDNARE, c.StartPhase("avslut")),
    (SAMORDNARE, c.CompleteTask("avslutningsmote")),
    (SAMORDNARE, c.ExitCase("studier")),
]


def _table(svc: Services, model: Any, case_id: str, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    out = []
    for r in rows(svc, model, case_id):
        d = {k: v for k, v in vars(r).items() if not k.startswith("_") and k not in ("id", "case_id", *skip)}
        out.append(d)
    return sorted(out, key=repr)


def _normalised(value: Any, case_id: str, person_id: str | None) -> Any:
    text = repr(value).replace(case_id, "<case>")
    return text.replace(person_id, "<person>") if person_id else text


def test_two_statement_path_writes_and_answers_as_the_general_path(
    pair: tuple[Services, Services], clock: FakeClock
) -> None:
    fast, general = pair
    start = clock().date() - timedelta(days=30)
    a = fast.cases.refer(AF, named_referral(pnr="198505052384", sick_period_start=start))
    b = general.cases.refer(AF, named_referral(pnr="198505052384", sick_period_start=start))  # the same person
    ids = {a.id: None, b.id: None}
    with mock.patch.object(
        CaseService, "_execute_autocommit", autospec=True, side_effect=CaseService._execute_autocommit
    ) as hot:
        for who, step in STEPS:
            if who == "days":
                clock.advance(days=step)  # type: ignore[arg-type]
                continue
            assert isinstance(step, c.Command)
            if isinstance(step, c.RecordConsent):
                step = c.RecordConsent(step.parties, given_on=clock().date())
            if isinstance(step, c.RecordFact) and step.value == "TODAY":
                step = c.RecordFact(step.fact, clock().date().isoformat())
            outs: list[CaseOut] = [
                svc.cases.execute(who, cid, step, expected_version=None) for svc, cid in ((fast, a.id), (general, b.id))
            ]
            for out in outs:
                if out.person is not None:
                    ids[out.id] = out.person.id
            first, second = (_normalised(o.model_dump(exclude={"person"}), o.id, ids[o.id]) for o in outs)
            assert first == second, step
            assert (outs[0].person is None) == (outs[1].person is None)
    assert hot.call_count == len([s for s in STEPS if s[0] != "days"]), "every command tried the two-statement path"

    for model, skip in (
        (EventRow, ()),
        (TaskRow, ()),
        (TimerRow, ()),
        (OutboxRow, ("event_id",)),
        (AccessLogRow, ("person_id",)),
    ):
        left = _normalised(_table(fast, model, a.id, skip), a.id, ids[a.id])
        right = _normalised(_table(general, model, b.id, skip), b.id, ids[b.id])
        assert left == right, model.__tablename__
    with fast.uow() as uow:
        ca, cb = uow.session.get(CaseRow, a.id), uow.session.get(CaseRow, b.id)
        assert ca is not None
        assert cb is not None
        keys = ("state", "status", "phase", "version", "last_event_seq", "updated_at", "closed_at", "outcome")
        assert [_normalised(getattr(ca, k), a.id, ids[a.id]) for k in keys] == [
            _normalised(getattr(cb, k), b.id, ids[b.id]) for k in keys
        ]
        # every outbox row points at the event it announces
        for case_id in (a.id, b.id):
            seqs = {e.id: e.seq for e in uow.session.scalars(select(EventRow).where(EventRow.case_id == case_id))}
            for o in uow.session.scalars(select(OutboxRow).where(OutboxRow.case_id == case_id)):
                assert o.idempotency_key.split(":")[1] == str(seqs[o.event_id])


class _RacingClock(FakeClock):
    """Runs a competing command (through another service stack) when it is read the `at`-th time
    after being armed: the command path reads the clock once it has read the case, before it writes."""

    def __init__(self, base: FakeClock) -> None:
        super().__init__(base.now)
        self.compete: Any = None
        self.at = 1

    def __call__(self) -> Any:
        if self.compete is not None:
            self.at -= 1
            if self.at == 0:
                compete, self.compete = self.compete, None
                compete()
        return self.now


@pytest.mark.parametrize(
    ("key", "general_path", "clock_reads"),
    [(None, False, 1), ("retry-1", False, 1), (None, True, 1), ("retry-1", True, 2)],
    ids=["two-statement", "two-statement-with-key", "general", "general-with-key"],
)  # the general path with a key reads the clock for the idempotency row first
def test_a_lost_race_is_412_and_writes_nothing(
    pg_db_url: str, clock: FakeClock, key: str | None, general_path: bool, clock_reads: int
) -> None:
    racing = _RacingClock(clock)
    svc, rival = make_services(pg_db_url, racing), make_services(pg_db_url, clock)
    if general_path:
        svc.cases._autocommit = None
    try:
        case = svc.cases.refer(SAMORDNARE, named_referral())
        version = case.version
        events_before = len(rows(svc, EventRow, case.id))
        log_before = len(rows(svc, AccessLogRow, case.id))
        racing.at = clock_reads
        racing.compete = lambda: rival.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="besök"), None)
        with pytest.raises(ServiceError) as caught:
            svc.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="telefon"), version, idempotency_key=key)
        assert caught.value.code == "version_conflict"
        # after the lost race the general path takes over, reads the case again and names its version
        assert caught.value.details["current_version"] == (None if general_path else version + 1)
        events = sorted(rows(svc, EventRow, case.id), key=lambda e: e.seq)
        assert len(events) == events_before + 1  # the rival's contact only
        assert events[-1].data["channel"] == "besök"
        assert len(rows(svc, AccessLogRow, case.id)) == log_before + 1  # the rival's read only
        assert svc.cases.get_case(SAMORDNARE, case.id).version == version + 1
        if key is not None:  # a lost race stores nothing under the key: a retry runs afresh
            again = svc.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="telefon"), None, key)
            assert again.version == version + 2
    finally:
        svc.close()
        rival.close()


def test_connections_the_server_closed_are_replaced_without_an_error(services_pg: Services) -> None:
    svc = services_pg
    case = svc.cases.refer(SAMORDNARE, named_referral())
    version = svc.cases.execute(SAMORDNARE, case.id, c.RecordContact(), case.version).version
    database = svc.engine.url.database
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()
        assert killed is not None
        assert killed[0] >= 1
        for _ in range(500):  # the backends finish on their own time: wait until they are gone
            left = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)).fetchone()
            if left is not None and left[0] == 0:
                break
            time.sleep(0.01)
        else:
            pytest.fail("the terminated backends did not go away")
    out = svc.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="telefon"), version)
    assert out.version == version + 1
    assert svc.cases.get_case(SAMORDNARE, case.id).version == version + 1


@pytest.fixture
def services_pg(pg_db_url: str, clock: FakeClock) -> Iterator[Services]:
    svc = make_services(pg_db_url, clock)
    try:
        yield svc
    finally:
        svc.close()


# --- the same path on asyncio (what the API's event loop runs) -----------------------------------


def test_async_path_writes_the_same_rows_and_loses_a_race_the_same_way(pg_db_url: str, clock: FakeClock) -> None:
    racing = _RacingClock(clock)
    svc, rival = make_services(pg_db_url, racing), make_services(pg_db_url, clock)
    try:
        assert svc.cases.runs_async
        case = svc.cases.refer(SAMORDNARE, named_referral())
        out = asyncio.run(svc.cases.execute_async(SAMORDNARE, case.id, c.CompleteTask("bekrafta_remiss"), case.version))
        assert out is not None
        assert out.version == case.version + 1
        assert next(t for t in out.tasks if t.task_id == "bekrafta_remiss").status == "completed"
        assert_store_matches_state(svc, case.id)
        assert out == svc.cases.get_case(SAMORDNARE, case.id).model_copy(update={"person": out.person})
        # a command that records consent writes ORM rows: the general path's, not this one
        consent = c.RecordConsent(("kommun",), given_on=clock().date())
        assert asyncio.run(svc.cases.execute_async(SAMORDNARE, case.id, consent, out.version)) is None

        events_before = len(rows(svc, EventRow, case.id))
        racing.at = 1
        racing.compete = lambda: rival.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="besök"), None)
        lost = asyncio.run(svc.cases.execute_async(SAMORDNARE, case.id, c.RecordContact(), out.version))
        assert lost is None, "a lost race goes to the general path, which answers 412"
        assert len(rows(svc, EventRow, case.id)) == events_before + 1  # the rival's only
        assert_store_matches_state(svc, case.id)
    finally:
        svc.close()
        rival.close()


def test_async_connections_are_capped_reused_and_replaced_when_closed(pg_db_url: str) -> None:
    pool = _async_pool(pg_db_url, wait_seconds=0.01)

    async def scenario() -> tuple[int, int, int]:
        first = await pool.acquire()
        assert first is not None
        assert await pool.acquire() is None, "at the cap, past the wait, the caller falls back"
        pid = first.info.backend_pid
        pool.release(first)
        again = await pool.acquire()
        assert again is first, "an idle connection is reused"
        pool.release(again)
        _terminate_and_wait(pid)
        fresh = await pool.acquire()
        assert fresh is not None
        cur = fresh.cursor()
        await cur.execute("SELECT pg_backend_pid()")
        row = await cur.fetchone()
        pool.release(fresh)
        return pid, fresh.info.backend_pid, row[0] if row else 0

    try:
        old, new, seen = asyncio.run(scenario())
    finally:
        pool.close()
    assert new != old
    assert seen == new


def _terminate_and_wait(pid: int) -> None:
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(500):  # the backend finishes on its own time: wait until it is gone
            left = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
            if left is not None and left[0] == 0:
                return
            time.sleep(0.01)
    pytest.fail("the terminated backend did not go away")


@pytest.mark.parametrize("general_path", [False, True], ids=["two-statement", "general"])
def test_an_idempotency_key_acts_once_and_replays_the_first_answer(
    pg_db_url: str, clock: FakeClock, general_path: bool
) -> None:
    svc = make_services(pg_db_url, clock)
    if general_path:
        svc.cases._autocommit = None
    spy = mock.patch.object(
        CaseService, "_execute_autocommit", autospec=True, side_effect=CaseService._execute_autocommit
    )
    try:
        case = svc.cases.refer(SAMORDNARE, named_referral())
        cmd = c.RecordContact(channel="telefon")
        with spy as hot:
            first = svc.cases.execute(SAMORDNARE, case.id, cmd, case.version, idempotency_key="k-1")
            clock.advance(minutes=5)
            again = svc.cases.execute(SAMORDNARE, case.id, cmd, case.version, idempotency_key="k-1")
            with pytest.raises(ServiceError) as caught:
                svc.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="sms"), case.version, "k-1")
        assert caught.value.code == "idempotency_conflict"
        assert again == first
        assert [e.type for e in rows(svc, EventRow, case.id)].count("ContactRecorded") == 1
        assert_store_matches_state(svc, case.id)
        assert hot.call_count == (0 if general_path else 3)
        stored = rows_by_key(svc, SAMORDNARE.user_id, "k-1")
        assert stored is not None
        assert stored.response == first.model_dump(mode="json")
        assert stored.status_code == 200
    finally:
        svc.close()


def rows_by_key(svc: Services, caller: str, key: str) -> Any:
    with svc.uow() as uow:
        found = uow.session.get(IdempotencyRow, (caller, key))
        uow.session.expunge_all()
        return found


@pytest.mark.parametrize("on_the_loop", [False, True], ids=["threaded", "asyncio"])
def test_identity_protected_between_read_and_write_is_not_returned(
    pg_db_url: str, clock: FakeClock, on_the_loop: bool
) -> None:
    """Protecting a person's identity clears it on every case of the person but bumps the version
    of one only: the guard must see it on the others too, and the answer must carry no person."""
    racing = _RacingClock(clock)
    svc, rival = make_services(pg_db_url, racing), make_services(pg_db_url, clock)
    try:
        first = svc.cases.refer(SAMORDNARE, named_referral())
        second = svc.cases.refer(SAMORDNARE, named_referral())  # the same person, another case
        for case in (first, second):
            consent = c.RecordConsent(("kommun",), given_on=clock().date())
            svc.cases.execute(SAMORDNARE, case.id, consent, None)
        before = svc.cases.get_case(SAMORDNARE, second.id)
        assert before.person is not None
        racing.at = 1
        racing.compete = lambda: rival.cases.set_protected_identity(SAMORDNARE, first.id)
        cmd = c.RecordContact(channel="telefon")
        if on_the_loop:
            assert asyncio.run(svc.cases.execute_async(SAMORDNARE, second.id, cmd, before.version)) is None
            out = svc.cases.execute(SAMORDNARE, second.id, cmd, before.version)
        else:
            out = svc.cases.execute(SAMORDNARE, second.id, cmd, before.version)
        assert out.person is None
        assert out.protected_identity
        assert out.version == before.version + 1
        log = rows(svc, AccessLogRow, second.id)
        assert log[-1].person_id is None
    finally:
        svc.close()
        rival.close()


def test_a_busy_async_pool_hands_a_released_connection_to_the_oldest_waiter(pg_db_url: str) -> None:
    pool = _async_pool(pg_db_url, wait_seconds=5)

    async def scenario() -> list[str]:
        order: list[str] = []
        first = await pool.acquire()
        assert first is not None

        async def wait(name: str) -> None:
            conn = await pool.acquire()
            assert conn is first, "the one connection, handed over"
            order.append(name)
            pool.release(conn)

        waiting = [asyncio.create_task(wait("a")), asyncio.create_task(wait("b"))]
        await asyncio.sleep(0)  # both are queued now
        order.append("release")
        pool.release(first)
        await asyncio.gather(*waiting)
        short = _async_pool(pg_db_url, wait_seconds=0.05)
        held = await short.acquire()
        assert await short.acquire() is None, "past the wait the caller falls back to the threads"
        short.release(held)
        short.close()
        return order

    try:
        assert asyncio.run(scenario()) == ["release", "a", "b"]
    finally:
        pool.close()


def _async_pool(pg_db_url: str, wait_seconds: float) -> AsyncConnections:
    """One connection at most, on the test database (psycopg's own URL form)."""
    return AsyncConnections(pg_db_url.replace("postgresql+psycopg://", "postgresql://"), 1, wait_seconds)


# --- a case this process wrote last needs no read (pg_command.RecentCases) ---------------------


def _contact(svc: Services, case_id: str, version: int, on_the_loop: bool, caller: Any = SAMORDNARE) -> CaseOut:
    """A contact through the two-statement path (threaded or on asyncio); the general path when
    that path hands it over."""
    cmd = c.RecordContact(channel="telefon")
    if on_the_loop:
        out = asyncio.run(svc.cases.execute_async(caller, case_id, cmd, version))
        if out is not None:
            return out
    return svc.cases.execute(caller, case_id, cmd, version)


@pytest.mark.parametrize("on_the_loop", [False, True], ids=["threaded", "asyncio"])
def test_a_case_written_by_this_process_is_remembered_and_answers_as_if_read(
    pair: tuple[Services, Services], on_the_loop: bool
) -> None:
    fast, general = pair
    a = fast.cases.refer(SAMORDNARE, named_referral())
    b = general.cases.refer(SAMORDNARE, named_referral())
    va, vb = a.version, b.version
    for _ in range(3):
        out_a = _contact(fast, a.id, va, on_the_loop)
        out_b = general.cases.execute(SAMORDNARE, b.id, c.RecordContact(channel="telefon"), vb)
        assert fast.cases._recent.get(a.id, out_a.version) is not None  # the next one skips the read
        assert _normalised(out_a.model_dump(), a.id, out_a.person.id if out_a.person else None) == _normalised(
            out_b.model_dump(), b.id, out_b.person.id if out_b.person else None
        )
        va, vb = out_a.version, out_b.version
    for model in (EventRow, TaskRow, TimerRow, OutboxRow):
        assert len(rows(fast, model, a.id)) == len(rows(general, model, b.id)), model.__name__
    assert len(rows(fast, AccessLogRow, a.id)) == len(rows(general, AccessLogRow, b.id))
    assert fast.cases._recent.get(a.id, va - 1) is None, "only the version written last is remembered"


@pytest.mark.parametrize("on_the_loop", [False, True], ids=["threaded", "asyncio"])
def test_a_remembered_case_another_process_changed_gets_412_and_nothing_written(
    pg_db_url: str, clock: FakeClock, on_the_loop: bool
) -> None:
    svc, rival = make_services(pg_db_url, clock), make_services(pg_db_url, clock)
    try:
        case = svc.cases.refer(SAMORDNARE, named_referral())
        mine = _contact(svc, case.id, case.version, on_the_loop)
        assert svc.cases._recent.get(case.id, mine.version) is not None
        theirs = rival.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="besök"), mine.version)
        events = len(rows(svc, EventRow, case.id))
        with pytest.raises(ServiceError) as caught:  # svc remembers `mine.version`; the row moved on
            _contact(svc, case.id, mine.version, on_the_loop)
        assert caught.value.code == "version_conflict"
        assert len(rows(svc, EventRow, case.id)) == events
        assert svc.cases._recent.get(case.id, mine.version) is None, "a failed guard forgets the case"
        again = _contact(svc, case.id, theirs.version, on_the_loop)  # read afresh
        assert again.version == theirs.version + 1
    finally:
        svc.close()
        rival.close()


@pytest.mark.parametrize("on_the_loop", [False, True], ids=["threaded", "asyncio"])
def test_a_remembered_case_whose_identity_was_protected_elsewhere_carries_no_person(
    pg_db_url: str, clock: FakeClock, on_the_loop: bool
) -> None:
    """Protecting identity through the person's other case bumps that case's version only: the
    remembered copy of this one still has the name, and the identity guard must catch it."""
    svc, rival = make_services(pg_db_url, clock), make_services(pg_db_url, clock)
    try:
        first = svc.cases.refer(SAMORDNARE, named_referral())
        second = svc.cases.refer(SAMORDNARE, named_referral())  # the same person, another case
        for case in (first, second):
            svc.cases.execute(SAMORDNARE, case.id, c.RecordConsent(("kommun",), given_on=clock().date()), None)
        current = svc.cases.get_case(SAMORDNARE, second.id)
        remembered = _contact(svc, second.id, current.version, on_the_loop)
        assert remembered.person is not None
        assert svc.cases._recent.get(second.id, remembered.version) is not None
        rival.cases.set_protected_identity(SAMORDNARE, first.id)
        out = _contact(svc, second.id, remembered.version, on_the_loop)
        assert out.person is None
        assert out.protected_identity
        assert out.version == remembered.version + 1
        assert rows(svc, AccessLogRow, second.id)[-1].person_id is None
        assert "Anna" not in out.model_dump_json()
    finally:
        svc.close()
        rival.close()


@pytest.mark.parametrize("on_the_loop", [False, True], ids=["threaded", "asyncio"])
def test_consent_withdrawn_elsewhere_takes_effect_on_a_remembered_case(
    pg_db_url: str, clock: FakeClock, on_the_loop: bool
) -> None:
    svc, rival = make_services(pg_db_url, clock), make_services(pg_db_url, clock)
    try:
        case = svc.cases.refer(SAMORDNARE, named_referral())
        svc.cases.execute(SAMORDNARE, case.id, c.RecordConsent(("fk", "kommun"), given_on=clock().date()), None)
        seen = svc.cases.get_case(FK, case.id)
        assert seen.person is not None
        remembered = _contact(svc, case.id, seen.version, on_the_loop, caller=FK)
        assert remembered.person is not None
        assert svc.cases._recent.get(case.id, remembered.version) is not None
        rival.cases.execute(SAMORDNARE, case.id, c.WithdrawConsent(("fk",)), remembered.version)
        log = len(rows(svc, AccessLogRow, case.id))
        events = len(rows(svc, EventRow, case.id))
        with pytest.raises(ServiceError) as caught:  # with the If-Match FK last saw
            _contact(svc, case.id, remembered.version, on_the_loop, caller=FK)
        with pytest.raises(ServiceError) as fresh:  # what a process that never saw the case answers
            rival.cases.execute(FK, case.id, c.RecordContact(channel="telefon"), remembered.version)
        assert (caught.value.code, caught.value.status) == (fresh.value.code, fresh.value.status)
        assert "Anna" not in str(caught.value.details)
        assert "Anna" not in str(caught.value)
        assert len(rows(svc, EventRow, case.id)) == events
        assert len(rows(svc, AccessLogRow, case.id)) == log, "no personal data was read for FK"
    finally:
        svc.close()
        rival.close()


def test_recent_cases_are_bounded_oldest_first_and_keyed_by_version() -> None:
    recent = RecentCases(size=2)
    versions = (("a", 1), ("b", 2), ("c", 3))
    entry = {name: Recent(row=mock.Mock(version=v), state=None, person=None) for name, v in versions}
    recent.put("a", entry["a"])
    recent.put("b", entry["b"])
    recent.put("a", entry["a"])  # used again: now the newest
    recent.put("c", entry["c"])
    assert recent.get("b", 2) is None, "the oldest went first"
    assert recent.get("a", 1) is entry["a"]
    assert recent.get("c", 3) is entry["c"]
    assert recent.get("c", 4) is None
    assert recent.get("c", None) is None
    recent.drop("c")
    assert recent.get("c", 3) is None
    assert len(recent) == 1


# --- group commit on the event loop (pg_command.GroupWriter) ------------------------------------


def _remembered_cases(svc: Services, n: int) -> list[CaseOut]:
    """`n` cases, each with one contact written through the async path (so remembered: the next
    command on each is planned without a read, and all of them reach the writer together)."""
    out = []
    for _ in range(n):
        case = svc.cases.refer(SAMORDNARE, named_referral())
        written = asyncio.run(svc.cases.execute_async(SAMORDNARE, case.id, c.RecordContact(), case.version))
        assert written is not None
        out.append(written)
    return out


def test_commands_decided_together_go_in_one_statement_each_written_as_if_alone(
    services_pg: Services,
) -> None:
    svc = services_pg
    cases = _remembered_cases(svc, 8)

    async def together() -> tuple[list[CaseOut | None], int, int]:
        outs = await asyncio.gather(
            *(svc.cases.execute_async(SAMORDNARE, k.id, c.CompleteTask("bekrafta_remiss"), k.version) for k in cases)
        )
        writer = svc.cases._group_writer()
        return list(outs), writer.statements, writer.commands

    outs, statements, commands = asyncio.run(together())
    assert (statements, commands) == (1, 8), "eight commands decided together: one statement"
    for case, out in zip(cases, outs, strict=True):
        assert out is not None
        assert out.version == case.version + 1
        assert next(t for t in out.tasks if t.task_id == "bekrafta_remiss").status == "completed"
        assert out == svc.cases.get_case(SAMORDNARE, case.id).model_copy(update={"person": out.person})
        assert_store_matches_state(svc, case.id)
        events = rows(svc, EventRow, case.id)
        assert [e.seq for e in sorted(events, key=lambda e: e.id)] == sorted(e.seq for e in events), (
            "each case's events take ids in their own order"
        )
        assert len(rows(svc, AccessLogRow, case.id)) == len(rows(svc, AccessLogRow, cases[0].id))


def test_two_commands_on_one_case_never_share_a_statement_and_the_second_gets_412(services_pg: Services) -> None:
    svc = services_pg
    (case,) = _remembered_cases(svc, 1)
    events = len(rows(svc, EventRow, case.id))

    async def both() -> tuple[list[CaseOut | None], int]:
        cmds = (c.RecordContact(channel="telefon"), c.RecordContact(channel="besök"))
        outs = await asyncio.gather(*(svc.cases.execute_async(SAMORDNARE, case.id, cmd, case.version) for cmd in cmds))
        return list(outs), svc.cases._group_writer().statements

    (first, second), statements = asyncio.run(both())
    assert statements == 2
    assert first is not None
    assert first.version == case.version + 1
    assert second is None, "its guard failed: nothing written, the general path answers"
    with pytest.raises(ServiceError) as caught:
        svc.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="besök"), case.version)
    assert caught.value.code == "version_conflict"
    assert len(rows(svc, EventRow, case.id)) == events + 1
    assert_store_matches_state(svc, case.id)


def test_a_statement_that_fails_as_a_whole_is_retried_command_by_command(services_pg: Services) -> None:
    """The same Idempotency-Key on two cases at once: the shared statement breaks on the key's
    unique index, so each command is written alone; the second key's command writes nothing."""
    svc = services_pg
    plain, keyed, clash = _remembered_cases(svc, 3)
    before = {k.id: len(rows(svc, EventRow, k.id)) for k in (plain, keyed, clash)}

    async def together() -> tuple[list[CaseOut | None], int]:
        outs = await asyncio.gather(
            svc.cases.execute_async(SAMORDNARE, plain.id, c.RecordContact(), plain.version),
            svc.cases.execute_async(SAMORDNARE, keyed.id, c.RecordContact(), keyed.version, "same-key"),
            svc.cases.execute_async(SAMORDNARE, clash.id, c.RecordContact(), clash.version, "same-key"),
        )
        return list(outs), svc.cases._group_writer().statements

    (a, b, lost), statements = asyncio.run(together())
    assert statements == 4, "one shared statement that failed, then one for each command"
    assert a is not None
    assert b is not None
    assert lost is None
    assert len(rows(svc, EventRow, plain.id)) == before[plain.id] + 1
    assert len(rows(svc, EventRow, keyed.id)) == before[keyed.id] + 1
    assert len(rows(svc, EventRow, clash.id)) == before[clash.id], "nothing of the clashing command"
    assert rows_by_key(svc, SAMORDNARE.user_id, "same-key").response["id"] == keyed.id
    with pytest.raises(ServiceError):  # the general path: the key stands for another request
        svc.cases.execute(SAMORDNARE, clash.id, c.RecordContact(), clash.version, "same-key")
    assert len(rows(svc, EventRow, clash.id)) == before[clash.id]


def test_no_connection_for_the_write_hands_the_command_to_the_threads(pg_db_url: str, clock: FakeClock) -> None:
    svc = make_services(pg_db_url, clock)
    try:
        (case,) = _remembered_cases(svc, 1)
        events = len(rows(svc, EventRow, case.id))
        assert svc.cases._async_connections is not None
        svc.cases._async_connections.close()  # in its place, a pool of one connection
        svc.cases._async_connections = pool = _async_pool(pg_db_url, wait_seconds=0.01)

        async def starved() -> CaseOut | None:
            held = await pool.acquire()  # the only connection
            try:
                return await svc.cases.execute_async(SAMORDNARE, case.id, c.RecordContact(), case.version)
            finally:
                pool.release(held)

        assert asyncio.run(starved()) is None
        assert len(rows(svc, EventRow, case.id)) == events
        out = svc.cases.execute(SAMORDNARE, case.id, c.RecordContact(), case.version)
        assert out.version == case.version + 1
    finally:
        svc.close()


def test_a_refusal_comes_from_the_case_as_it_is_not_as_remembered(services_pg: Services, clock: FakeClock) -> None:
    """A stale If-Match that matches the remembered version: the remembered state would refuse the
    command (the task is done there); the case as it is says 412, and that is the answer."""
    svc = services_pg
    rival = make_services(str(svc.engine.url.render_as_string(hide_password=False)), clock)
    try:
        case = svc.cases.refer(SAMORDNARE, named_referral())
        task = c.CompleteTask("bekrafta_remiss")
        done = asyncio.run(svc.cases.execute_async(SAMORDNARE, case.id, task, case.version))
        assert done is not None
        assert svc.cases._recent.get(case.id, done.version) is not None
        rival.cases.execute(SAMORDNARE, case.id, c.RecordContact(), done.version)
        with pytest.raises(ServiceError) as caught:
            svc.cases.execute(SAMORDNARE, case.id, c.CompleteTask("bekrafta_remiss"), done.version)
        assert caught.value.code == "version_conflict"
        assert caught.value.details["current_version"] == done.version + 1
    finally:
        rival.close()


@pytest.mark.parametrize("on_the_loop", [False, True], ids=["threaded", "asyncio"])
def test_a_person_renamed_elsewhere_is_answered_with_the_new_name(
    pg_db_url: str, clock: FakeClock, on_the_loop: bool
) -> None:
    """A new referral of the same personnummer with another name renames the person without
    touching this case's version: the guard compares the person as answered."""
    svc = make_services(pg_db_url, clock)
    rival = build_services(Settings(database_url=pg_db_url, definitions_dir=REPO / "definitions"), clock, FakeIds("r"))
    try:
        case = svc.cases.refer(SAMORDNARE, named_referral())
        consent = c.RecordConsent(("kommun",), given_on=clock().date())
        consented = svc.cases.execute(SAMORDNARE, case.id, consent, case.version)
        remembered = _contact(svc, case.id, consented.version, on_the_loop)
        assert remembered.person is not None
        assert remembered.person.name == "Anna Andersson"
        rival.cases.refer(SAMORDNARE, named_referral(name="Anna Berg"))
        out = _contact(svc, case.id, remembered.version, on_the_loop)
        assert out.person is not None
        assert out.person.name == "Anna Berg"
        assert out.version == remembered.version + 1
    finally:
        svc.close()
        rival.close()


def test_a_case_locked_elsewhere_does_not_hold_up_the_commands_written_with_it(services_pg: Services) -> None:
    """Another transaction holds one case's row: the shared statement skips it (that command goes to
    the general path, which waits its turn) and writes the others at once."""
    svc = services_pg
    busy, free = _remembered_cases(svc, 2)
    url = svc.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as holder:
        holder.execute("SELECT id FROM cases WHERE id = %s FOR UPDATE", (busy.id,))

        async def together() -> tuple[list[CaseOut | None], int]:
            outs = await asyncio.gather(
                svc.cases.execute_async(SAMORDNARE, busy.id, c.RecordContact(), busy.version),
                svc.cases.execute_async(SAMORDNARE, free.id, c.RecordContact(), free.version),
            )
            return list(outs), svc.cases._group_writer().statements

        (skipped, written), statements = asyncio.run(together())
        holder.rollback()
    assert statements == 1
    assert skipped is None, "its row was locked: nothing written, the general path takes it"
    assert written is not None
    assert written.version == free.version + 1
    assert svc.cases.get_case(SAMORDNARE, busy.id).version == busy.version
    out = svc.cases.execute(SAMORDNARE, busy.id, c.RecordContact(), busy.version)
    assert out.version == busy.version + 1


def test_a_command_that_breaks_a_shared_statement_fails_alone(services_pg: Services) -> None:
    """A value a column refuses (a phase name too long for cases.phase) in one command of three: the
    shared statement fails, each is written alone, and only that one fails."""
    svc = services_pg
    cases = _remembered_cases(svc, 3)
    plans = [svc.cases._plan_recent(SAMORDNARE, k.id, c.RecordContact(), k.version, None) for k in cases]
    writes = [plan[1] for plan in plans if plan is not None]
    writes[1].rows["cases"][0]["phase"] = "x" * 200

    async def together() -> tuple[list[Any], int]:
        writer = svc.cases._group_writer()
        outs = await asyncio.gather(*(writer.write(w) for w in writes), return_exceptions=True)
        return list(outs), writer.statements

    (first, broken, third), statements = asyncio.run(together())
    assert statements == 4, "the shared statement, then each alone"
    assert (first, third) == ("written", "written")
    assert isinstance(broken, psycopg.errors.StringDataRightTruncation)
    assert svc.cases.get_case(SAMORDNARE, cases[0].id).version == cases[0].version + 1
    assert svc.cases.get_case(SAMORDNARE, cases[1].id).version == cases[1].version
    assert svc.cases.get_case(SAMORDNARE, cases[2].id).version == cases[2].version + 1
