"""Tasks: requests to a party, created by phases, and accepted, declined or completed by it."""

from __future__ import annotations

from datetime import date, timedelta

from msgspec.structs import replace

from engine.core import commands as c
from engine.core.definition import Phase, Task
from engine.core.rules.context import Context, Reject, blank, business_day, default_notify, iso
from engine.core.state import CaseState, Member, TaskState

STATUS_SV = {
    "open": "öppen",
    "accepted": "accepterad",
    "declined": "avböjd",
    "completed": "klar",
    "cancelled": "avbruten",
}


def instance_id(s: CaseState, base: str) -> str:
    """A task's id: its spec's id, numbered from 2 when the phase is visited again."""
    if base not in s.tasks:
        return base
    n = 2
    while f"{base}_{n}" in s.tasks:
        n += 1
    return f"{base}_{n}"


def create_task(ctx: Context, spec: Task, phase: Phase) -> None:
    anchor, cal = _anchor(ctx, spec), ctx.d.working_calendar
    due = spec.due.after(anchor, cal) if spec.due else None
    add_task(
        ctx,
        TaskState(
            id=instance_id(ctx.s, spec.id),
            spec=spec.id,
            kind="task",
            label=spec.label,
            phase=phase.id,
            responsible=spec.responsible,
            party=ctx.d.party_of(spec.responsible),
            status="open",
            created_on=ctx.today,
            due=due,
            blocking=spec.blocking,
            meeting=spec.meeting,
            priority=spec.priority,
            follow_up=spec.follow_up.after(anchor, cal) if spec.follow_up else None,
        ),
        spec,
    )


def _anchor(ctx: Context, spec: Task) -> date:
    src = spec.due_from
    if src == "phase_start":
        return ctx.s.phase_entered_on
    if src == "case_start":
        return ctx.s.started_on
    if src.startswith("fact:"):
        value = ctx.s.facts.get(src[5:])
        return value if isinstance(value, date) else ctx.today
    return ctx.today  # task:<id>: counted from when that task was completed, i.e. now


def default_assignee(s: CaseState, party: str, responsible: str) -> Member | None:
    """Who a new task of `party` goes to: the member whose role is the task's responsible role,
    else the party's first member; None without a team for the party."""
    members = s.team.get(party, ())
    return next((m for m in members if m.role == responsible), members[0] if members else None)


def assigned(task: TaskState, member: Member | None) -> TaskState:
    if member is None:
        return replace(task, assignee=None, assignee_name=None)
    return replace(task, assignee=member.user_id, assignee_name=member.name)


def add_task(ctx: Context, task: TaskState, spec: Task | None = None) -> None:
    """A new task, assigned to the party's team member for it (`team.default_assignee`), if any."""
    if task.assignee is None:
        task = assigned(task, default_assignee(ctx.s, task.party, task.responsible))
    ctx.s.tasks[task.id] = task
    ctx.emit(
        "TaskCreated",
        notify=(task.responsible,),
        task=task.id,
        label=task.label,
        kind=task.kind,
        responsible=task.responsible,
        party=task.party,
        due=iso(task.due),
        blocking=task.blocking,
        meeting=task.meeting,
        assignee=task.assignee,
        assignee_name=task.assignee_name,
        priority=task.priority,
        follow_up=iso(task.follow_up),
    )
    set_task_timers(ctx, task, spec)


def set_task_timers(ctx: Context, task: TaskState, spec: Task | None) -> None:
    """The task's reminders, escalation and deadline, from its due date (none without one)."""
    ctx.drop_timers(f"task:{task.id}:")
    if task.due is None:
        return
    cal = ctx.d.working_calendar
    if spec is not None:
        for i, before in enumerate(spec.reminders):
            day = business_day(ctx, before.before(task.due, cal))
            if day > ctx.today:
                ctx.set_timer(f"task:{task.id}:remind:{i}", day, "reminder", task.id)
        if spec.escalation is not None:
            day = spec.escalation.after.after(task.due, cal) + timedelta(days=1)
            ctx.set_timer(f"task:{task.id}:escalate", day, "escalation", task.id)
    ctx.set_timer(f"task:{task.id}:due", task.due + timedelta(days=1), "deadline", task.id)


def close_task(ctx: Context, task: TaskState, status: str, reason: str | None = None) -> TaskState:
    closed = replace(task, status=status, closed_on=ctx.today, reason=reason)
    ctx.s.tasks[task.id] = closed
    ctx.drop_timers(f"task:{task.id}:")
    return closed


def _task(ctx: Context, task_id: str) -> TaskState:
    t = ctx.s.tasks.get(task_id)
    if t is None:
        raise Reject("unknown_task", f"Uppgiften '{task_id}' finns inte i ärendet", field="task_id")
    return t


def open_task(ctx: Context, task_id: str) -> TaskState:
    t = _task(ctx, task_id)
    if not t.is_open:
        raise Reject("task_not_open", f"Uppgiften '{t.label}' är redan {STATUS_SV[t.status]}", status=t.status)
    return t


def accept_task(ctx: Context, cmd: c.AcceptTask) -> None:
    t = open_task(ctx, cmd.task_id)
    if t.status == "accepted":
        raise Reject("task_not_open", f"Uppgiften '{t.label}' är redan accepterad", status=t.status)
    ctx.s.tasks[t.id] = replace(t, status="accepted", closed_on=None, reason=None)
    ctx.emit("TaskAccepted", task=t.id, party=t.party)


def decline_task(ctx: Context, cmd: c.DeclineTask) -> None:
    t = open_task(ctx, cmd.task_id)
    if blank(cmd.reason):
        raise Reject("reason_required", "Ange varför uppgiften avböjs", field="reason")
    close_task(ctx, t, "declined", cmd.reason)
    ctx.emit("TaskDeclined", notify=(default_notify(ctx),), task=t.id, party=t.party, reason=cmd.reason)


def complete_task(ctx: Context, cmd: c.CompleteTask) -> None:
    t = open_task(ctx, cmd.task_id)
    close_task(ctx, t, "completed", cmd.note)
    ctx.emit("TaskCompleted", task=t.id, party=t.party, note=cmd.note)
    if t.spec is not None and t.phase == ctx.s.phase:
        phase = ctx.d.phase_by_id[ctx.s.phase]
        for spec in phase.tasks:
            if spec.due_from == f"task:{t.spec}":
                create_task(ctx, spec, phase)


def comment_task(ctx: Context, cmd: c.CommentTask) -> None:
    t = _task(ctx, cmd.task_id)
    if blank(cmd.text):
        raise Reject("comment_empty", "Kommentaren är tom", field="text")
    ctx.emit("TaskCommented", task=t.id, text=cmd.text)
