"""The core's refusals speak in labels: a guard that blocks a move, and the exit's reason rule,
name tasks, facts, parties and decisions as a handläggare knows them, never by an internal id.

Every guard of every transition of both shipped definitions is tried part by part (each condition
alone, each `any_of` alternative alone) on a state where nothing holds, and every message is
searched for every id of the definition and every coded value (decisions, outcomes)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from engine.core import commands as c
from engine.core.decide import decide
from engine.core.definition import Definition, Guard
from engine.core.events import Rejected
from engine.core.loader import load
from engine.core.rules.context import Context
from engine.core.rules.phases import check_guard
from engine.core.state import CaseState, Consent, TaskState

from .casekit import ROOT

DEFINITIONS = ("finsam-insats.yaml", "sip.yaml")
ON = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
CODES = ("admitted", "not_admitted", "on_hold", "övriga_avslutade", "förvärvsarbete", "arbetssökande")
GUARD_KINDS = ("consent", "consent_covers", "decision", "tasks_done", "fact", "anonymous")


def _ids(d: Definition) -> set[str]:
    """Ids that could leak: every id of the definition that is not also a plain word of its labels
    ('samtycke' is a phase id and a Swedish word; 'arbetstraning' and 'admitted' are only codes)."""
    words = set()
    for group in d.labels().values():
        for label in group.values():
            words |= {w.lower() for w in re.findall(r"\w+", label)}
    ids = {p.id for p in d.phases} | {t.id for p in d.phases for t in p.tasks} | {f.id for f in d.facts}
    ids |= {p.id for p in d.parties} | {r.id for r in d.roles} | set(CODES)
    return {i for i in ids if i.lower() not in words}


def _parts(g: Guard) -> list[Guard]:
    """Each condition of the guard on its own, and each alternative's conditions."""
    out = [Guard(**{k: v}) for k, v in g.model_dump(exclude_none=True).items() if k != "any_of"]
    for alt in g.any_of or ():
        out += _parts(alt)
    return out


def _blocked_state(d: Definition, phase: str, *, anonymous: bool, decision: str | None) -> CaseState:
    """A case in `phase` with every blocking task open, no fact, and a consent covering one party
    the guards do not ask for (none when anonymous)."""
    tasks = {
        t.id: TaskState(t.id, t.id, "task", t.label, phase, t.responsible, d.party_of(t.responsible), "open", ON,
                        None, t.blocking)  # fmt: skip
        for p in d.phases if p.id == phase for t in p.tasks
    }  # fmt: skip
    consent = None if anonymous else Consent(("fk",), ON, "skriftligt", "sam", ON)  # withdrawn: not active
    return CaseState("c1", d.id, d.version, "active", phase, ON, ON, anonymous=anonymous, consent=consent,
                     decision=decision, tasks=tasks)  # fmt: skip


def _messages(d: Definition) -> tuple[list[str], set[str]]:
    messages: list[str] = []
    kinds: set[str] = set()
    for phase in d.phases:
        for transition in phase.transitions:
            for part in _parts(transition.when):
                kinds |= set(part.model_dump(exclude_none=True))
                for anonymous in (False, True):
                    for decision in (None, "admitted", "not_admitted", "on_hold"):
                        s = _blocked_state(d, phase.id, anonymous=anonymous, decision=decision)
                        failure = check_guard(Context(d, s, NOW, None), part)
                        if failure is not None:
                            messages.append(failure.rejection.message)
    return messages, kinds


@pytest.mark.parametrize("name", DEFINITIONS)
def test_no_guard_message_names_an_id(name: str) -> None:
    d = load(ROOT / "definitions" / name)
    messages, _kinds = _messages(d)
    assert messages
    ids = _ids(d)
    leaks = [(m, i) for m in messages for i in ids if re.search(rf"(?<!\w){re.escape(i)}(?!\w)", m)]
    assert leaks == []


def test_every_guard_kind_is_tried() -> None:
    kinds: set[str] = set()
    for name in DEFINITIONS:
        kinds |= _messages(load(ROOT / "definitions" / name))[1]
    assert kinds >= set(GUARD_KINDS)


def test_guard_messages_carry_labels() -> None:
    d = load(ROOT / "definitions" / "finsam-insats.yaml")
    messages = set(_messages(d)[0])
    assert "Beslut om deltagande ska vara Antagen" in messages
    assert "'Inskrivningssamtal hållet' är inte registrerat i ärendet" in messages
    assert "Uppgiften 'Bekräfta mottagen remiss och kontakta deltagaren' är inte klar" in messages
    sip = set(_messages(load(ROOT / "definitions" / "sip.yaml"))[0])
    assert "Samtycket ska omfatta Kommunen (socialtjänst) och Regionen (hälso- och sjukvård)" in sip


def test_exit_reason_message_names_the_outcome_in_words() -> None:
    d = load(ROOT / "definitions" / "finsam-insats.yaml")
    exit_phase = next(p for p in d.phases if p.kind.value == "exit")
    s = CaseState("c1", d.id, d.version, "active", exit_phase.id, ON, ON)
    result = decide(d, s, c.ExitCase(outcome="övriga_avslutade"), NOW)
    assert isinstance(result, Rejected)
    assert (result.code, result.message) == ("reason_required", "Utfallet Övriga avslutade kräver en orsak")
