"""How a case starts and ends: the referral, and avslut with an outcome or as an avbrott."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.core import commands as c
from engine.core.definition import Definition, Guard, PhaseKind
from engine.core.localtime import local_date
from engine.core.rules.context import Context, Reject, blank
from engine.core.rules.facts import set_fact
from engine.core.rules.phases import check_guard, enter_phase
from engine.core.rules.tasks import close_task
from engine.core.rules.team import join
from engine.core.state import CaseState, Consent


def refer(d: Definition, cmd: c.Refer, now: datetime) -> Context:
    """The new case's context: its first state, in the definition's start phase."""
    if blank(cmd.case_id):
        raise Reject("invalid_value", "Ärendet saknar id", field="case_id")
    today = local_date(now)
    start = d.phase_by_id[d.start]
    s = CaseState(
        case_id=cmd.case_id,
        definition_id=d.id,
        definition_version=d.version,
        status="active",
        phase=start.id,
        phase_entered_on=today,
        started_on=today,
        anonymous=cmd.anonymous,
        referred_by=cmd.referred_by,
    )
    if cmd.referred_by not in d.party_ids and cmd.referred_by not in d.role_by_id:
        raise Reject("unknown_party", f"Okänd part '{cmd.referred_by}'", field="referred_by")
    ctx = Context(d, s, now, cmd.actor)
    ctx.emit(
        "CaseReferred",
        referred_by=cmd.referred_by,
        anonymous=cmd.anonymous,
        definition=d.key,
    )
    if cmd.actor is not None and not blank(cmd.referrer_name):
        assert cmd.referrer_name is not None
        role = cmd.referrer_role if cmd.referrer_role in d.role_by_id else None
        join(ctx, d.party_of(cmd.referred_by), cmd.actor, cmd.referrer_name, role)
    for name, value in cmd.facts.items():
        set_fact(ctx, name, value)
    enter_phase(ctx, start)
    return ctx


def _close_case(ctx: Context, **data: Any) -> None:
    s = ctx.s
    for t in list(s.tasks.values()):
        if t.is_open:
            close_task(ctx, t, "cancelled", reason="case_closed")
            ctx.emit("TaskCancelled", task=t.id, reason="case_closed")
    s.timers.clear()
    s.status = "closed"
    s.closed_on = ctx.today
    consent = s.consent
    notify = tuple(consent.parties) if consent is not None and consent.active else ()
    if consent is not None and consent.active:
        s.consent = Consent(consent.parties, consent.given_on, consent.form, consent.recorded_by, ctx.today)
        ctx.emit("ConsentEnded", parties=list(consent.parties))
    ctx.emit("CaseClosed", notify=notify, phase=s.phase, **data)


def exit_case(ctx: Context, cmd: c.ExitCase) -> None:
    d, s = ctx.d, ctx.s
    phase = d.phase_by_id[s.phase]
    if phase.kind is not PhaseKind.EXIT:
        raise Reject("exit_phase_required", f"Avslut med utfall görs i en avslutsfas, inte i {phase.label}")
    if cmd.outcome not in {o.value for o in d.outcomes}:
        raise Reject("unknown_outcome", f"Okänt utfall '{cmd.outcome}'", field="outcome")
    if cmd.outcome in {o.value for o in d.reasons_required_for} and blank(cmd.reason):
        raise Reject("reason_required", f"Utfallet {cmd.outcome} kräver en orsak", field="reason")
    failure = check_guard(ctx, Guard(tasks_done=True))
    if failure is not None:
        raise failure
    s.outcome = cmd.outcome
    s.outcome_reason = cmd.reason
    _close_case(ctx, outcome=cmd.outcome, reason=cmd.reason, avbrott=False)


def abort_case(ctx: Context, cmd: c.AbortCase) -> None:
    if blank(cmd.reason):
        raise Reject("reason_required", "Ange orsak till avbrottet", field="reason")
    if ctx.d.avbrott_reasons and cmd.reason not in ctx.d.avbrott_reasons:
        raise Reject(
            "unknown_reason",
            "Orsaken ska vara en av: " + ", ".join(ctx.d.avbrott_reasons),
            field="reason",
        )
    ctx.s.aborted = True
    ctx.s.outcome_reason = cmd.reason
    _close_case(ctx, outcome=None, reason=cmd.reason, note=cmd.note, avbrott=True)


def protect_identity(ctx: Context, cmd: c.ProtectIdentity) -> None:
    """Skyddade personuppgifter: the case records the fact; the service removes name and
    personnummer. Protection never waits, so it is allowed on a closed case too."""
    ctx.emit("ProtectedIdentitySet")
