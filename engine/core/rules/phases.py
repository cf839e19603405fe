"""Phases: entering one (its tasks and timers), the guarded transitions, extensions."""

from __future__ import annotations

from datetime import date, timedelta

from engine.core import commands as c
from engine.core.definition import Guard, Phase
from engine.core.duration import Duration
from engine.core.rules.context import Context, Reject, business_day, iso
from engine.core.rules.tasks import close_task, create_task
from engine.core.words import DECISIONS


def enter_phase(ctx: Context, phase: Phase) -> None:
    s, d = ctx.s, ctx.d
    s.phase = phase.id
    s.phase_entered_on = ctx.today
    s.phase_visits.append((phase.id, ctx.today))
    s.phase_ends_on = phase.max_length.after(ctx.today, d.working_calendar) if phase.max_length else None
    s.follow_ups = 0
    ctx.emit("PhaseEntered", phase=phase.id, label=phase.label, kind=phase.kind.value, ends_on=iso(s.phase_ends_on))
    for spec in phase.tasks:
        if not spec.due_from.startswith("task:"):
            create_task(ctx, spec, phase)
    if s.phase_ends_on is not None:
        ctx.set_timer("phase:max", s.phase_ends_on + timedelta(days=1), "phase_max_length", phase.id)
        if phase.midpoint_review is not None:
            midpoint = ctx.today + (s.phase_ends_on - ctx.today) / 2
            ctx.set_timer("phase:midpoint", business_day(ctx, midpoint), "midpoint_review", phase.id)
    if phase.follow_up is not None:
        set_follow_up_timer(ctx, phase)
    timers = d.global_timers
    for name, gt in (("no_contact", timers.no_contact), ("max_time", timers.max_time)):
        if gt is None or name in s.global_timers_started:
            continue
        if (gt.starts_in or d.start) == phase.id:
            s.global_timers_started = (*s.global_timers_started, name)
            ctx.set_timer(f"global:{name}", gt.after.after(ctx.today, d.working_calendar), name)
    # Consent ends at avslut, i.e. when the case closes (closing.close_case), not when the exit phase starts.


def set_follow_up_timer(ctx: Context, phase: Phase) -> None:
    """The n-th follow-up is counted from the phase start (not from the last one), so dates do not drift."""
    fu = phase.follow_up
    assert fu is not None
    n = ctx.s.follow_ups + 1
    nominal = Duration(fu.every.amount * n, fu.every.unit).after(ctx.s.phase_entered_on, ctx.d.working_calendar)
    ctx.set_timer("phase:follow_up", max(business_day(ctx, nominal), ctx.today), "follow_up", phase.id)


def _leave_phase(ctx: Context) -> None:
    s = ctx.s
    for t in list(s.tasks.values()):
        if t.phase is not None and t.is_open:
            close_task(ctx, t, "cancelled", reason="phase_left")
            ctx.emit("TaskCancelled", task=t.id, reason="phase_left")
    ctx.drop_timers("phase:")
    ctx.emit("PhaseLeft", phase=s.phase)


def start_phase(ctx: Context, cmd: c.StartPhase) -> None:
    d, s = ctx.d, ctx.s
    target = d.phase_by_id.get(cmd.phase)
    if target is None:
        raise Reject("unknown_phase", "Fasen finns inte i processen", field="phase")
    current = d.phase_by_id[s.phase]
    candidates = [t for t in current.transitions if t.to == target.id]
    if not candidates:
        raise Reject(
            "transition_not_allowed",
            f"Kan inte gå från {current.label} till {target.label}",
            from_phase=current.id,
            to_phase=target.id,
        )
    first_failure: Reject | None = None
    for transition in candidates:
        failure = check_guard(ctx, transition.when)
        if failure is None:
            break
        first_failure = first_failure or failure
    else:
        assert first_failure is not None
        raise first_failure
    _leave_phase(ctx)
    enter_phase(ctx, target)


def check_guard(ctx: Context, g: Guard) -> Reject | None:
    """Why the guard does not hold (the first reason), or None when it does."""
    s = ctx.s
    consent = s.consent
    if g.consent == "active" and (consent is None or not consent.active):
        return Reject("consent_required", "Ett aktivt samtycke krävs")
    if g.consent_covers:
        missing = [p for p in g.consent_covers if consent is None or not consent.covers(p)]
        if missing:
            party_labels = {p.id: p.label for p in ctx.d.parties}
            names = [party_labels.get(p, p) for p in missing]
            return Reject(
                "consent_required",
                "Samtycket ska omfatta " + and_list(names),
                missing_parties=missing,
            )
    if g.decision is not None and s.decision != g.decision:
        return Reject(
            "decision_required",
            f"Beslut om deltagande ska vara {DECISIONS[g.decision]}",
            required=g.decision,
        )
    if g.tasks_done:
        pending = [t.id for t in s.tasks.values() if t.phase == s.phase and t.blocking and t.is_open]
        if pending:
            labels = [f"'{s.tasks[t].label}'" for t in pending]
            which = "Uppgiften " + labels[0] + " är" if len(labels) == 1 else "Uppgifterna " + and_list(labels) + " är"
            return Reject("tasks_not_done", which + " inte klar" + ("" if len(labels) == 1 else "a"), tasks=pending)
    if g.fact is not None and g.fact not in s.facts:
        spec = ctx.d.fact_by_id.get(g.fact)
        label = spec.label if spec is not None else "Ett faktum"
        return Reject("fact_required", f"'{label}' är inte registrerat i ärendet", fact=g.fact)
    if g.anonymous is not None and s.anonymous != g.anonymous:
        return Reject(
            "participation_mode",
            "Vägen gäller bara anonyma deltagare" if g.anonymous else "Vägen gäller bara deltagare med samtycke",
        )
    if g.any_of:
        failures = [check_guard(ctx, alt) for alt in g.any_of]
        if all(f is not None for f in failures):
            return failures[0]
    return None


def and_list(items: list[str]) -> str:
    """'a', 'a och b', 'a, b och c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]


def extend_phase(ctx: Context, cmd: c.ExtendPhase) -> None:
    d, s = ctx.d, ctx.s
    phase = d.phase_by_id[s.phase]
    if phase.extension is None or s.phase_ends_on is None:
        raise Reject("extension_not_allowed", f"{phase.label} kan inte förlängas")
    cal = d.working_calendar
    step, base = phase.extension.step, phase.max_length
    new_end: date
    if base is not None and base.unit is step.unit and step.amount > 0:
        # The k-th extension ends base + k steps after the phase start (counted from the start, as
        # follow-ups are), so month-end clamping (31 Aug -> 30 Nov -> 28 Feb -> 28 May) eats no days.
        k = 1
        new_end = Duration(base.amount + step.amount, step.unit).after(s.phase_entered_on, cal)
        while new_end <= s.phase_ends_on:
            k += 1
            new_end = Duration(base.amount + k * step.amount, step.unit).after(s.phase_entered_on, cal)
    else:
        new_end = step.after(s.phase_ends_on, cal)
    limit = phase.extension.up_to.after(s.phase_entered_on, cal)
    if new_end > limit:
        raise Reject(
            "extension_limit_reached",
            f"{phase.label} kan förlängas högst till {phase.extension.up_to} ({limit.isoformat()})",
            limit=limit.isoformat(),
        )
    s.phase_ends_on = new_end
    ctx.set_timer("phase:max", new_end + timedelta(days=1), "phase_max_length", phase.id)
    ctx.emit("PhaseExtended", phase=phase.id, ends_on=new_end.isoformat(), reason=cmd.reason)
