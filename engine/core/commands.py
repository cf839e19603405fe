"""Commands: what a party, a person or the timer sweep asks the engine to do (imperative)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class Command:
    actor: str | None = field(default=None, kw_only=True)
    """Who asks (user or system id), recorded in the events; authorisation is the service's job."""


@dataclass(frozen=True, slots=True)
class Refer(Command):
    case_id: str
    referred_by: str
    anonymous: bool = False
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordConsent(Command):
    parties: tuple[str, ...]
    given_on: date
    form: str = "skriftligt"


@dataclass(frozen=True, slots=True)
class WithdrawConsent(Command):
    parties: tuple[str, ...] | None = None  # None: all of it
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class DecideParticipation(Command):
    decision: str  # admitted, not_admitted, on_hold
    note: str | None = None


@dataclass(frozen=True, slots=True)
class StartPhase(Command):
    phase: str


@dataclass(frozen=True, slots=True)
class AcceptTask(Command):
    task_id: str


@dataclass(frozen=True, slots=True)
class DeclineTask(Command):
    task_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CompleteTask(Command):
    task_id: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CommentTask(Command):
    task_id: str
    text: str


@dataclass(frozen=True, slots=True)
class RecordContact(Command):
    on: date | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class RecordFact(Command):
    fact: str
    value: Any


@dataclass(frozen=True, slots=True)
class ExtendPhase(Command):
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class FireTimer(Command):
    timer_id: str


@dataclass(frozen=True, slots=True)
class ExitCase(Command):
    outcome: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AbortCase(Command):
    reason: str
    note: str | None = None


COMMAND_TYPES: dict[str, type[Command]] = {
    cls.__name__: cls
    for cls in (
        Refer,
        RecordConsent,
        WithdrawConsent,
        DecideParticipation,
        StartPhase,
        AcceptTask,
        DeclineTask,
        CompleteTask,
        CommentTask,
        RecordContact,
        RecordFact,
        ExtendPhase,
        FireTimer,
        ExitCase,
        AbortCase,
    )
}
