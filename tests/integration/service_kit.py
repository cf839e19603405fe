"""Callers and case-building helpers for service-layer tests: cases are built through commands."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from sqlalchemy import select

from engine.adapters.store.models import CaseRow, EventRow, OutboxRow, TaskRow, TimerRow
from engine.bootstrap import Services
from engine.core import commands as c
from engine.core.decide import decide
from engine.core.events import Decision
from engine.core.state import CaseState
from engine.service.access import Caller
from engine.service.views import CaseOut, ReferralIn

SAMORDNARE = Caller(
    "sara.samordnare@kommun", "samordnare", "kommun", ("samordnare", "teamledare", "samverkansteam", "handledare")
)
"""As the demo's Sara: also teamledare, party-wide in FINSAM (sees every kommun case without joining)."""
KOMMUN_HANDLAGGARE = Caller("karl.handlaggare@kommun", "handlaggare", "kommun")
AF = Caller("af-system", "party_system", "af")
AF_HANDLAGGARE = Caller("anna.handlaggare@af", "handlaggare", "af")
FK = Caller("fk-system", "party_system", "fk")
REGION = Caller("region-system", "party_system", "region", ("rehabkoordinator",))
ADMIN = Caller("frida.admin@forbund", "forbund_admin", None)
AUDITOR = Caller("greta.granskare@forbund", "auditor", None)
SYSTEM = Caller("system:timer", "system", None)

# Valid numbers (Luhn): a woman born 1985-05-05, a man born 1981-12-18, a samordningsnummer (day 07+60).
PNR_ANNA = "198505052384"
PNR_BO = "198112189876"
SAMORDNINGSNUMMER = "199008672389"


def named_referral(pnr: str = PNR_ANNA, name: str = "Anna Andersson", **kw: Any) -> ReferralIn:
    return ReferralIn(personnummer=pnr, name=name, **kw)


STAFF = (SAMORDNARE, KOMMUN_HANDLAGGARE, AF_HANDLAGGARE)
"""The people of the kit's cases: `refer_named` puts them on the team (need-to-know, issue 14)."""
OUTSIDER = Caller("olle.utanfor@kommun", "handlaggare", "kommun")
"""A handläggare of the host party who is on no case's team."""


def on_team(svc: Services, case_id: str, *people: Caller) -> CaseOut:
    """Put people on the case's team (as the system: the kit's shortcut, not a rule)."""
    _, state = load_state(svc, case_id)
    for p in people:
        assert p.party is not None
        if state.member(p.party, p.user_id) is None:
            run(svc, SYSTEM, case_id, c.AddTeamMember(p.party, p.user_id, p.name or p.user_id))
    return svc.cases.get_case(SYSTEM, case_id)


def refer_named(svc: Services, caller: Caller = AF_HANDLAGGARE, **kw: Any) -> CaseOut:
    case = svc.cases.refer(caller, named_referral(**kw))
    others = [p for p in STAFF if p.user_id != caller.user_id]
    on_team(svc, case.id, *others)
    return svc.cases.get_case(caller, case.id) if caller.kind != "system" else case


def run(svc: Services, caller: Caller, case_id: str, cmd: c.Command) -> CaseOut:
    return svc.cases.execute(caller, case_id, cmd, expected_version=None)


def with_consent(svc: Services, case_id: str, parties: tuple[str, ...] = ("af", "fk", "kommun", "region")) -> CaseOut:
    """Referral acknowledged, consent recorded for `parties`, now in phase samtycke (by the
    samordnare, whom this puts on the team)."""
    on_team(svc, case_id, SAMORDNARE)
    run(svc, SAMORDNARE, case_id, c.CompleteTask("bekrafta_remiss"))
    run(svc, SAMORDNARE, case_id, c.StartPhase("samtycke"))
    today = svc.clock().date()
    return run(svc, SAMORDNARE, case_id, c.RecordConsent(parties, given_on=today))


# --- reading the store for assertions (tests may read rows; they never write them) ------------


def load_state(svc: Services, case_id: str) -> tuple[CaseRow, CaseState]:
    with svc.uow() as uow:
        row = uow.session.get(CaseRow, case_id)
        assert row is not None
        uow.session.expunge_all()  # plain objects after the read-only unit of work rolls back
        return row, CaseState.from_json(row.state)


def rows(svc: Services, model: Any, case_id: str) -> list[Any]:
    with svc.uow() as uow:
        found = list(uow.session.scalars(select(model).where(model.case_id == case_id)).all())
        uow.session.expunge_all()
        return found


def expected_decision(svc: Services, caller: Caller, case_id: str, cmd: c.Command) -> Decision:
    """What the pure engine decides for this command on the stored state, at the service clock's now."""
    row, state = load_state(svc, case_id)
    with svc.uow() as uow:
        d = svc.definitions.cache.get(uow.session, row.definition_id, row.definition_version)
    result = decide(d, state, dataclasses.replace(cmd, actor=caller.user_id), svc.clock())
    assert isinstance(result, Decision), result
    return result


def assert_store_matches_state(svc: Services, case_id: str) -> None:
    """The tasks and timers projections agree with the state; events are gapless per case."""
    row, state = load_state(svc, case_id)
    tasks = {r.task_id: r for r in rows(svc, TaskRow, case_id)}
    assert set(tasks) == set(state.tasks)
    for tid, t in state.tasks.items():
        r = tasks[tid]
        assert (r.status, r.due, r.party, r.responsible, r.closed_on, r.escalated_to) == (
            t.status,
            t.due,
            t.party,
            t.responsible,
            t.closed_on,
            t.escalated_to,
        ), tid
    timers = {r.timer_id: (r.due_at, r.kind, r.ref) for r in rows(svc, TimerRow, case_id)}
    assert timers == {t.id: (t.at, t.kind, t.ref) for t in state.timers.values()}
    seqs = sorted(r.seq for r in rows(svc, EventRow, case_id))
    assert seqs == list(range(1, len(seqs) + 1))
    assert row.last_event_seq == len(seqs)
    assert (row.phase, row.status) == (state.phase, state.status)


def outbox_keys(svc: Services, case_id: str) -> set[str]:
    return {r.idempotency_key for r in rows(svc, OutboxRow, case_id)}


def today(svc: Services) -> date:
    return svc.clock().date()
