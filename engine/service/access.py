"""Who may see and do what: every access rule of the service layer, in one place.

- A party sees a case's personal data (name, personnummer, timeline, facts) only while the
  person's current consent (from the case state) covers the party; withdrawal takes effect on the
  next call because every call reads the state again.
- The host party (the data controller: the party employing the coordinator, i.e. the party of
  the definition's `coordinator` role or else its first role) sees the case itself (phase, tasks,
  facts, timeline) so its team can work it; name and personnummer still only while the consent
  covers the host party.
- Anonymous and protected-identity cases carry no name or personnummer at all.
- Without consent a party sees only its own tasks, with the case reference (the referring party
  keeps the reference of the case it referred, with no personal data).
- Förbund admin: definitions and aggregates, never a case. Auditor: the access log only.
- Every read of case data about a participant writes an access_log row in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from engine.core import commands as c
from engine.core.definition import Definition
from engine.core.state import CaseState, TaskState
from engine.service.errors import ServiceError, forbidden
from engine.service.ports import new_access_entry

PARTY_KINDS = frozenset({"party_system", "handlaggare", "samordnare"})
CALLER_KINDS = PARTY_KINDS | {"forbund_admin", "auditor", "system"}


@dataclass(frozen=True)
class Caller:
    user_id: str
    kind: str  # party_system | handlaggare | samordnare | forbund_admin | auditor | system (timer worker)
    party: str | None  # af | fk | kommun | region (None for förbund admin / auditor / system)
    roles: tuple[str, ...] = ()
    name: str = ""

    @property
    def is_party(self) -> bool:
        return self.kind in PARTY_KINDS and self.party is not None


SYSTEM = Caller(user_id="system", kind="system", party=None)
"""The timer worker and other internal jobs."""

Level = Literal["full", "case", "tasks", "none"]


def require_party(caller: Caller) -> str:
    if not caller.is_party or caller.party is None:
        raise forbidden("Endast parter (AF, FK, kommun, region) har tillgång till ärenden")
    return caller.party


def require_admin(caller: Caller) -> None:
    if caller.kind != "forbund_admin":
        raise forbidden("Endast förbundsadministratörer får ändra processdefinitioner")


def require_auditor(caller: Caller) -> None:
    if caller.kind != "auditor":
        raise forbidden("Endast granskare (loggkontroll) får läsa åtkomstloggen")


def host_party(definition: Definition) -> str | None:
    """The party that hosts the insats and is data controller: the employer of the coordinator
    (the definition's `coordinator`, by default its first role)."""
    coordinator = getattr(definition, "coordinator", None)
    if isinstance(coordinator, str):
        return definition.party_of(coordinator)
    return definition.roles[0].party if definition.roles else None


def consent_covers(caller: Caller, state: CaseState) -> bool:
    return caller.party is not None and state.consent is not None and state.consent.covers(caller.party)


def owns_task(caller: Caller, task: TaskState) -> bool:
    if not caller.is_party:
        return False
    return (
        task.party == caller.party
        or task.responsible in caller.roles
        or (task.escalated_to is not None and task.escalated_to in caller.roles)
    )


def case_level(caller: Caller, state: CaseState, definition: Definition, *, identified: bool) -> Level:
    """How much of a case the caller may see. `identified`: the case has a person row (name/personnummer)."""
    if caller.kind == "system":
        return "case"
    if not caller.is_party:
        return "none"
    if consent_covers(caller, state):
        return "full" if identified else "case"
    if caller.party == host_party(definition):
        return "case"  # the data controller's team works the case; name/personnummer still need consent
    if caller.party == state.referred_by or any(owns_task(caller, t) for t in state.tasks.values()):
        return "tasks"  # the referring party keeps the case reference it was given
    return "none"


def require_case_read(caller: Caller, level: Level) -> None:
    if level == "none":
        if not caller.is_party:
            raise forbidden("Förbundet och granskare ser aldrig enskilda ärenden")
        raise ServiceError("not_found", "Ärendet finns inte")


def require_case_data(caller: Caller, level: Level) -> None:
    """Timeline and facts: personal data, so consent (or host party of an anonymous case) is needed."""
    require_case_read(caller, level)
    if level == "tasks":
        raise forbidden("Samtycket omfattar inte din part: du ser bara din parts uppgifter")


def is_member(caller: Caller, state: CaseState, definition: Definition) -> bool:
    """May act on the case as a whole: the host party's team, or a party the consent covers."""
    return caller.is_party and (caller.party == host_party(definition) or consent_covers(caller, state))


def authorize_command(caller: Caller, state: CaseState, definition: Definition, command: c.Command) -> None:
    """May the caller send this command? A party that may not see the case at all gets the same
    `not_found` as a read, so a command cannot be used to probe which case ids exist; a party that
    sees the case but may not do this gets `forbidden`."""
    if caller.kind == "system":
        return
    if not caller.is_party:
        raise forbidden("Förbundet och granskare kan inte ändra enskilda ärenden")
    require_case_read(caller, case_level(caller, state, definition, identified=False))
    if isinstance(command, c.FireTimer):
        raise forbidden("Timrar löses ut av systemet")
    if isinstance(command, c.Refer):
        raise forbidden("Använd remiss för att skapa ett ärende")
    if isinstance(command, (c.AcceptTask, c.DeclineTask, c.CompleteTask, c.CommentTask)):
        task = state.tasks.get(command.task_id)
        if task is not None and owns_task(caller, task):
            return
        if isinstance(command, c.CommentTask) and is_member(caller, state, definition):
            return
        if task is None and is_member(caller, state, definition):
            return  # let the engine say unknown_task
        raise forbidden("Uppgiften tillhör en annan part")
    if not is_member(caller, state, definition):
        raise forbidden("Bara värdparten och parter som samtycket omfattar kan ändra ärendet")


def log_access(
    session: Any,
    caller: Caller,
    at: datetime,
    *,
    resource: str,
    purpose: str,
    case_id: str | None,
    person_id: str | None,
) -> None:
    """Loggkontroll, for the read services that still hold a session (the event feed): one
    access_log row in the same transaction, written by the store's own writer, which the composition
    root puts in every session's `info["log_access"]`. Case reads and commands put theirs in the
    store's unit (`CaseUnit.log_access`, `CaseChange.access_log`). Goes when the feed reads through
    a port of its own."""
    entry = new_access_entry(caller, at, resource=resource, purpose=purpose, case_id=case_id, person_id=person_id)
    session.info["log_access"](session, [entry])
