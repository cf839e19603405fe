"""A FINSAM case walked through the service layer: what is stored is what the engine decided."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.adapters.store.models import ConsentRow, EventRow, OutboxRow, PersonRow, TimerRow
from engine.bootstrap import Services
from engine.core import commands as c
from engine.service.errors import ServiceError
from engine.service.views import CaseOut
from tests.fakes import FakeClock
from tests.integration.service_kit import (
    AF,
    AF_HANDLAGGARE,
    FK,
    REGION,
    SAMORDNARE,
    SYSTEM,
    assert_store_matches_state,
    expected_decision,
    load_state,
    named_referral,
    on_team,
    rows,
)


def step(svc: Services, caller: object, case_id: str, cmd: c.Command) -> CaseOut:
    """Execute through the service and check events, outbox, tasks and timers against `decide`."""
    from engine.service.access import Caller

    assert isinstance(caller, Caller)
    before, _ = load_state(svc, case_id)
    expected = expected_decision(svc, caller, case_id, cmd)
    out = svc.cases.execute(caller, case_id, cmd, expected_version=before.version)
    assert out.version == before.version + 1
    new_events = sorted((r for r in rows(svc, EventRow, case_id) if r.seq > before.last_event_seq), key=lambda r: r.seq)
    assert [(r.type, r.at) for r in new_events] == [(e.type, e.at) for e in expected.events]
    assert [r.data.get("task") for r in new_events] == [e.data.get("task") for e in expected.events]
    seq_by_event = {r.seq: r for r in new_events}
    outbox = {r.idempotency_key: r for r in rows(svc, OutboxRow, case_id)}
    for i, e in enumerate(expected.events):
        seq = before.last_event_seq + 1 + i
        for recipient in e.notify:
            row = outbox[f"{case_id}:{seq}:{recipient}"]
            assert (row.kind, row.recipient, row.status, row.event_id) == (
                e.type,
                recipient,
                "pending",
                seq_by_event[seq].id,
            )
    _, state = load_state(svc, case_id)
    assert state.to_dict() == expected.state.to_dict()
    assert_store_matches_state(svc, case_id)
    return out


def fire_due_timers(svc: Services, clock: FakeClock, case_id: str) -> list[str]:
    """What the worker does: fire every due timer of the case (as the system caller)."""
    fired = []
    while True:
        _, state = load_state(svc, case_id)
        due = sorted((t for t in state.timers.values() if t.at <= clock()), key=lambda t: (t.at, t.id))
        if not due:
            return fired
        step(svc, SYSTEM, case_id, c.FireTimer(due[0].id))
        fired.append(due[0].id)


def test_full_finsam_case_through_the_service(services: Services, clock: FakeClock) -> None:
    svc = services
    case = svc.cases.refer(AF_HANDLAGGARE, named_referral(sick_period_start=clock().date() - timedelta(days=30)))
    cid = case.id
    assert case.version == 1
    assert case.access == "tasks" or case.access == "case"  # AF has no consent yet: no personal data
    assert case.person is None
    assert_store_matches_state(svc, cid)
    assert outbox_kinds(svc, cid) >= {"TaskCreated"}

    clock.advance(days=1)
    on_team(svc, cid, SAMORDNARE)
    step(svc, SAMORDNARE, cid, c.CompleteTask("bekrafta_remiss"))
    step(svc, SAMORDNARE, cid, c.StartPhase("samtycke"))
    out = step(svc, SAMORDNARE, cid, c.RecordConsent(("af", "fk", "kommun", "region"), given_on=clock().date()))
    assert out.person is not None
    assert out.person.name == "Anna Andersson"
    step(svc, SAMORDNARE, cid, c.CompleteTask("inhamta_samtycke"))
    step(svc, SAMORDNARE, cid, c.StartPhase("beslut"))
    clock.advance(days=3)
    fire_due_timers(svc, clock, cid)
    step(svc, SAMORDNARE, cid, c.DecideParticipation("admitted"))
    step(svc, SAMORDNARE, cid, c.CompleteTask("besluta_deltagande"))
    step(svc, SAMORDNARE, cid, c.StartPhase("inskrivning"))
    clock.advance(days=2)
    step(svc, SAMORDNARE, cid, c.CompleteTask("boka_inskrivningssamtal"))
    step(svc, AF, cid, c.AcceptTask("delta_inskrivningssamtal"))
    step(svc, SAMORDNARE, cid, c.RecordFact("inskrivningssamtal_hallet", clock().date().isoformat()))
    step(svc, SAMORDNARE, cid, c.RecordContact(channel="telefon"))
    step(svc, SAMORDNARE, cid, c.StartPhase("kartlaggning"))
    clock.advance(days=20)
    fired = fire_due_timers(svc, clock, cid)
    assert fired, "reminders and deadlines fell due during three weeks"
    step(svc, SAMORDNARE, cid, c.CompleteTask("kartlaggningsplan"))
    step(svc, REGION, cid, c.CompleteTask("medicinskt_underlag"))
    step(svc, AF, cid, c.CompleteTask("arbetsmarknadsunderlag", note="Inskriven sedan 2025"))
    step(svc, FK, cid, c.CommentTask("kartlaggningsplan", text="FK följer upp sjukpenningen"))
    step(svc, SAMORDNARE, cid, c.CompleteTask("avstamningsmote"))
    step(svc, SAMORDNARE, cid, c.RecordFact("avstamningsmote_hallet", clock().date().isoformat()))
    step(svc, SAMORDNARE, cid, c.StartPhase("arbetstraning"))
    step(svc, SAMORDNARE, cid, c.CompleteTask("placeringsavtal"))
    step(svc, AF, cid, c.CompleteTask("beslut_arbetsmarknadsprogram"))
    step(svc, SAMORDNARE, cid, c.ExtendPhase(reason="Behöver mer tid"))
    clock.advance(days=30)
    fire_due_timers(svc, clock, cid)
    step(svc, SAMORDNARE, cid, c.StartPhase("avslut"))
    step(svc, SAMORDNARE, cid, c.CompleteTask("avslutningsmote"))
    out = step(svc, SAMORDNARE, cid, c.ExitCase("studier"))

    # The parties covered at exit keep read access to the closed case, until gallring.
    assert out.access == "full"
    assert out.person is not None
    row, state = load_state(svc, cid)
    assert (row.status, row.outcome, state.outcome) == ("closed", "studier", "studier")
    assert row.closed_at == clock()
    assert row.outcome == "studier"
    assert state.timers == {}
    assert rows(svc, TimerRow, cid) == []
    consents = rows(svc, ConsentRow, cid)
    assert len(consents) == 1
    assert consents[0].ended_on == clock().date()
    types = [r.type for r in sorted(rows(svc, EventRow, cid), key=lambda r: r.seq)]
    assert types[0] == "CaseReferred"
    assert types[-1] == "CaseClosed"
    assert "RehabCheckpointWarning" in types or "ReminderDue" in types


def outbox_kinds(svc: Services, case_id: str) -> set[str]:
    return {r.kind for r in rows(svc, OutboxRow, case_id)}


def test_person_row_holds_the_normalised_personnummer(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral(pnr="19850505-2384"))
    with services.uow() as uow:
        person = uow.session.scalar(select(PersonRow))
        assert person is not None
        assert (person.personnummer, person.name, person.gender, person.birth_year) == (
            "198505052384",
            "Anna Andersson",
            "kvinna",
            1985,
        )
        person_id = person.id
    row, _ = load_state(services, case.id)
    assert (row.gender, row.birth_year, row.person_id) == ("kvinna", 1985, person_id)


@pytest.mark.parametrize("bad", ["198505052385", "19850535-2381", "abc", "", "8505052388x"])
def test_invalid_personnummer_is_rejected_in_swedish(services: Services, bad: str) -> None:
    with pytest.raises(ServiceError) as err:
        services.cases.refer(AF_HANDLAGGARE, named_referral(pnr=bad))
    assert err.value.code in ("person_invalid", "validation_error")
    assert err.value.status == 422
    assert err.value.details["field"] == "personnummer"


def test_samordningsnummer_is_accepted(services: Services) -> None:
    from tests.integration.service_kit import SAMORDNINGSNUMMER

    case = services.cases.refer(AF_HANDLAGGARE, named_referral(pnr=SAMORDNINGSNUMMER, name="Sam Ordning"))
    assert case.id


def test_engine_rejection_is_a_service_error_with_the_engine_code(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    on_team(services, case.id, SAMORDNARE)
    with pytest.raises(ServiceError) as err:
        services.cases.execute(SAMORDNARE, case.id, c.StartPhase("beslut"), expected_version=None)
    assert (err.value.code, err.value.status) == ("transition_not_allowed", 409)
    with pytest.raises(ServiceError) as err:
        services.cases.execute(SAMORDNARE, case.id, c.CompleteTask("finns_inte"), expected_version=None)
    assert (err.value.code, err.value.status) == ("unknown_task", 422)
    with pytest.raises(ServiceError) as err:
        services.cases.execute(SAMORDNARE, "saknas", c.RecordContact(), expected_version=None)
    assert err.value.status == 404
    row, _ = load_state(services, case.id)
    assert row.version == 2  # nothing written by a rejected command (1: referral, 2: on the team)
