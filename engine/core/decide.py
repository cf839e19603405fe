"""`decide(definition, state, command, now)`: the whole behaviour of a case as one pure function.

No clock reads, no I/O, no randomness: `now` and ids come in as arguments. The function copies
the state it is given, applies the command, and returns the new state with the events and the
timer changes (computed as the difference between the old and new timer sets, so they can
never disagree with the state). The rules themselves live in `engine.core.rules`, by job; this
module checks what every command needs and sends it to its rule.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine.core import commands as c
from engine.core.definition import Definition
from engine.core.duration import Duration
from engine.core.events import Decision, Rejected
from engine.core.localtime import FIRE_HOUR, TZ, fire_time, local_date
from engine.core.rules import closing, consent, facts, phases, tasks, team, timers
from engine.core.rules.consent import DECISIONS
from engine.core.rules.context import Context, Reject
from engine.core.rules.facts import checkpoint_date
from engine.core.state import CaseState

Rule = Callable[[Context, Any], None]

RULES: dict[type[c.Command], Rule] = {
    c.RecordConsent: consent.record_consent,
    c.WithdrawConsent: consent.withdraw_consent,
    c.DecideParticipation: consent.decide_participation,
    c.RecordContact: consent.record_contact,
    c.StartPhase: phases.start_phase,
    c.ExtendPhase: phases.extend_phase,
    c.AcceptTask: tasks.accept_task,
    c.DeclineTask: tasks.decline_task,
    c.CompleteTask: tasks.complete_task,
    c.CommentTask: tasks.comment_task,
    c.RecordFact: facts.record_fact,
    c.FireTimer: timers.fire_timer,
    c.ExitCase: closing.exit_case,
    c.AbortCase: closing.abort_case,
    c.ProtectIdentity: closing.protect_identity,
    c.AddTeamMember: team.add_member,
    c.RemoveTeamMember: team.remove_member,
    c.HandOver: team.hand_over,
    c.ClaimTask: team.claim_task,
    c.UnclaimTask: team.unclaim_task,
    c.AssignTask: team.assign_task,
    c.SetTaskPriority: team.set_priority,
    c.SetTaskFollowUp: team.set_follow_up,
    c.SetExternalReference: team.set_external_reference,
    c.GrantEmergencyAccess: team.grant_emergency,
}
"""The rule for each command but Refer, which has no state to start from."""

ALLOWED_WHEN_CLOSED = frozenset({c.ProtectIdentity})
"""Commands a closed case still takes: protection of a person's identity never waits."""


def decide(definition: Definition, state: CaseState | None, command: c.Command, now: datetime) -> Decision | Rejected:
    bad = c.misshapen_field(command)
    if bad is not None:
        return Rejected("invalid_value", f"Fältet '{bad}' har fel typ", {"field": bad})
    if isinstance(command, c.Refer):
        if state is not None:
            return Rejected("case_exists", "Ärendet finns redan")
        try:
            return _decision(None, closing.refer(definition, command, now))
        except Reject as r:
            return r.rejection
    if state is None:
        return Rejected("case_not_found", "Ärendet finns inte")
    if state.definition_id != definition.id or state.definition_version != definition.version:
        return Rejected(
            "definition_mismatch",
            f"Ärendet följer {state.definition_id}@{state.definition_version}, inte {definition.key}",
        )
    if state.closed and type(command) not in ALLOWED_WHEN_CLOSED:
        return Rejected("case_closed", "Ärendet är avslutat")
    rule = RULES.get(type(command))
    if rule is None:
        return Rejected("unknown_command", f"Okänt kommando {type(command).__name__}")
    ctx = Context(definition, state.clone(), now, command.actor)
    try:
        rule(ctx, command)
    except Reject as r:
        return r.rejection
    return _decision(state, ctx)


def _decision(old: CaseState | None, ctx: Context) -> Decision:
    new_timers = ctx.s.timers
    old_timers = old.timers if old is not None else {}
    # most timers are carried over as the very same object; compare the rest by value
    set_timers = [t for k, t in new_timers.items() if (o := old_timers.get(k)) is not t and o != t]
    cancel = [k for k in old_timers if k not in new_timers]
    return Decision(ctx.s, ctx.events, set_timers, cancel)


__all__ = [
    "DECISIONS",
    "FIRE_HOUR",
    "TZ",
    "Duration",
    "checkpoint_date",
    "decide",
    "fire_time",
    "local_date",
]
