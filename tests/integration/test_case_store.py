"""The one writer (`SqlAlchemyCaseStore.append`) on SQLite and PostgreSQL: a lost race is 412 and
writes nothing, every change bumps the version, protection reaches every case of the person."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from engine.adapters.store.models import AccessLogRow, EventRow, PersonRow
from engine.bootstrap import Services
from engine.core import commands as c
from engine.core.decide import decide
from engine.core.events import Decision
from engine.service.changes import changed
from engine.service.errors import ServiceError
from engine.service.ports import ReferenceTaken, StoredCase, VersionConflict
from tests.fakes import FakeClock
from tests.integration.conftest import make_services
from tests.integration.service_kit import (
    PNR_BO,
    SAMORDNARE,
    assert_store_matches_state,
    load_state,
    named_referral,
    rows,
)
from tests.integration.store_kit import PG_HOST, PG_PORT, PG_USER


def _decided(svc: Services, case_id: str, cmd: c.Command) -> tuple[StoredCase, Decision]:
    with svc.case_store.unit() as unit:
        row = unit.load(case_id)
        assert row is not None
        d = svc.definitions.cache.get(unit, row.definition_id, row.definition_version)
    decision = decide(d, row.state, dataclasses.replace(cmd, actor=SAMORDNARE.user_id), svc.clock())
    assert isinstance(decision, Decision)
    return row, decision


def test_a_change_decided_on_a_stale_case_is_a_conflict_and_writes_nothing(services: Services) -> None:
    case = services.cases.refer(SAMORDNARE, named_referral())
    row, decision = _decided(services, case.id, c.RecordContact(channel="telefon"))
    services.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="besök"), None)  # the rival
    events = [(e.id, e.seq, e.type) for e in rows(services, EventRow, case.id)]
    with services.case_store.unit() as unit, pytest.raises(VersionConflict):
        unit.append([changed(row, decision, services.clock(), SAMORDNARE.user_id)])
    assert [(e.id, e.seq, e.type) for e in rows(services, EventRow, case.id)] == events
    assert load_state(services, case.id)[0].version == case.version + 1
    assert_store_matches_state(services, case.id)


def test_a_reference_another_case_took_meanwhile_is_reference_taken(services: Services) -> None:
    """The service checks a party's reference before append; a rival that took it between that
    check and the write hits the unique index (party, reference): the store says `ReferenceTaken`
    (not a 500), writes nothing, and the service answers 409 `reference_taken`."""
    party = SAMORDNARE.party
    assert party is not None
    a = services.cases.refer(SAMORDNARE, named_referral())
    b = services.cases.refer(SAMORDNARE, named_referral(PNR_BO, "Bo Berg"))
    cmd = c.SetExternalReference(party=party, reference="DNR 2026/17")
    row, decision = _decided(services, b.id, cmd)
    services.cases.execute(SAMORDNARE, a.id, cmd, None)  # the rival takes it first
    with services.case_store.unit() as unit, pytest.raises(ReferenceTaken) as taken:
        unit.append([changed(row, decision, services.clock(), SAMORDNARE.user_id)])
    assert (taken.value.party, taken.value.reference) == (party, "DNR 2026/17")
    assert load_state(services, b.id)[0].version == b.version  # nothing written
    with pytest.raises(ServiceError) as refused:
        services.cases.execute(SAMORDNARE, b.id, cmd, None)  # the service's own check
    assert (refused.value.code, refused.value.status) == ("reference_taken", 409)
    assert refused.value.message == "Diarienumret används redan i ett annat ärende hos er part"
    services.cases.execute(SAMORDNARE, a.id, cmd, None)  # its own case keeps it: no change, no error
    services.cases.execute(SAMORDNARE, b.id, c.SetExternalReference(party=party, reference="DNR 2026/18"), None)
    assert_store_matches_state(services, b.id)


def test_a_change_that_does_not_bump_the_version_is_refused(services: Services) -> None:
    case = services.cases.refer(SAMORDNARE, named_referral())
    row, decision = _decided(services, case.id, c.RecordContact())
    change = changed(row, decision, services.clock(), SAMORDNARE.user_id)
    same = dataclasses.replace(change, after=dataclasses.replace(change.after, version=row.version))
    with services.case_store.unit() as unit, pytest.raises(ValueError, match="bump its version"):
        unit.append([same])


def test_changes_of_one_case_in_sequence_go_in_one_append(services: Services) -> None:
    case = services.cases.refer(SAMORDNARE, named_referral())
    row, first = _decided(services, case.id, c.CompleteTask("bekrafta_remiss"))
    one = changed(row, first, services.clock(), SAMORDNARE.user_id)
    with services.case_store.unit() as unit:
        d = services.definitions.cache.get(unit, row.definition_id, row.definition_version)
        second = decide(d, one.after.state, c.StartPhase("samtycke", actor=SAMORDNARE.user_id), services.clock())
        assert isinstance(second, Decision)
        unit.append([one, changed(one.after, second, services.clock(), SAMORDNARE.user_id)])
        unit.commit()
    stored, state = load_state(services, case.id)
    assert (stored.version, state.phase) == (case.version + 2, "samtycke")
    assert_store_matches_state(services, case.id)


def test_protecting_an_identity_bumps_every_case_of_the_person(services: Services, clock: FakeClock) -> None:
    first = services.cases.refer(SAMORDNARE, named_referral())
    second = services.cases.refer(SAMORDNARE, named_referral())  # the same person, another case
    out = services.cases.set_protected_identity(SAMORDNARE, first.id, expected_version=first.version)
    assert (out.person, out.protected_identity, out.version) == (None, True, first.version + 1)
    assert rows(services, EventRow, first.id)[-1].type == "ProtectedIdentitySet"
    other, _ = load_state(services, second.id)
    assert (other.person_id, other.protected, other.version) == (None, True, second.version + 1)
    with services.uow() as uow:
        assert uow.session.query(PersonRow).count() == 0
    with pytest.raises(ServiceError) as caught:  # a command decided on the old version loses
        services.cases.execute(SAMORDNARE, second.id, c.RecordContact(), second.version)
    assert caught.value.code == "version_conflict"


# --- races between two service stacks (PostgreSQL: SQLite has one writer at a time) -------------


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


@pytest.mark.postgres
@pytest.mark.parametrize("key", [None, "retry-1"])
def test_a_lost_race_is_412_and_writes_nothing(pg_db_url: str, clock: FakeClock, key: str | None) -> None:
    racing = _RacingClock(clock)
    svc, rival = make_services(pg_db_url, racing), make_services(pg_db_url, clock)
    try:
        case = svc.cases.refer(SAMORDNARE, named_referral())
        version = case.version
        events_before = len(rows(svc, EventRow, case.id))
        log_before = len(rows(svc, AccessLogRow, case.id))
        racing.at = 1
        racing.compete = lambda: rival.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="besök"), None)
        with pytest.raises(ServiceError) as caught:
            svc.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="telefon"), version, idempotency_key=key)
        assert caught.value.code == "version_conflict"
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


@pytest.mark.postgres
def test_identity_protected_between_read_and_write_is_412(pg_db_url: str, clock: FakeClock) -> None:
    """Protecting a person's identity bumps every case of the person: a command decided on
    another of their cases meanwhile loses its guard and writes nothing (no name in any answer)."""
    racing = _RacingClock(clock)
    svc, rival = make_services(pg_db_url, racing), make_services(pg_db_url, clock)
    try:
        first = svc.cases.refer(SAMORDNARE, named_referral())
        second = svc.cases.refer(SAMORDNARE, named_referral())
        for case in (first, second):
            svc.cases.execute(SAMORDNARE, case.id, c.RecordConsent(("kommun",), given_on=clock().date()), None)
        before = svc.cases.get_case(SAMORDNARE, second.id)
        assert before.person is not None
        racing.at = 1
        racing.compete = lambda: rival.cases.set_protected_identity(SAMORDNARE, first.id)
        with pytest.raises(ServiceError) as caught:
            svc.cases.execute(SAMORDNARE, second.id, c.RecordContact(channel="telefon"), before.version)
        assert caught.value.code == "version_conflict"
        after = svc.cases.get_case(SAMORDNARE, second.id)
        assert (after.person, after.protected_identity, after.version) == (None, True, before.version + 1)
    finally:
        svc.close()
        rival.close()


@pytest.fixture
def services_pg(pg_db_url: str, clock: FakeClock) -> Iterator[Services]:
    svc = make_services(pg_db_url, clock)
    try:
        yield svc
    finally:
        svc.close()


@pytest.mark.postgres
def test_connections_the_server_closed_are_replaced_without_an_error(services_pg: Services) -> None:
    svc = services_pg
    case = svc.cases.refer(SAMORDNARE, named_referral())
    version = svc.cases.execute(SAMORDNARE, case.id, c.RecordContact(), case.version).version
    database = svc.engine.url.database
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True) as admin:
        admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        )
        for _ in range(500):  # the backends finish on their own time: wait until they are gone
            left = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)).fetchone()
            if left is not None and left[0] == 0:
                break
            time.sleep(0.01)
        else:
            pytest.fail("the terminated backends did not go away")
    out = svc.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="telefon"), version)
    assert out.version == version + 1
