"""ProtectIdentity: skyddade personuppgifter for the case's person. The core records the fact as
a `ProtectedIdentitySet` event and changes nothing else; the service removes the person's name
and personnummer. Protection never waits, so a closed case takes it too."""

from __future__ import annotations

from datetime import date

from engine.core import commands as c
from engine.core.decide import decide
from engine.core.events import EVENT_TYPES, Decision

from .casekit import Case, at, definition_from_yaml, finsam

MON = date(2026, 3, 2)


def test_protect_identity_is_a_known_command_with_a_known_event() -> None:
    assert c.COMMAND_TYPES["ProtectIdentity"] is c.ProtectIdentity
    assert "ProtectedIdentitySet" in EVENT_TYPES


def test_protecting_an_active_case_records_one_event_and_changes_nothing_else() -> None:
    case = Case.referred(MON)
    before = case.s
    d = case.run(c.ProtectIdentity(actor="samordnare"))
    assert [(e.type, e.data, e.notify, e.at) for e in d.events] == [
        ("ProtectedIdentitySet", {"actor": "samordnare"}, (), case.now)
    ]
    assert d.state == before
    assert d.state is not before
    assert d.set_timers == []
    assert d.cancel_timers == []


def test_protecting_leaves_the_state_it_was_given_untouched() -> None:
    case = Case.referred(MON)
    before = case.s.to_json()
    decide(case.definition, case.s, c.ProtectIdentity(), case.now)
    assert case.s.to_json() == before


def test_protecting_without_an_actor_records_no_actor() -> None:
    d = Case.referred(MON).run(c.ProtectIdentity())
    assert [(e.type, e.data) for e in d.events] == [("ProtectedIdentitySet", {})]


def test_a_closed_case_can_still_be_protected() -> None:
    case = Case.referred(MON)
    case.run(c.AbortCase("flytt"))
    assert case.s.closed
    closed = case.s
    d = case.run(c.ProtectIdentity(actor="samordnare"))
    assert [e.type for e in d.events] == ["ProtectedIdentitySet"]
    assert d.state == closed
    assert d.state.closed
    # and every other command is still refused
    assert case.reject(c.RecordContact()).code == "case_closed"


def test_a_case_can_be_protected_more_than_once() -> None:
    case = Case.referred(MON)
    case.run(c.ProtectIdentity())
    d = case.run(c.ProtectIdentity())
    assert [e.type for e in d.events] == ["ProtectedIdentitySet"]


def test_protecting_a_case_that_does_not_exist_is_rejected() -> None:
    r = decide(finsam(), None, c.ProtectIdentity(), at(MON))
    assert not isinstance(r, Decision)
    assert r.code == "case_not_found"


def test_protecting_with_another_definition_is_rejected() -> None:
    case = Case.referred(MON)
    other = definition_from_yaml(
        """
id: annan
version: 1
name: Annan
parties: [{id: af, label: Arbetsförmedlingen}]
start: start
phases:
  - {id: start, label: Start, kind: referral, transitions: [{to: slut}]}
  - {id: slut, label: Slut, kind: exit}
outcomes: [förvärvsarbete]
"""
    )
    r = decide(other, case.s, c.ProtectIdentity(), case.now)
    assert not isinstance(r, Decision)
    assert r.code == "definition_mismatch"


def test_a_misshapen_actor_is_rejected_before_anything_else() -> None:
    case = Case.referred(MON)
    case.run(c.AbortCase("flytt"))
    r = case.reject(c.ProtectIdentity(actor=42))  # type: ignore[arg-type]
    assert (r.code, r.details) == ("invalid_value", {"field": "actor"})
