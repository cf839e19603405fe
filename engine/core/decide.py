"""`decide(definition, state, command, now)`: the whole behaviour of a case as one pure function.

No clock reads, no I/O, no randomness: `now` and ids come in as arguments. The function copies
the state it is given, applies the command, and returns the new state with the events and the
timer changes (computed as the difference between the old and new timer sets, so they can
never disagree with the state).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from engine.core import commands as c
from engine.core.definition import Definition, FactType, Guard, Phase, PhaseKind, Task
from engine.core.duration import Duration
from engine.core.events import Decision, Event, Rejected
from engine.core.state import CaseState, Consent, TaskState, Timer

TZ = ZoneInfo("Europe/Stockholm")
FIRE_HOUR = time(6, 0)
"""Timers fire at 06:00 Swedish time on their day, before office hours start."""

DECISIONS = ("admitted", "not_admitted", "on_hold")


class _Reject(Exception):
    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.rejection = Rejected(code, message, details)


def local_date(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(TZ).date()


@lru_cache(maxsize=4096)
def fire_time(day: date) -> datetime:
    """The UTC instant a timer set for `day` fires (memoised: a pure function of the day)."""
    return datetime.combine(day, FIRE_HOUR, TZ).astimezone(UTC)


_new = object.__new__
_set_type, _set_at, _set_data, _set_notify = (getattr(Event, name).__set__ for name in ("type", "at", "data", "notify"))
assert Event.__slots__ == ("type", "at", "data", "notify"), "update _Ctx.emit"
_set_timer_id, _set_timer_at, _set_timer_kind, _set_timer_ref = (
    getattr(Timer, name).__set__ for name in ("id", "at", "kind", "ref")
)
assert Timer.__slots__ == ("id", "at", "kind", "ref"), "update _Ctx.set_timer"


class _Ctx:
    __slots__ = ("d", "s", "now", "today", "events", "actor")

    def __init__(self, d: Definition, s: CaseState, now: datetime, actor: str | None) -> None:
        self.d = d
        self.s = s
        self.now = now
        self.today = local_date(now)
        self.events: list[Event] = []
        self.actor = actor

    def emit(self, type_: str, notify: tuple[str, ...] = (), **data: Any) -> None:
        if self.actor is not None:
            data["actor"] = self.actor
        # Event(type_, self.now, data, notify), without the frozen __init__'s object.__setattr__ calls
        event: Event = _new(Event)
        _set_type(event, type_)
        _set_at(event, self.now)
        _set_data(event, data)
        _set_notify(event, notify)
        self.events.append(event)

    def set_timer(self, timer_id: str, day: date, kind: str, ref: str | None = None) -> None:
        # Timer(timer_id, fire_time(day), kind, ref), without the frozen __init__'s object.__setattr__ calls
        timer: Timer = _new(Timer)
        _set_timer_id(timer, timer_id)
        _set_timer_at(timer, fire_time(day))
        _set_timer_kind(timer, kind)
        _set_timer_ref(timer, ref)
        self.s.timers[timer_id] = timer

    def drop_timers(self, prefix: str) -> None:
        for key in [k for k in self.s.timers if k.startswith(prefix)]:
            del self.s.timers[key]


def decide(definition: Definition, state: CaseState | None, command: c.Command, now: datetime) -> Decision | Rejected:
    bad = c.misshapen_field(command)
    if bad is not None:
        return Rejected("invalid_value", f"Fältet '{bad}' har fel typ", {"field": bad})
    if isinstance(command, c.Refer):
        if state is not None:
            return Rejected("case_exists", "Ärendet finns redan")
        try:
            return _refer(definition, command, now)
        except _Reject as r:
            return r.rejection
    if state is None:
        return Rejected("case_not_found", "Ärendet finns inte")
    if state.definition_id != definition.id or state.definition_version != definition.version:
        return Rejected(
            "definition_mismatch",
            f"Ärendet följer {state.definition_id}@{state.definition_version}, inte {definition.key}",
        )
    if isinstance(command, c.ProtectIdentity):  # protection never waits, not even for a closed case
        ctx = _Ctx(definition, state.clone(), now, command.actor)
        ctx.emit("ProtectedIdentitySet")
        return _decision(state, ctx)
    if state.closed:
        return Rejected("case_closed", "Ärendet är avslutat")
    handler = _HANDLERS.get(type(command))
    if handler is None:
        return Rejected("unknown_command", f"Okänt kommando {type(command).__name__}")
    ctx = _Ctx(definition, state.clone(), now, command.actor)
    try:
        handler(ctx, command)
    except _Reject as r:
        return r.rejection
    return _decision(state, ctx)


def _decision(old: CaseState | None, ctx: _Ctx) -> Decision:
    new_timers = ctx.s.timers
    old_timers = old.timers if old is not None else {}
    # most timers are carried over as the very same object; compare the rest by value
    set_timers = [t for k, t in new_timers.items() if (o := old_timers.get(k)) is not t and o != t]
    cancel = [k for k in old_timers if k not in new_timers]
    return Decision(ctx.s, ctx.events, set_timers, cancel)


# --- referral ---------------------------------------------------------------------------


def _refer(d: Definition, cmd: c.Refer, now: datetime) -> Decision:
    if _blank(cmd.case_id):
        raise _Reject("invalid_value", "Ärendet saknar id", field="case_id")
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
        raise _Reject("unknown_party", f"Okänd part '{cmd.referred_by}'", field="referred_by")
    ctx = _Ctx(d, s, now, cmd.actor)
    ctx.emit(
        "CaseReferred",
        referred_by=cmd.referred_by,
        anonymous=cmd.anonymous,
        definition=d.key,
    )
    for name, value in cmd.facts.items():
        _set_fact(ctx, name, value)
    _enter_phase(ctx, start)
    return _decision(None, ctx)


# --- phases -----------------------------------------------------------------------------


def _enter_phase(ctx: _Ctx, phase: Phase) -> None:
    s, d = ctx.s, ctx.d
    s.phase = phase.id
    s.phase_entered_on = ctx.today
    s.phase_visits.append((phase.id, ctx.today))
    s.phase_ends_on = phase.max_length.after(ctx.today, d.working_calendar) if phase.max_length else None
    s.follow_ups = 0
    ctx.emit("PhaseEntered", phase=phase.id, label=phase.label, kind=phase.kind.value, ends_on=_iso(s.phase_ends_on))
    for spec in phase.tasks:
        if not spec.due_from.startswith("task:"):
            _create_task(ctx, spec, phase)
    if s.phase_ends_on is not None:
        ctx.set_timer("phase:max", s.phase_ends_on + timedelta(days=1), "phase_max_length", phase.id)
        if phase.midpoint_review is not None:
            midpoint = ctx.today + (s.phase_ends_on - ctx.today) / 2
            ctx.set_timer("phase:midpoint", _business_day(ctx, midpoint), "midpoint_review", phase.id)
    if phase.follow_up is not None:
        _set_follow_up_timer(ctx, phase)
    timers = d.global_timers
    for name, gt in (("no_contact", timers.no_contact), ("max_time", timers.max_time)):
        if gt is None or name in s.global_timers_started:
            continue
        if (gt.starts_in or d.start) == phase.id:
            s.global_timers_started = (*s.global_timers_started, name)
            ctx.set_timer(f"global:{name}", gt.after.after(ctx.today, d.working_calendar), name)
    if phase.kind is PhaseKind.EXIT and s.consent is not None and s.consent.active:
        pass  # consent ends at avslut, i.e. when the case closes, not when the exit phase starts


def _business_day(ctx: _Ctx, day: date) -> date:
    """Reminders and planned follow-ups that fall on a day off move to the working day before."""
    if ctx.d.calendar.reminders_on_working_days:
        return ctx.d.working_calendar.on_or_before(day)
    return day


def _set_follow_up_timer(ctx: _Ctx, phase: Phase) -> None:
    """The n-th follow-up is counted from the phase start (not from the last one), so dates do not drift."""
    fu = phase.follow_up
    assert fu is not None
    n = ctx.s.follow_ups + 1
    nominal = Duration(fu.every.amount * n, fu.every.unit).after(ctx.s.phase_entered_on, ctx.d.working_calendar)
    ctx.set_timer("phase:follow_up", max(_business_day(ctx, nominal), ctx.today), "follow_up", phase.id)


def _leave_phase(ctx: _Ctx) -> None:
    s = ctx.s
    for t in list(s.tasks.values()):
        if t.phase is not None and t.is_open:
            _close_task(ctx, t, "cancelled", reason="phase_left")
            ctx.emit("TaskCancelled", task=t.id, reason="phase_left")
    ctx.drop_timers("phase:")
    ctx.emit("PhaseLeft", phase=s.phase)


def _start_phase(ctx: _Ctx, cmd: c.StartPhase) -> None:
    d, s = ctx.d, ctx.s
    target = d.phase_by_id.get(cmd.phase)
    if target is None:
        raise _Reject("unknown_phase", f"Fasen '{cmd.phase}' finns inte i definitionen", field="phase")
    current = d.phase_by_id[s.phase]
    candidates = [t for t in current.transitions if t.to == target.id]
    if not candidates:
        raise _Reject(
            "transition_not_allowed",
            f"Kan inte gå från {current.label} till {target.label}",
            from_phase=current.id,
            to_phase=target.id,
        )
    first_failure: _Reject | None = None
    for transition in candidates:
        failure = _check_guard(ctx, transition.when)
        if failure is None:
            break
        first_failure = first_failure or failure
    else:
        assert first_failure is not None
        raise first_failure
    _leave_phase(ctx)
    _enter_phase(ctx, target)


def _check_guard(ctx: _Ctx, g: Guard) -> _Reject | None:
    s = ctx.s
    consent = s.consent
    if g.consent == "active" and (consent is None or not consent.active):
        return _Reject("consent_required", "Ett aktivt samtycke krävs")
    if g.consent_covers:
        missing = [p for p in g.consent_covers if consent is None or not consent.covers(p)]
        if missing:
            return _Reject(
                "consent_required",
                "Samtycket omfattar inte " + ", ".join(missing),
                missing_parties=missing,
            )
    if g.decision is not None and s.decision != g.decision:
        return _Reject("decision_required", f"Beslut om deltagande krävs: {g.decision}", required=g.decision)
    if g.tasks_done:
        pending = [t.id for t in s.tasks.values() if t.phase == s.phase and t.blocking and t.is_open]
        if pending:
            return _Reject("tasks_not_done", "Blockerande uppgifter är inte klara", tasks=pending)
    if g.fact is not None and g.fact not in s.facts:
        return _Reject("fact_required", f"Faktum '{g.fact}' är inte registrerat", fact=g.fact)
    if g.anonymous is not None and s.anonymous != g.anonymous:
        return _Reject(
            "participation_mode",
            "Vägen gäller bara anonyma deltagare" if g.anonymous else "Vägen gäller bara deltagare med samtycke",
        )
    if g.any_of:
        failures = [_check_guard(ctx, alt) for alt in g.any_of]
        if all(f is not None for f in failures):
            return failures[0]
    return None


def _extend_phase(ctx: _Ctx, cmd: c.ExtendPhase) -> None:
    d, s = ctx.d, ctx.s
    phase = d.phase_by_id[s.phase]
    if phase.extension is None or s.phase_ends_on is None:
        raise _Reject("extension_not_allowed", f"{phase.label} kan inte förlängas")
    cal = d.working_calendar
    step, base = phase.extension.step, phase.max_length
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
        raise _Reject(
            "extension_limit_reached",
            f"{phase.label} kan förlängas högst till {phase.extension.up_to} ({limit.isoformat()})",
            limit=limit.isoformat(),
        )
    s.phase_ends_on = new_end
    ctx.set_timer("phase:max", new_end + timedelta(days=1), "phase_max_length", phase.id)
    ctx.emit("PhaseExtended", phase=phase.id, ends_on=new_end.isoformat(), reason=cmd.reason)


# --- tasks ------------------------------------------------------------------------------


def _anchor(ctx: _Ctx, spec: Task) -> date:
    src = spec.due_from
    if src == "phase_start":
        return ctx.s.phase_entered_on
    if src == "case_start":
        return ctx.s.started_on
    if src.startswith("fact:"):
        value = ctx.s.facts.get(src[5:])
        return value if isinstance(value, date) else ctx.today
    return ctx.today  # task:<id>: counted from when that task was completed, i.e. now


def _instance_id(s: CaseState, base: str) -> str:
    if base not in s.tasks:
        return base
    n = 2
    while f"{base}_{n}" in s.tasks:
        n += 1
    return f"{base}_{n}"


def _create_task(ctx: _Ctx, spec: Task, phase: Phase) -> None:
    cal = ctx.d.working_calendar
    due = spec.due.after(_anchor(ctx, spec), cal) if spec.due else None
    _add_task(
        ctx,
        TaskState(
            id=_instance_id(ctx.s, spec.id),
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
        ),
        spec,
    )


def _add_task(ctx: _Ctx, task: TaskState, spec: Task | None = None) -> None:
    ctx.s.tasks[task.id] = task
    ctx.emit(
        "TaskCreated",
        notify=(task.responsible,),
        task=task.id,
        label=task.label,
        kind=task.kind,
        responsible=task.responsible,
        party=task.party,
        due=_iso(task.due),
        blocking=task.blocking,
        meeting=task.meeting,
    )
    _set_task_timers(ctx, task, spec)


def _set_task_timers(ctx: _Ctx, task: TaskState, spec: Task | None) -> None:
    ctx.drop_timers(f"task:{task.id}:")
    if task.due is None:
        return
    cal = ctx.d.working_calendar
    if spec is not None:
        for i, before in enumerate(spec.reminders):
            day = _business_day(ctx, before.before(task.due, cal))
            if day > ctx.today:
                ctx.set_timer(f"task:{task.id}:remind:{i}", day, "reminder", task.id)
        if spec.escalation is not None:
            day = spec.escalation.after.after(task.due, cal) + timedelta(days=1)
            ctx.set_timer(f"task:{task.id}:escalate", day, "escalation", task.id)
    ctx.set_timer(f"task:{task.id}:due", task.due + timedelta(days=1), "deadline", task.id)


def _close_task(ctx: _Ctx, task: TaskState, status: str, reason: str | None = None) -> TaskState:
    closed = TaskState(
        task.id,
        task.spec,
        task.kind,
        task.label,
        task.phase,
        task.responsible,
        task.party,
        status,
        task.created_on,
        task.due,
        task.blocking,
        ctx.today,
        reason,
        task.escalated_to,
        task.meeting,
    )
    ctx.s.tasks[task.id] = closed
    ctx.drop_timers(f"task:{task.id}:")
    return closed


def _task(ctx: _Ctx, task_id: str) -> TaskState:
    t = ctx.s.tasks.get(task_id)
    if t is None:
        raise _Reject("unknown_task", f"Uppgiften '{task_id}' finns inte i ärendet", field="task_id")
    return t


def _open_task(ctx: _Ctx, task_id: str) -> TaskState:
    t = _task(ctx, task_id)
    if not t.is_open:
        raise _Reject("task_not_open", f"Uppgiften '{t.label}' är redan {_STATUS_SV[t.status]}", status=t.status)
    return t


_STATUS_SV = {
    "open": "öppen",
    "accepted": "accepterad",
    "declined": "avböjd",
    "completed": "klar",
    "cancelled": "avbruten",
}


def _accept_task(ctx: _Ctx, cmd: c.AcceptTask) -> None:
    t = _open_task(ctx, cmd.task_id)
    if t.status == "accepted":
        raise _Reject("task_not_open", f"Uppgiften '{t.label}' är redan accepterad", status=t.status)
    ctx.s.tasks[t.id] = TaskState(
        t.id,
        t.spec,
        t.kind,
        t.label,
        t.phase,
        t.responsible,
        t.party,
        "accepted",
        t.created_on,
        t.due,
        t.blocking,
        None,
        None,
        t.escalated_to,
        t.meeting,
    )
    ctx.emit("TaskAccepted", task=t.id, party=t.party)


def _decline_task(ctx: _Ctx, cmd: c.DeclineTask) -> None:
    t = _open_task(ctx, cmd.task_id)
    if _blank(cmd.reason):
        raise _Reject("reason_required", "Ange varför uppgiften avböjs", field="reason")
    _close_task(ctx, t, "declined", cmd.reason)
    ctx.emit("TaskDeclined", notify=_team_roles(ctx), task=t.id, party=t.party, reason=cmd.reason)


def _complete_task(ctx: _Ctx, cmd: c.CompleteTask) -> None:
    t = _open_task(ctx, cmd.task_id)
    _close_task(ctx, t, "completed", cmd.note)
    ctx.emit("TaskCompleted", task=t.id, party=t.party, note=cmd.note)
    if t.spec is not None and t.phase == ctx.s.phase:
        phase = ctx.d.phase_by_id[ctx.s.phase]
        for spec in phase.tasks:
            if spec.due_from == f"task:{t.spec}":
                _create_task(ctx, spec, phase)


def _comment_task(ctx: _Ctx, cmd: c.CommentTask) -> None:
    t = _task(ctx, cmd.task_id)
    if _blank(cmd.text):
        raise _Reject("comment_empty", "Kommentaren är tom", field="text")
    ctx.emit("TaskCommented", task=t.id, text=cmd.text)


def _blank(text: str | None) -> bool:
    """No text given: None (a required text left out) or only whitespace."""
    return text is None or not text.strip()


def _team_roles(ctx: _Ctx) -> tuple[str, ...]:
    return (_default_notify(ctx),)


# --- consent, decision, contact, facts -------------------------------------------------


def _record_consent(ctx: _Ctx, cmd: c.RecordConsent) -> None:
    parties = tuple(dict.fromkeys(cmd.parties))
    if not parties:
        raise _Reject("consent_scope_empty", "Samtycket måste omfatta minst en part", field="parties")
    unknown = [p for p in parties if p not in ctx.d.party_ids]
    if unknown:
        raise _Reject("unknown_party", "Okänd part: " + ", ".join(unknown), field="parties", parties=unknown)
    if cmd.given_on > ctx.today:
        raise _Reject("invalid_date", "Samtycket kan inte vara givet i framtiden", field="given_on")
    if _blank(cmd.form):
        raise _Reject("consent_form_required", "Ange hur samtycket gavs", field="form")
    ctx.s.consent = Consent(parties, cmd.given_on, cmd.form, cmd.actor or "okänd")
    ctx.emit("ConsentRecorded", parties=list(parties), given_on=cmd.given_on.isoformat(), form=cmd.form)


def _withdraw_consent(ctx: _Ctx, cmd: c.WithdrawConsent) -> None:
    consent = ctx.s.consent
    if consent is None or not consent.active:
        raise _Reject("consent_not_active", "Det finns inget aktivt samtycke att återkalla")
    removed = (
        consent.parties if cmd.parties is None else tuple(dict.fromkeys(p for p in cmd.parties if p in consent.parties))
    )
    if not removed:
        raise _Reject("consent_scope_empty", "Samtycket omfattar inte de angivna parterna", field="parties")
    remaining = tuple(p for p in consent.parties if p not in removed)
    ctx.s.consent = Consent(
        remaining,
        consent.given_on,
        consent.form,
        consent.recorded_by,
        None if remaining else ctx.today,
    )
    ctx.emit(
        "ConsentWithdrawn",
        notify=removed,
        parties=list(removed),
        remaining=list(remaining),
        reason=cmd.reason,
    )


def _decide_participation(ctx: _Ctx, cmd: c.DecideParticipation) -> None:
    if cmd.decision not in DECISIONS:
        raise _Reject("invalid_decision", f"Okänt beslut '{cmd.decision}'", field="decision")
    phase = ctx.d.phase_by_id[ctx.s.phase]
    if phase.kind is not PhaseKind.DECISION:
        raise _Reject("decision_not_expected", f"Beslut om deltagande fattas inte i fasen {phase.label}")
    ctx.s.decision = cmd.decision
    ctx.emit("ParticipationDecided", decision=cmd.decision, note=cmd.note)


def _record_contact(ctx: _Ctx, cmd: c.RecordContact) -> None:
    on = cmd.on or ctx.today
    if on > ctx.today:
        raise _Reject("invalid_date", "Kontakten kan inte ligga i framtiden", field="on")
    s = ctx.s
    if s.last_contact_on is None or on > s.last_contact_on:
        s.last_contact_on = on
    gt = ctx.d.global_timers.no_contact
    if gt is not None and "no_contact" in s.global_timers_started and s.last_contact_on is not None:
        ctx.set_timer("global:no_contact", gt.after.after(s.last_contact_on, ctx.d.working_calendar), "no_contact")
    ctx.emit("ContactRecorded", on=on.isoformat(), channel=cmd.channel)


def _record_fact(ctx: _Ctx, cmd: c.RecordFact) -> None:
    _set_fact(ctx, cmd.fact, cmd.value)


def _set_fact(ctx: _Ctx, name: str, value: Any) -> None:
    d, s = ctx.d, ctx.s
    spec = d.fact_by_id.get(name)
    if spec is None:
        raise _Reject("unknown_fact", f"Okänt faktum '{name}'", field="fact")
    value = _coerce_fact(spec.type, value, name)
    s.facts[name] = value
    ctx.emit("FactRecorded", fact=name, value=value.isoformat() if isinstance(value, date) else value)
    rk = d.rehabiliteringskedjan
    if rk is not None and rk.fact == name and isinstance(value, date):
        _set_rehab_timers(ctx, value)
    if isinstance(value, date):
        phase = d.phase_by_id[s.phase]
        for spec_task in phase.tasks:
            if spec_task.due_from != f"fact:{name}":
                continue
            for t in list(s.tasks.values()):
                if t.spec == spec_task.id and t.is_open and spec_task.due is not None:
                    due = spec_task.due.after(value, d.working_calendar)
                    if due != t.due:
                        moved = TaskState(
                            t.id, t.spec, t.kind, t.label, t.phase, t.responsible, t.party, t.status,
                            t.created_on, due, t.blocking, t.closed_on, t.reason, t.escalated_to, t.meeting,
                        )  # fmt: skip
                        s.tasks[t.id] = moved
                        _set_task_timers(ctx, moved, spec_task)
                        ctx.emit("TaskDueChanged", notify=(t.responsible,), task=t.id, due=due.isoformat())


def _coerce_fact(kind: FactType, value: Any, name: str) -> Any:
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
        raise _Reject(
            "invalid_fact_value", f"Faktum '{name}' ska vara av typen {kind.value}", field="value", fact=name
        ) from None


def _set_rehab_timers(ctx: _Ctx, sick_start: date) -> None:
    rk = ctx.d.rehabiliteringskedjan
    assert rk is not None
    cal = ctx.d.working_calendar
    ctx.drop_timers("rehab:")
    for day in rk.checkpoints:
        checkpoint = checkpoint_date(sick_start, day)
        if checkpoint <= ctx.today:
            continue
        warn = _business_day(ctx, rk.warn_before.before(checkpoint, cal))
        if warn > ctx.today:
            ctx.set_timer(f"rehab:{day}:warn", warn, "rehab_warning", str(day))
        elif not _rehab_warned(ctx.s, checkpoint):
            # Recorded inside the warning window: FK is warned today rather than never.
            _warn_rehab_checkpoint(ctx, day, checkpoint)
        ctx.set_timer(f"rehab:{day}", checkpoint, "rehab_checkpoint", str(day))


def _rehab_warned(s: CaseState, checkpoint: date) -> bool:
    """A warning for this checkpoint date was already given (the same start recorded again)."""
    return any(t.kind == "rehab_checkpoint" and t.due == checkpoint for t in s.tasks.values())


def _warn_rehab_checkpoint(ctx: _Ctx, day_n: int, checkpoint: date) -> None:
    rk = ctx.d.rehabiliteringskedjan
    assert rk is not None
    ctx.emit("RehabCheckpointWarning", notify=(rk.notify,), day=day_n, checkpoint_on=checkpoint.isoformat())
    _add_task(
        ctx,
        TaskState(
            id=_instance_id(ctx.s, f"rehabkedjan_dag_{day_n}"),
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


# --- timers -----------------------------------------------------------------------------


def _fire_timer(ctx: _Ctx, cmd: c.FireTimer) -> None:
    s, d = ctx.s, ctx.d
    timer = s.timers.get(cmd.timer_id)
    if timer is None:
        raise _Reject("timer_not_active", f"Timern '{cmd.timer_id}' är inte aktiv")
    if timer.at > ctx.now:
        raise _Reject("timer_not_due", f"Timern '{cmd.timer_id}' har inte förfallit", due=timer.at.isoformat())
    del s.timers[timer.id]
    kind = timer.kind
    cal = d.working_calendar
    if kind in ("reminder", "deadline", "escalation"):
        t = s.tasks[timer.ref or ""]
        if kind == "reminder":
            ctx.emit("ReminderDue", notify=(t.responsible,), task=t.id, due=_iso(t.due), party=t.party)
        elif kind == "deadline":
            ctx.emit("DeadlineMissed", notify=(t.responsible,), task=t.id, due=_iso(t.due), party=t.party)
        else:
            spec = d.task_by_id[t.spec or ""][1] if t.spec in d.task_by_id else None
            to = spec.escalation.to if spec and spec.escalation else t.responsible
            s.tasks[t.id] = TaskState(
                t.id, t.spec, t.kind, t.label, t.phase, t.responsible, t.party, t.status,
                t.created_on, t.due, t.blocking, t.closed_on, t.reason, to, t.meeting,
            )  # fmt: skip
            ctx.emit("TaskEscalated", notify=(to,), task=t.id, to=to, due=_iso(t.due), party=t.party)
    elif kind == "phase_max_length":
        phase = d.phase_by_id[s.phase]
        notify = phase.notify_on_max_length or _default_notify(ctx)
        ctx.emit("PhaseMaxLengthReached", notify=(notify,), phase=phase.id, ends_on=_iso(s.phase_ends_on))
    elif kind == "follow_up":
        phase = d.phase_by_id[s.phase]
        fu = phase.follow_up
        assert fu is not None
        s.follow_ups += 1
        day = ctx.today
        _add_task(
            ctx,
            TaskState(
                id=_instance_id(s, f"{phase.id}_uppfoljning_{s.follow_ups}"),
                spec=None,
                kind="follow_up",
                label=f"{fu.label} {s.follow_ups}",
                phase=phase.id,
                responsible=fu.responsible,
                party=d.party_of(fu.responsible),
                status="open",
                created_on=day,
                due=fu.due.after(day, cal),
                blocking=False,
            ),
        )
        _set_follow_up_timer(ctx, phase)
    elif kind == "midpoint_review":
        phase = d.phase_by_id[s.phase]
        mr = phase.midpoint_review
        assert mr is not None
        _add_task(
            ctx,
            TaskState(
                id=_instance_id(s, f"{phase.id}_halvtid"),
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
    elif kind == "no_contact":
        gt = d.global_timers.no_contact
        assert gt is not None
        ctx.emit("NoContactAlert", notify=(gt.notify,), last_contact_on=_iso(s.last_contact_on))
        ctx.set_timer("global:no_contact", gt.after.after(ctx.today, cal), "no_contact")
    elif kind == "max_time":
        gt = d.global_timers.max_time
        assert gt is not None
        ctx.emit("MaxTimeReached", notify=(gt.notify,), started_on=s.started_on.isoformat())
    elif kind == "rehab_warning":
        rk = d.rehabiliteringskedjan
        assert rk is not None
        day_n = int(timer.ref or 0)
        _warn_rehab_checkpoint(ctx, day_n, checkpoint_date(s.facts[rk.fact], day_n))
    elif kind == "rehab_checkpoint":
        rk = d.rehabiliteringskedjan
        assert rk is not None
        ctx.emit("RehabCheckpointReached", notify=(rk.notify,), day=int(timer.ref or 0))
    else:  # pragma: no cover - a timer kind this engine never sets
        raise _Reject("timer_not_active", f"Okänd timer '{kind}'")


def _default_notify(ctx: _Ctx) -> str:
    d = ctx.d
    if d.coordinator is not None:
        return d.coordinator
    return d.roles[0].id if d.roles else d.parties[0].id


# --- closing ----------------------------------------------------------------------------


def _close_case(ctx: _Ctx, **data: Any) -> None:
    s = ctx.s
    for t in list(s.tasks.values()):
        if t.is_open:
            _close_task(ctx, t, "cancelled", reason="case_closed")
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


def _exit_case(ctx: _Ctx, cmd: c.ExitCase) -> None:
    d, s = ctx.d, ctx.s
    phase = d.phase_by_id[s.phase]
    if phase.kind is not PhaseKind.EXIT:
        raise _Reject("exit_phase_required", f"Avslut med utfall görs i en avslutsfas, inte i {phase.label}")
    if cmd.outcome not in {o.value for o in d.outcomes}:
        raise _Reject("unknown_outcome", f"Okänt utfall '{cmd.outcome}'", field="outcome")
    if cmd.outcome in {o.value for o in d.reasons_required_for} and _blank(cmd.reason):
        raise _Reject("reason_required", f"Utfallet {cmd.outcome} kräver en orsak", field="reason")
    failure = _check_guard(ctx, Guard(tasks_done=True))
    if failure is not None:
        raise failure
    s.outcome = cmd.outcome
    s.outcome_reason = cmd.reason
    _close_case(ctx, outcome=cmd.outcome, reason=cmd.reason, avbrott=False)


def _abort_case(ctx: _Ctx, cmd: c.AbortCase) -> None:
    if _blank(cmd.reason):
        raise _Reject("reason_required", "Ange orsak till avbrottet", field="reason")
    if ctx.d.avbrott_reasons and cmd.reason not in ctx.d.avbrott_reasons:
        raise _Reject(
            "unknown_reason",
            "Orsaken ska vara en av: " + ", ".join(ctx.d.avbrott_reasons),
            field="reason",
        )
    ctx.s.aborted = True
    ctx.s.outcome_reason = cmd.reason
    _close_case(ctx, outcome=None, reason=cmd.reason, note=cmd.note, avbrott=True)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


_HANDLERS: dict[type[c.Command], Callable[[_Ctx, Any], None]] = {
    c.RecordConsent: _record_consent,
    c.WithdrawConsent: _withdraw_consent,
    c.DecideParticipation: _decide_participation,
    c.StartPhase: _start_phase,
    c.AcceptTask: _accept_task,
    c.DeclineTask: _decline_task,
    c.CompleteTask: _complete_task,
    c.CommentTask: _comment_task,
    c.RecordContact: _record_contact,
    c.RecordFact: _record_fact,
    c.ExtendPhase: _extend_phase,
    c.FireTimer: _fire_timer,
    c.ExitCase: _exit_case,
    c.AbortCase: _abort_case,
}


__all__ = ["decide", "local_date", "fire_time", "checkpoint_date", "Duration"]
