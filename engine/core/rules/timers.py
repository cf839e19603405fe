"""A timer that came due: reminders, deadlines and escalations of tasks, the phase's length,
follow-ups and the midpoint review, the case-wide timers and rehabiliteringskedjan."""

from __future__ import annotations

from msgspec.structs import replace

from engine.core import commands as c
from engine.core.rules.context import Context, Reject, default_notify, iso
from engine.core.rules.facts import checkpoint_date, warn_rehab_checkpoint
from engine.core.rules.phases import set_follow_up_timer
from engine.core.rules.tasks import add_task, instance_id
from engine.core.state import TaskState, Timer


def fire_timer(ctx: Context, cmd: c.FireTimer) -> None:
    s = ctx.s
    timer = s.timers.get(cmd.timer_id)
    if timer is None:
        raise Reject("timer_not_active", f"Timern '{cmd.timer_id}' är inte aktiv")
    if timer.at > ctx.now:
        raise Reject("timer_not_due", f"Timern '{cmd.timer_id}' har inte förfallit", due=timer.at.isoformat())
    del s.timers[timer.id]
    kind = timer.kind
    if kind in ("reminder", "deadline", "escalation"):
        _task_timer(ctx, timer)
    elif kind in ("phase_max_length", "follow_up", "midpoint_review"):
        _phase_timer(ctx, kind)
    elif kind in ("no_contact", "max_time"):
        _global_timer(ctx, kind)
    elif kind in ("rehab_warning", "rehab_checkpoint"):
        _rehab_timer(ctx, timer)
    else:  # pragma: no cover - a timer kind this engine never sets
        raise Reject("timer_not_active", f"Okänd timer '{kind}'")


def _task_timer(ctx: Context, timer: Timer) -> None:
    d, s = ctx.d, ctx.s
    t = s.tasks[timer.ref or ""]
    if timer.kind == "reminder":
        ctx.emit("ReminderDue", notify=(t.responsible,), task=t.id, due=iso(t.due), party=t.party)
    elif timer.kind == "deadline":
        ctx.emit("DeadlineMissed", notify=(t.responsible,), task=t.id, due=iso(t.due), party=t.party)
    else:
        spec = d.task_by_id[t.spec or ""][1] if t.spec in d.task_by_id else None
        to = spec.escalation.to if spec and spec.escalation else t.responsible
        s.tasks[t.id] = replace(t, escalated_to=to)
        ctx.emit("TaskEscalated", notify=(to,), task=t.id, to=to, due=iso(t.due), party=t.party)


def _phase_timer(ctx: Context, kind: str) -> None:
    d, s = ctx.d, ctx.s
    phase = d.phase_by_id[s.phase]
    cal = d.working_calendar
    if kind == "phase_max_length":
        notify = phase.notify_on_max_length or default_notify(ctx)
        ctx.emit("PhaseMaxLengthReached", notify=(notify,), phase=phase.id, ends_on=iso(s.phase_ends_on))
    elif kind == "follow_up":
        fu = phase.follow_up
        assert fu is not None
        s.follow_ups += 1
        add_task(
            ctx,
            TaskState(
                id=instance_id(s, f"{phase.id}_uppfoljning_{s.follow_ups}"),
                spec=None,
                kind="follow_up",
                label=f"{fu.label} {s.follow_ups}",
                phase=phase.id,
                responsible=fu.responsible,
                party=d.party_of(fu.responsible),
                status="open",
                created_on=ctx.today,
                due=fu.due.after(ctx.today, cal),
                blocking=False,
            ),
        )
        set_follow_up_timer(ctx, phase)
    else:
        mr = phase.midpoint_review
        assert mr is not None
        add_task(
            ctx,
            TaskState(
                id=instance_id(s, f"{phase.id}_halvtid"),
                spec=None,
                kind="midpoint_review",
                label=mr.label,
                phase=phase.id,
                responsible=mr.responsible,
                party=d.party_of(mr.responsible),
                status="open",
                created_on=ctx.today,
                due=mr.due.after(ctx.today, cal),
                blocking=False,
            ),
        )


def _global_timer(ctx: Context, kind: str) -> None:
    d, s = ctx.d, ctx.s
    if kind == "no_contact":
        gt = d.global_timers.no_contact
        assert gt is not None
        ctx.emit("NoContactAlert", notify=(gt.notify,), last_contact_on=iso(s.last_contact_on))
        ctx.set_timer("global:no_contact", gt.after.after(ctx.today, d.working_calendar), "no_contact")
    else:
        gt = d.global_timers.max_time
        assert gt is not None
        ctx.emit("MaxTimeReached", notify=(gt.notify,), started_on=s.started_on.isoformat())


def _rehab_timer(ctx: Context, timer: Timer) -> None:
    rk = ctx.d.rehabiliteringskedjan
    assert rk is not None
    day_n = int(timer.ref or 0)
    if timer.kind == "rehab_warning":
        warn_rehab_checkpoint(ctx, day_n, checkpoint_date(ctx.s.facts[rk.fact], day_n))
    else:
        ctx.emit("RehabCheckpointReached", notify=(rk.notify,), day=day_n)
