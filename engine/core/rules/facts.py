"""Facts recorded on a case, and the checkpoints of rehabiliteringskedjan a sick-period start sets."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from msgspec.structs import replace

from engine.core import commands as c
from engine.core.definition import FactType
from engine.core.rules.context import Context, Reject, business_day
from engine.core.rules.tasks import add_task, instance_id, set_task_timers
from engine.core.state import CaseState, TaskState


def record_fact(ctx: Context, cmd: c.RecordFact) -> None:
    set_fact(ctx, cmd.fact, cmd.value)


def set_fact(ctx: Context, name: str, value: Any) -> None:
    d, s = ctx.d, ctx.s
    spec = d.fact_by_id.get(name)
    if spec is None:
        raise Reject("unknown_fact", "Uppgiften finns inte i processen", field="fact")
    value = _coerce_fact(spec.type, value, name, spec.label)
    s.facts[name] = value
    ctx.emit("FactRecorded", fact=name, value=value.isoformat() if isinstance(value, date) else value)
    rk = d.rehabiliteringskedjan
    if rk is not None and rk.fact == name and isinstance(value, date):
        _set_rehab_timers(ctx, value)
    if isinstance(value, date):
        _move_due_dates(ctx, name, value)


def _move_due_dates(ctx: Context, name: str, value: date) -> None:
    """Open tasks of the phase whose due date counts from this fact get the new due date."""
    d, s = ctx.d, ctx.s
    for spec_task in d.phase_by_id[s.phase].tasks:
        if spec_task.due_from != f"fact:{name}":
            continue
        for t in list(s.tasks.values()):
            if t.spec == spec_task.id and t.is_open and spec_task.due is not None:
                due = spec_task.due.after(value, d.working_calendar)
                if due != t.due:
                    moved = replace(t, due=due)
                    s.tasks[t.id] = moved
                    set_task_timers(ctx, moved, spec_task)
                    ctx.emit("TaskDueChanged", notify=(t.responsible,), task=t.id, due=due.isoformat())


FACT_TYPE_SV = {
    FactType.DATE: "ett datum",
    FactType.BOOL: "ja eller nej",
    FactType.NUMBER: "ett tal",
    FactType.TEXT: "en text",
}


def _coerce_fact(kind: FactType, value: Any, name: str, label: str) -> Any:
    try:
        if kind is FactType.DATE:
            if isinstance(value, datetime):
                raise TypeError
            return value if isinstance(value, date) else date.fromisoformat(value)
        if kind is FactType.BOOL:
            if not isinstance(value, bool):
                raise TypeError
            return value
        if kind is FactType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError
            # What the state's JSON can hold: no NaN or infinity, integers within 64 bits.
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError
            if isinstance(value, int) and not -(2**63) <= value < 2**63:
                raise ValueError
            return value
        if not isinstance(value, str):
            raise TypeError
        return value
    except (TypeError, ValueError):
        raise Reject(
            "invalid_fact_value", f"'{label}' ska vara {FACT_TYPE_SV[kind]}", field="value", fact=name
        ) from None


def _set_rehab_timers(ctx: Context, sick_start: date) -> None:
    rk = ctx.d.rehabiliteringskedjan
    assert rk is not None
    cal = ctx.d.working_calendar
    ctx.drop_timers("rehab:")
    for day in rk.checkpoints:
        checkpoint = checkpoint_date(sick_start, day)
        if checkpoint <= ctx.today:
            continue
        warn = business_day(ctx, rk.warn_before.before(checkpoint, cal))
        if warn > ctx.today:
            ctx.set_timer(f"rehab:{day}:warn", warn, "rehab_warning", str(day))
        elif not _rehab_warned(ctx.s, checkpoint):
            # Recorded inside the warning window: FK is warned today rather than never.
            warn_rehab_checkpoint(ctx, day, checkpoint)
        ctx.set_timer(f"rehab:{day}", checkpoint, "rehab_checkpoint", str(day))


def _rehab_warned(s: CaseState, checkpoint: date) -> bool:
    """A warning for this checkpoint date was already given (the same start recorded again)."""
    return any(t.kind == "rehab_checkpoint" and t.due == checkpoint for t in s.tasks.values())


def warn_rehab_checkpoint(ctx: Context, day_n: int, checkpoint: date) -> None:
    rk = ctx.d.rehabiliteringskedjan
    assert rk is not None
    ctx.emit("RehabCheckpointWarning", notify=(rk.notify,), day=day_n, checkpoint_on=checkpoint.isoformat())
    add_task(
        ctx,
        TaskState(
            id=instance_id(ctx.s, f"rehabkedjan_dag_{day_n}"),
            spec=None,
            kind="rehab_checkpoint",
            label=f"Rehabiliteringskedjan dag {day_n}: pröva arbetsförmågan",
            phase=None,
            responsible=rk.notify,
            party=ctx.d.party_of(rk.notify),
            status="open",
            created_on=ctx.today,
            due=checkpoint,
            blocking=False,
        ),
    )


def checkpoint_date(sick_start: date, day: int) -> date:
    """Day N of a sick period; the first day of sickness is day 1."""
    return sick_start + timedelta(days=day - 1)
