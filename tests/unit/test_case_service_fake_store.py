"""CaseService through the `FakeCaseStore` port: load, authorize, decide, append — no database."""

from __future__ import annotations

import pytest

from engine.core import commands as c
from engine.service.access import Caller
from engine.service.cases import CaseService
from engine.service.definitions import DefinitionCache
from engine.service.errors import ServiceError
from engine.service.views import ReferralIn
from tests.fakes import FakeCaseStore, FakeClock, FakeDefinitionRows, FakeIds
from tests.unit.casekit import FINSAM_PATH, finsam

SAMORDNARE = Caller(
    "sara.samordnare@kommun", "samordnare", "kommun", ("samordnare", "teamledare", "samverkansteam", "handledare")
)
"""Also teamledare (party-wide in FINSAM): sees every case of kommun without joining its team."""
AF = Caller("anna.handlaggare@af", "handlaggare", "af")
REFERRAL = ReferralIn(personnummer="198505052384", name="Anna Andersson")


@pytest.fixture
def store() -> FakeCaseStore:
    store = FakeCaseStore()
    d = finsam()
    store.add_definition(FINSAM_PATH.read_text(encoding="utf-8"), d.id, d.version)
    return store


@pytest.fixture
def cases(store: FakeCaseStore) -> CaseService:
    return CaseService(store, FakeClock(), FakeIds("c"), DefinitionCache(FakeDefinitionRows(store)))


def test_a_referral_appends_the_case_its_person_and_its_events(store: FakeCaseStore, cases: CaseService) -> None:
    out = cases.refer(AF, REFERRAL)
    assert out.version == 1
    assert out.access == "tasks"  # AF referred, no consent yet: the reference and its own tasks
    tables = store.tables
    assert set(tables.cases) == {out.id}
    assert [p.personnummer for p in tables.persons.values()] == ["198505052384"]
    assert tables.cases[out.id].person_id in tables.persons
    assert [e.seq for e in tables.events] == list(range(1, len(tables.events) + 1))
    assert tables.events[0].type == "CaseReferred"
    assert {t.task_id for t in tables.tasks.values()} == set(tables.cases[out.id].state.tasks)


def test_a_command_bumps_the_version_appends_events_and_logs_the_read(
    store: FakeCaseStore, cases: CaseService
) -> None:
    case = cases.refer(AF, REFERRAL)
    before = len(store.tables.events)
    out = cases.execute(SAMORDNARE, case.id, c.CompleteTask("bekrafta_remiss"), expected_version=1)
    assert out.version == 2
    assert store.tables.cases[case.id].version == 2
    assert [e.type for e in store.tables.events[before:]][0] == "TaskCompleted"
    assert store.tables.tasks[(case.id, "bekrafta_remiss")].status == "completed"
    assert store.tables.access_log[-1].purpose == "CompleteTask"


def test_a_stale_version_is_412_with_the_current_version_and_writes_nothing(
    store: FakeCaseStore, cases: CaseService
) -> None:
    case = cases.refer(AF, REFERRAL)
    cases.execute(SAMORDNARE, case.id, c.RecordContact(), expected_version=1)
    events = len(store.tables.events)
    with pytest.raises(ServiceError) as caught:
        cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="sms"), expected_version=1)
    assert (caught.value.code, caught.value.status) == ("version_conflict", 412)
    assert caught.value.details["current_version"] == 2
    assert len(store.tables.events) == events


def test_a_412_never_tells_a_party_that_may_not_see_the_case_its_version(cases: CaseService) -> None:
    case = cases.refer(AF, REFERRAL)
    stranger = Caller("region-system", "party_system", "region")
    with pytest.raises(ServiceError) as caught:
        cases.execute(stranger, case.id, c.RecordContact(), expected_version=99)
    assert caught.value.code == "not_found"


def test_an_idempotent_replay_answers_the_first_response_and_acts_once(
    store: FakeCaseStore, cases: CaseService
) -> None:
    case = cases.refer(AF, REFERRAL)
    first = cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="telefon"), 1, idempotency_key="k-1")
    again = cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="telefon"), 1, idempotency_key="k-1")
    assert again == first
    assert [e.type for e in store.tables.events].count("ContactRecorded") == 1
    with pytest.raises(ServiceError) as caught:
        cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="sms"), 1, idempotency_key="k-1")
    assert caught.value.code == "idempotency_conflict"


def test_protecting_an_identity_unlinks_the_person_from_every_case(store: FakeCaseStore, cases: CaseService) -> None:
    first = cases.refer(AF, REFERRAL)
    second = cases.refer(AF, REFERRAL)
    out = cases.set_protected_identity(SAMORDNARE, first.id)
    assert out.protected_identity
    assert out.person is None
    assert store.tables.persons == {}
    assert all(c.person_id is None and c.protected for c in store.tables.cases.values())
    assert store.tables.cases[second.id].version == 2, "every change to a case row bumps its version"
    assert store.tables.events[-1].type == "ProtectedIdentitySet"
