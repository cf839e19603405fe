"""Commands: what a party, a person or the timer sweep asks the engine to do (imperative)."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
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
    referrer_name: str | None = None
    """The referring person's name: they (the actor) join the case's team for the referring party.
    None (a party system's referral): nobody joins."""
    referrer_role: str | None = None


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


@dataclass(frozen=True, slots=True)
class ProtectIdentity(Command):
    """Skyddade personuppgifter arrived for the case's person: the service removes name and
    personnummer from every case of the person. Allowed on a closed case too."""


# --- the case team (issue 14) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddTeamMember(Command):
    party: str
    user_id: str
    name: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class RemoveTeamMember(Command):
    """The member's open tasks go to the party's remaining member, else become unassigned."""

    party: str
    user_id: str


@dataclass(frozen=True, slots=True)
class HandOver(Command):
    """`from_user`'s membership and open tasks move to `to_user`."""

    party: str
    from_user: str
    to_user: str
    to_name: str


@dataclass(frozen=True, slots=True)
class ClaimTask(Command):
    """The actor takes the task; one of the task's party not yet on the team joins it. `party` and
    `name` are the actor's (the service fills them from the caller)."""

    task_id: str
    party: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class UnclaimTask(Command):
    task_id: str


@dataclass(frozen=True, slots=True)
class AssignTask(Command):
    """To a current member of the task's party only."""

    task_id: str
    user_id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class SetTaskPriority(Command):
    task_id: str
    priority: str  # normal, high


@dataclass(frozen=True, slots=True)
class SetTaskFollowUp(Command):
    task_id: str
    on: date | None = None


@dataclass(frozen=True, slots=True)
class SetExternalReference(Command):
    party: str
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class GrantEmergencyAccess(Command):
    """Nödåtkomst for the actor (of `party`) for the next 24 hours, for a typed reason."""

    reason: str
    party: str | None = None


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
        ProtectIdentity,
        AddTeamMember,
        RemoveTeamMember,
        HandOver,
        ClaimTask,
        UnclaimTask,
        AssignTask,
        SetTaskPriority,
        SetTaskFollowUp,
        SetExternalReference,
        GrantEmergencyAccess,
    )
}


# --- field shapes -----------------------------------------------------------------------------
# Commands arrive from JSON and forms, so a field may hold None or a number where text is meant.
# `decide` checks every field against its annotation first and rejects a wrong shape with a code
# instead of failing inside a rule. None in a required text field passes as "no text": the rule
# that needs the text rejects it with its own code (`comment_empty`, `reason_required`, ...).

_Check = Callable[[object], bool]


def _is_date(v: object) -> bool:
    return isinstance(v, date) and not isinstance(v, datetime)


def _check_for(hint: object) -> _Check:
    if hint is Any:
        return lambda v: True
    if hint is str:
        return lambda v: v is None or isinstance(v, str)
    if hint is bool:
        return lambda v: isinstance(v, bool)
    if hint is date:
        return _is_date
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is types.UnionType and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        check = _check_for(inner)
        return lambda v: v is None or check(v)
    if origin is tuple:  # tuple[str, ...]
        return lambda v: isinstance(v, tuple | list) and all(isinstance(x, str) for x in v)
    if origin is dict:  # dict[str, Any]
        return lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v)
    raise TypeError(f"no shape check for {hint!r}")  # pragma: no cover - a new annotation kind


FieldChecks = tuple[tuple[str, _Check], ...]


def _checks(cls: type[Command]) -> FieldChecks:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _check_for(hints[f.name])) for f in fields(cls))


FIELD_CHECKS: Mapping[type[Command], FieldChecks] = {cls: _checks(cls) for cls in COMMAND_TYPES.values()}
"""Each command's fields with the check of its annotation, worked out once as the module loads."""


def misshapen_field(command: Command) -> str | None:
    """The first field whose value does not have the annotated type, or None when all do. A
    command of a type not in COMMAND_TYPES has nothing checked: `decide` rejects it as unknown."""
    for name, check in FIELD_CHECKS.get(type(command), ()):
        if not check(getattr(command, name)):
            return name
    return None
