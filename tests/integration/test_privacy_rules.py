"""Issue 13, privacy and authorization: each rule through the service, on SQLite and PostgreSQL.

Roles count only within their party; a task is acted on only by its party; consent is the host's
to record; a replay is a read of the case now; a referral never renames a person; a lost race
with If-Match `*` is decided again on the fresh state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from engine.bootstrap import Services
from engine.core import commands as c
from engine.service.access import Caller
from engine.service.errors import ServiceError
from engine.service.list_filters import TaskQuery
from tests.fakes import FakeClock
from tests.integration.conftest import make_services
from tests.integration.service_kit import (
    AF,
    AF_HANDLAGGARE,
    FK,
    KOMMUN_HANDLAGGARE,
    PNR_ANNA,
    REGION,
    SAMORDNARE,
    named_referral,
    on_team,
    run,
    with_consent,
)

KOMMUN_SYSTEM = Caller("kommun-system", "party_system", "kommun")
FORGED_REGION = Caller("mallory@region", "handlaggare", "region", ("samordnare", "teamledare", "samverkansteam"))
"""A token of party region that claims kommun's roles."""


def code_of(call: Any) -> str:
    with pytest.raises(ServiceError) as err:
        call()
    return err.value.code


# --- roles count only within the caller's party ------------------------------------------------


def test_roles_of_another_party_give_a_forged_token_nothing(services: Services) -> None:
    case = services.cases.refer(SAMORDNARE, named_referral())
    assert code_of(lambda: services.cases.get_case(FORGED_REGION, case.id)) == "not_found"
    for cmd in (c.AcceptTask("bekrafta_remiss"), c.CompleteTask("bekrafta_remiss"),
                c.DeclineTask("bekrafta_remiss", reason="nej"), c.CommentTask("bekrafta_remiss", "hej")):  # fmt: skip
        assert code_of(lambda cmd=cmd: run(services, FORGED_REGION, case.id, cmd)) == "not_found"
    assert services.cases.tasks(FORGED_REGION, TaskQuery(status="all")).total == 0
    assert run(services, SAMORDNARE, case.id, c.AcceptTask("bekrafta_remiss")).version == 2


# --- consent: recorded by the host, withdrawn by a party only for itself -------------------------


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [
        (SAMORDNARE, True),
        (KOMMUN_SYSTEM, True),
        (KOMMUN_HANDLAGGARE, False),
        (AF, False),
        (AF_HANDLAGGARE, False),
        (REGION, False),
        (FORGED_REGION, False),
    ],  # fmt: skip
    ids=lambda v: v.user_id if isinstance(v, Caller) else str(v),
)
def test_only_the_host_party_records_or_replaces_the_consent(services: Services, caller: Caller, allowed: bool) -> None:
    case = services.cases.refer(SAMORDNARE, named_referral())
    with_consent(services, case.id, ("af", "fk", "kommun", "region"))
    on_team(services, case.id, KOMMUN_HANDLAGGARE, AF_HANDLAGGARE, FORGED_REGION)  # so the answer is about consent
    today = services.clock().date()
    replace = c.RecordConsent(("af", "region"), given_on=today)
    if not allowed:
        assert code_of(lambda: run(services, caller, case.id, replace)) == "forbidden"
        consent = services.cases.get_case(SAMORDNARE, case.id).consent
        assert consent is not None
        assert set(consent.parties) == {"af", "fk", "kommun", "region"}
        return
    run(services, caller, case.id, replace)
    events = services.cases.timeline(AF, case.id, limit=100).items
    withdrawn = [e for e in events if e.type == "ConsentWithdrawn"]
    assert [sorted(e.data["parties"]) for e in withdrawn] == [["fk", "kommun"]]
    assert code_of(lambda: services.cases.get_case(FK, case.id)) == "not_found"
    host = services.cases.get_case(SAMORDNARE, case.id)
    assert (host.access, host.person) == ("case", None)
    assert services.cases.get_case(REGION, case.id).person is not None


