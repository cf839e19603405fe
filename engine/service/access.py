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
- A caller's roles count only within its party: a role claimed in a token counts only where the
  definition's `roles: [{id, party}]` says the role belongs to the caller's own party (a token of
  party region claiming kommun's `samordnare` gets nothing from it).
- A task is a request to one party: accept, decline and complete only by the task's party (its
  system or its people). Escalation makes the task visible (inbox, case, notification) to the
  escalation role; it never lets that role's party act for the responsible one.
- Consent is the person's will, recorded by the host party's samordnare (or the host's party
  system, on the samordnare's behalf): only they record or replace a consent (RecordConsent), and
  a replacement that drops a party records that party's withdrawal. They may withdraw the
  consent for any party; a covered party may withdraw it only for itself (naming exactly its own
  party; a withdrawal naming others, or all parties, is 403).
- A closed case stays readable, read-only, at the level each party had when it closed (the
  consent's parties at exit, as ConsentEnded recorded them), until gallring removes the personal
  data; commands on a closed case are refused by the core.
- Free text (fact values, notes, reasons, comments) is personal data: shown only at `full`
  (case_views.strip_free_text is the one place that cuts it from views and events).
- Förbund admin: definitions and aggregates, never a case. Auditor: the access log only.
- Every read of case data about a participant writes an access_log row in the same transaction.
- Need-to-know (issue 14): a person (handlaggare, samordnare) sees a case only if they are on its
  team for their own party, stand in (`substitutes`) for a member of their party's team, hold a
  party-wide role of their party (`Role.party_wide`, e.g. teamledare), or hold a live emergency
  grant (nödåtkomst, 24 hours, typed reason, flagged by loggkontroll). Otherwise the case is hidden
  (404) like any other, commands too, but for the party's unassigned open tasks (the party's pool):
  they stay in the party's task lists (no personal data) and any of its people may claim one, and so
  join the team. All of this only
  narrows the party-level rules above (consent still has to cover the party); party systems keep
  party-level access. A person changes only their own party's team and reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from engine.core import commands as c
from engine.core.definition import Definition
from engine.core.state import CaseState
from engine.service.errors import ServiceError, forbidden
from engine.service.ports import new_access_entry

PARTY_KINDS = frozenset({"party_system", "handlaggare", "samordnare"})
CALLER_KINDS = PARTY_KINDS | {"forbund_admin", "auditor", "system"}
CONSENT_KEEPERS = frozenset({"samordnare", "party_system"})
PERSON_KINDS = frozenset({"handlaggare", "samordnare"})
"""People, to whom need-to-know applies (a party system keeps party-level access)."""
NODATKOMST = "nodatkomst"
"""The access log's purpose of an emergency access (loggkontroll flags every one)."""
"""The host party's callers who record the person's consent: its samordnare and its party system."""


@dataclass(frozen=True)
class Caller:
    user_id: str
    kind: str  # party_system | handlaggare | samordnare | forbund_admin | auditor | system (timer worker)
    party: str | None  # af | fk | kommun | region (None for förbund admin / auditor / system)
    roles: tuple[str, ...] = ()
    name: str = ""
    stands_in_for: tuple[str, ...] = ()
    """The absent people of the caller's party they are a substitute for today (`substitutes`)."""

    @property
    def is_party(self) -> bool:
        return self.kind in PARTY_KINDS and self.party is not None


class TaskRef(Protocol):
    """A task as the state or the tasks table holds it."""

    @property
    def party(self) -> str: ...

    @property
    def responsible(self) -> str: ...

    @property
    def escalated_to(self) -> str | None: ...

    @property
    def status(self) -> str: ...

    @property
    def assignee(self) -> str | None: ...


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
    if caller.party is None or state.consent is None:
        return False
    if state.closed:
        return caller.party in closing_parties(state)
    return state.consent.covers(caller.party)


def closing_parties(state: CaseState) -> tuple[str, ...]:
    """The parties the consent covered when the case closed: the exit ends the consent (its
    `withdrawn_on` is the closing day), a withdrawal before the exit had already dropped a party."""
    consent = state.consent
    if consent is None or not state.closed or consent.withdrawn_on is None:
        return ()
    if state.closed_on is not None and consent.withdrawn_on >= state.closed_on:
        return consent.parties
    return ()


def party_roles(caller: Caller, definition: Definition) -> frozenset[str]:
    """The caller's roles that count: those the definition gives to the caller's own party."""
    if caller.party is None:
        return frozenset()
    by_id = definition.role_by_id
    return frozenset(r for r in caller.roles if r in by_id and by_id[r].party == caller.party)


def owns_task(caller: Caller, task: TaskRef, definition: Definition) -> bool:
    """May act on the task (accept, decline, complete): only the task's own party."""
    if not caller.is_party:
        return False
    return task.party == caller.party  # a role of the caller's own party only ever names its tasks


def sees_task(caller: Caller, task: TaskRef, definition: Definition) -> bool:
    """Sees the task: its own party, or the role it was escalated to (the role of the caller's party)."""
    return owns_task(caller, task, definition) or (
        caller.is_party and task.escalated_to is not None and task.escalated_to in party_roles(caller, definition)
    )


def needs_to_know(caller: Caller) -> bool:
    return caller.kind in PERSON_KINDS


def party_wide(caller: Caller, definition: Definition) -> bool:
    by_id = definition.role_by_id
    return any(by_id[r].party_wide for r in party_roles(caller, definition))


def emergency_live(caller: Caller, state: CaseState, now: datetime) -> bool:
    return any(g.user_id == caller.user_id and g.until > now for g in state.emergency)


def on_team(caller: Caller, state: CaseState, definition: Definition, now: datetime) -> bool:
    """Need-to-know: the person is on the case's team for their own party (or stands in for one who
    is), holds a party-wide role of their party, or has a live emergency grant."""
    if caller.party is None:
        return False
    members = {m.user_id for m in state.team.get(caller.party, ())}
    if caller.user_id in members or not members.isdisjoint(caller.stands_in_for):
        return True
    return party_wide(caller, definition) or emergency_live(caller, state, now)


def pooled(caller: Caller, task: TaskRef) -> bool:
    """An open task of the caller's party nobody has taken: any of the party's people may claim it."""
    return task.party == caller.party and task.assignee is None and task.status in ("open", "accepted")


def knows(caller: Caller, state: CaseState, definition: Definition, now: datetime) -> bool:
    """Need-to-know passed (or does not apply)."""
    return not needs_to_know(caller) or on_team(caller, state, definition, now)


def visible_tasks(caller: Caller, state: CaseState, definition: Definition, now: datetime) -> list[Any]:
    """The tasks a caller at `tasks` level sees: its party's (and escalated to its role's)."""
    if not knows(caller, state, definition, now):
        return []
    return [t for t in state.tasks.values() if sees_task(caller, t, definition)]


def case_level(
    caller: Caller, state: CaseState, definition: Definition, *, identified: bool, now: datetime
) -> Level:
    """How much of a case the caller may see. `identified`: the case has a person row (name/personnummer)."""
    if caller.kind == "system":
        return "case"
    if not caller.is_party:
        return "none"
    party = party_level(caller, state, definition, identified=identified)
    return party if knows(caller, state, definition, now) else "none"


def party_level(caller: Caller, state: CaseState, definition: Definition, *, identified: bool) -> Level:
    """The caller's party's level (before need-to-know)."""
    if consent_covers(caller, state):
        return "full" if identified else "case"
    if caller.party == host_party(definition):
        return "case"  # the data controller's team works the case; name/personnummer still need consent
    if caller.party == state.referred_by or any(sees_task(caller, t, definition) for t in state.tasks.values()):
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


def authorize_command(
    caller: Caller, state: CaseState, definition: Definition, command: c.Command, now: datetime
) -> None:
    """May the caller send this command? A party that may not see the case at all gets the same
    `not_found` as a read, so a command cannot be used to probe which case ids exist; a party that
    sees the case but may not do this gets `forbidden`."""
    if caller.kind == "system":
        return
    if not caller.is_party:
        raise forbidden("Förbundet och granskare kan inte ändra enskilda ärenden")
    if isinstance(command, c.GrantEmergencyAccess):
        authorize_emergency(caller, state, definition)
        return
    if not knows(caller, state, definition, now):
        # Outside the team a person only claims a task of the party's pool (and so joins the team).
        task = state.tasks.get(command.task_id) if isinstance(command, c.ClaimTask) else None
        if task is not None and pooled(caller, task):
            if party_level(caller, state, definition, identified=False) != "none":
                return
        raise ServiceError("not_found", "Ärendet finns inte")
    require_case_read(caller, case_level(caller, state, definition, identified=False, now=now))
    if isinstance(command, TEAM_COMMANDS):
        authorize_team(caller, state, definition, command)
        return
    if isinstance(command, c.FireTimer):
        raise forbidden("Timrar löses ut av systemet")
    if isinstance(command, c.Refer):
        raise forbidden("Använd remiss för att skapa ett ärende")
    if isinstance(command, (c.RecordConsent, c.WithdrawConsent)):
        authorize_consent(caller, state, definition, command)
        return
    if isinstance(command, (c.AcceptTask, c.DeclineTask, c.CompleteTask, c.CommentTask)):
        task = state.tasks.get(command.task_id)
        if task is not None and owns_task(caller, task, definition):
            return
        if isinstance(command, c.CommentTask) and (
            is_member(caller, state, definition) or (task is not None and sees_task(caller, task, definition))
        ):
            return
        if task is None and is_member(caller, state, definition):
            return  # let the engine say unknown_task
        raise forbidden("Uppgiften tillhör en annan part")
    if not is_member(caller, state, definition):
        raise forbidden("Bara värdparten och parter som samtycket omfattar kan ändra ärendet")


TASK_TEAM_COMMANDS = (c.ClaimTask, c.UnclaimTask, c.AssignTask, c.SetTaskPriority, c.SetTaskFollowUp)
PARTY_TEAM_COMMANDS = (c.AddTeamMember, c.RemoveTeamMember, c.HandOver, c.SetExternalReference)
TEAM_COMMANDS = TASK_TEAM_COMMANDS + PARTY_TEAM_COMMANDS


def authorize_team(caller: Caller, state: CaseState, definition: Definition, command: c.Command) -> None:
    """The team is each party's own: a caller changes its own party's team, reference and task
    assignments only (a person on the team, with a party-wide role, or standing in for a member)."""
    if isinstance(command, TASK_TEAM_COMMANDS):
        task = state.tasks.get(command.task_id)
        if task is None:
            return  # the engine says unknown_task
        if not owns_task(caller, task, definition):
            raise forbidden("Uppgiften tillhör en annan part")
        return
    party = getattr(command, "party", None)
    if party != caller.party:
        raise forbidden("Du kan bara ändra din egen parts team och diarienummer")


def authorize_emergency(caller: Caller, state: CaseState, definition: Definition) -> None:
    """Nödåtkomst: a person of a party that may see the case (before need-to-know)."""
    if not needs_to_know(caller):
        raise forbidden("Nödåtkomst gäller personal; partens system har redan åtkomst")
    level = party_level(caller, state, definition, identified=False)
    require_case_read(caller, level)
    if level == "tasks":
        raise forbidden("Samtycket omfattar inte din part: nödåtkomst ger inte mer än partens åtkomst")


def authorize_consent(
    caller: Caller, state: CaseState, definition: Definition, command: c.RecordConsent | c.WithdrawConsent
) -> None:
    """Consent is the person's will as the host party records it: RecordConsent (new or a
    replacement) only by the host party; WithdrawConsent by the host for any party, by a covered
    party only for itself."""
    if caller.party == host_party(definition) and caller.kind in CONSENT_KEEPERS:
        return
    if isinstance(command, c.RecordConsent):
        raise forbidden("Samtycket registreras av värdpartens samordnare, som deltagarens egen vilja")
    if not consent_covers(caller, state):
        raise forbidden("Bara värdparten och parter som samtycket omfattar kan återkalla samtycke")
    if command.parties is None or set(command.parties) != {caller.party}:
        raise forbidden("En part kan bara återkalla samtycket för sin egen part")


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


PageAction = Literal[
    "record_consent", "withdraw_consent_all", "withdraw_consent_own", "decide", "move", "fact", "contact",
    "extend", "exit", "abort", "protect", "team", "reference",
]  # fmt: skip
TASK_ACTION = "task:"
"""`may_act`'s key for the team actions on one task (claim, assign, priority, follow-up): `task:<id>`."""


def may_act(caller: Caller, state: CaseState, definition: Definition, now: datetime) -> dict[str, str | None]:
    """What the caller may do on the case, for the pages to offer: each action (`PageAction`, and
    `task:<id>` for each open task's team actions) with None (allowed) or the reason in words. Asks
    `authorize_command` with a command of each kind, so no rule is written twice; whether the core
    then accepts the command (a guard, a phase) is the core's word."""
    today = state.phase_entered_on
    own = (caller.party,) if caller.party else ()
    samples: dict[str, c.Command] = {
        "record_consent": c.RecordConsent(parties=own, given_on=today),
        "withdraw_consent_all": c.WithdrawConsent(parties=None),
        "withdraw_consent_own": c.WithdrawConsent(parties=own),
        "decide": c.DecideParticipation(decision="admitted"),
        "move": c.StartPhase(phase=state.phase),
        "fact": c.RecordFact(fact="", value=None),
        "contact": c.RecordContact(),
        "extend": c.ExtendPhase(),
        "exit": c.ExitCase(outcome=""),
        "abort": c.AbortCase(reason=""),
        "protect": c.ProtectIdentity(),
        "team": c.AddTeamMember(party=caller.party or "", user_id="", name=""),
        "reference": c.SetExternalReference(party=caller.party or "", reference=None),
    }
    tasks: dict[str, c.Command] = {
        f"{TASK_ACTION}{t.id}": c.SetTaskPriority(task_id=t.id, priority="normal") for t in state.open_tasks()
    }
    out: dict[str, str | None] = {}
    for action, command in {**samples, **tasks}.items():
        try:
            authorize_command(caller, state, definition, command, now)
        except ServiceError as exc:
            out[action] = exc.message
        else:
            out[action] = None
    return out