def test_a_covered_party_withdraws_consent_only_for_itself(services: Services) -> None:
    case = services.cases.refer(SAMORDNARE, named_referral())
    with_consent(services, case.id, ("af", "fk", "kommun", "region"))
    on_team(services, case.id, KOMMUN_HANDLAGGARE, FORGED_REGION)
    assert code_of(lambda: run(services, AF, case.id, c.WithdrawConsent(("fk",)))) == "forbidden"
    assert code_of(lambda: run(services, AF, case.id, c.WithdrawConsent(("af", "fk")))) == "forbidden"
    assert code_of(lambda: run(services, AF, case.id, c.WithdrawConsent())) == "forbidden"
    assert code_of(lambda: run(services, FORGED_REGION, case.id, c.WithdrawConsent(("af",)))) == "forbidden"
    assert code_of(lambda: run(services, KOMMUN_HANDLAGGARE, case.id, c.WithdrawConsent(("fk",)))) == "forbidden"
    run(services, AF, case.id, c.WithdrawConsent(("af",), reason="Deltagarens begäran"))
    run(services, SAMORDNARE, case.id, c.WithdrawConsent(("region",)))
    consent = services.cases.get_case(SAMORDNARE, case.id).consent
    assert consent is not None
    assert set(consent.parties) == {"fk", "kommun"}


# --- a replay is a read of the case now ---------------------------------------------------------


def test_a_replay_after_withdrawal_shows_only_what_the_caller_may_see_now(services: Services) -> None:
    case = services.cases.refer(SAMORDNARE, named_referral())
    with_consent(services, case.id, ("af", "kommun"))
    first = services.cases.execute(AF, case.id, c.RecordContact(channel="telefon"), None, idempotency_key="k1")
    assert first.access == "full"
    assert first.person is not None
    run(services, SAMORDNARE, case.id, c.WithdrawConsent(("af",), reason="Deltagarens begäran"))
    with pytest.raises(ServiceError) as err:
        services.cases.execute(AF, case.id, c.RecordContact(channel="telefon"), None, idempotency_key="k1")
    assert err.value.code == "not_found"  # AF neither referred the case nor owns a task in it

    host = services.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="möte"), None, idempotency_key="k2")
    assert host.access == "full"
    run(services, SAMORDNARE, case.id, c.WithdrawConsent())
    again = services.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="möte"), None, idempotency_key="k2")
    assert (again.access, again.person) == ("case", None)
    assert again.version > host.version  # the case as it is now, not the stored answer


# --- a referral never changes another case's person data ----------------------------------------


def test_a_new_referral_of_a_known_person_does_not_rename_them(services: Services) -> None:
    first = services.cases.refer(SAMORDNARE, named_referral(name="Anna Andersson"))
    with_consent(services, first.id, ("af", "kommun"))
    second = services.cases.refer(AF_HANDLAGGARE, named_referral(pnr=PNR_ANNA, name="Fel Namn"))
    out = services.cases.get_case(SAMORDNARE, first.id)
    assert out.person is not None
    assert (out.person.name, out.person.personnummer) == ("Anna Andersson", PNR_ANNA)
    assert second.id != first.id


# --- If-Match `*`: a lost race is decided again, never 412 --------------------------------------


@contextmanager
def racing(services: Services, case_id: str) -> Iterator[list[int]]:
    """The first append of a command loses to another command (the timer sweep) on the same case."""
    store = services.cases.store
    real = store.unit
    raced: list[int] = []
    started: list[bool] = []

    class Racing:
        def __init__(self, unit: Any) -> None:
            self._unit = unit

        def __getattr__(self, name: str) -> Any:
            return getattr(self._unit, name)

        def append(self, changes: Any) -> None:
            if not started:
                started.append(True)
                raced.append(run(services, SAMORDNARE, case_id, c.RecordContact(channel="timer")).version)
            self._unit.append(changes)

    @contextmanager
    def unit() -> Iterator[Any]:
        with real() as u:
            yield Racing(u)

    store.unit = unit  # type: ignore[method-assign]
    try:
        yield raced
    finally:
        store.unit = real  # type: ignore[method-assign]


@pytest.fixture
def pg_services(pg_db_url: str, clock: FakeClock) -> Iterator[Services]:
    """PostgreSQL only: SQLite serialises writers (BEGIN IMMEDIATE), so a command cannot lose a race there."""
    svc = make_services(pg_db_url, clock)
    try:
        yield svc
    finally:
        svc.close()


@pytest.mark.postgres
def test_if_match_star_retries_a_lost_race_on_the_fresh_state(pg_services: Services) -> None:
    services = pg_services
    case = services.cases.refer(SAMORDNARE, named_referral())
    with racing(services, case.id) as raced:
        out = services.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="telefon"), None)
    assert raced == [2]
    assert out.version == 3


@pytest.mark.postgres
def test_a_given_version_that_lost_the_race_is_still_412(pg_services: Services) -> None:
    services = pg_services
    case = services.cases.refer(SAMORDNARE, named_referral())
    with racing(services, case.id), pytest.raises(ServiceError) as err:
        services.cases.execute(SAMORDNARE, case.id, c.RecordContact(channel="telefon"), case.version)
    assert err.value.code == "version_conflict"
