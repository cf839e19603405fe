"""The case team (issue 14): who works on a case for each party, who a task is assigned to, a
party's own reference for the case, and emergency access.

Invariant: an open task's assignee is always a current member of the task's party's team (adding
work to a person goes through membership; removing a person hands their open tasks on).
"""

from __future__ import annotations

from datetime import timedelta

from msgspec.structs import replace

from engine.core import commands as c
from engine.core.rules.context import Context, Reject, blank, iso
from engine.core.rules.tasks import assigned, default_assignee, open_task
from engine.core.state import EmergencyGrant, Member, TaskState

PRIORITIES = ("normal", "high")
EMERGENCY_REASON_MIN = 10
EMERGENCY_HOURS = 24
REFERENCE_MAX = 100


def join(ctx: Context, party: str, user_id: str, name: str, role: str | None) -> Member:
    member = Member(user_id=user_id, name=name.strip(), role=role, added_on=ctx.today)
    ctx.s.team[party] = (*ctx.s.team.get(party, ()), member)
    ctx.emit("TeamMemberAdded", party=party, user_id=user_id, name=member.name, role=role)
    return member


def _party(ctx: Context, party: str) -> str:
    if party not in ctx.d.party_ids:
        raise Reject("unknown_party", f"Okänd part '{party}'", field="party")
    return party


def _member(ctx: Context, party: str, user_id: str) -> Member:
    member = ctx.s.member(party, user_id)
    if member is None:
        raise Reject("not_team_member", "Personen är inte med i ärendets team för parten", field="user_id")
    return member


def _give(ctx: Context, task: TaskState, member: Member | None) -> None:
    ctx.s.tasks[task.id] = assigned(task, member)
    if member is None:
        ctx.emit("TaskUnassigned", task=task.id, party=task.party)
    else:
        # The new assignee hears of it (the dispatcher sends it to them), unless they took it themselves.
        notify = (task.responsible,) if member.user_id != ctx.actor else ()
        ctx.emit(
            "TaskAssigned", notify, task=task.id, party=task.party, assignee=member.user_id, assignee_name=member.name
        )


def add_member(ctx: Context, cmd: c.AddTeamMember) -> None:
    party = _party(ctx, cmd.party)
    if blank(cmd.user_id):
        raise Reject("invalid_value", "Ange vem som ska med i teamet", field="user_id")
    if blank(cmd.name):
        raise Reject("name_required", "Ange namnet på den som ska med i teamet", field="name")
    if cmd.role is not None and (cmd.role not in ctx.d.role_by_id or ctx.d.role_by_id[cmd.role].party != party):
        raise Reject("unknown_role", f"Rollen '{cmd.role}' finns inte hos parten", field="role")
    if ctx.s.member(party, cmd.user_id) is not None:
        raise Reject("already_member", "Personen är redan med i ärendets team", field="user_id")
    join(ctx, party, cmd.user_id, cmd.name, cmd.role)


def remove_member(ctx: Context, cmd: c.RemoveTeamMember) -> None:
    party = _party(ctx, cmd.party)
    _member(ctx, party, cmd.user_id)
    ctx.s.team[party] = tuple(m for m in ctx.s.team[party] if m.user_id != cmd.user_id)
    if not ctx.s.team[party]:
        del ctx.s.team[party]
    ctx.s.emergency = tuple(g for g in ctx.s.emergency if g.user_id != cmd.user_id)
    ctx.emit("TeamMemberRemoved", party=party, user_id=cmd.user_id)
    for t in ctx.s.open_tasks():
        if t.party == party and t.assignee == cmd.user_id:
            _give(ctx, t, default_assignee(ctx.s, party, t.responsible))


def hand_over(ctx: Context, cmd: c.HandOver) -> None:
    party = _party(ctx, cmd.party)
    old = _member(ctx, party, cmd.from_user)
    if blank(cmd.to_user) or cmd.to_user == cmd.from_user:
        raise Reject("invalid_value", "Ange vem ärendet ska lämnas över till", field="to_user")
    new = ctx.s.member(party, cmd.to_user)
    if new is None:
        if blank(cmd.to_name):
            raise Reject("name_required", "Ange namnet på den som tar över", field="to_name")
        new = Member(user_id=cmd.to_user, name=cmd.to_name.strip(), role=old.role, added_on=ctx.today)
        ctx.s.team[party] = tuple(new if m.user_id == old.user_id else m for m in ctx.s.team[party])
    else:
        ctx.s.team[party] = tuple(m for m in ctx.s.team[party] if m.user_id != old.user_id)
    ctx.s.emergency = tuple(g for g in ctx.s.emergency if g.user_id != old.user_id)
    moved = [t for t in ctx.s.open_tasks() if t.party == party and t.assignee == old.user_id]
    for t in moved:
        ctx.s.tasks[t.id] = assigned(t, new)
    ctx.emit(
        "CaseHandedOver", party=party, from_user=old.user_id, to_user=new.user_id, to_name=new.name,
        tasks=[t.id for t in moved],
    )  # fmt: skip


def claim_task(ctx: Context, cmd: c.ClaimTask) -> None:
    t = open_task(ctx, cmd.task_id)
    if ctx.actor is None or cmd.party != t.party:
        raise Reject("not_task_party", "Bara den ansvariga partens personal kan ta uppgiften", field="task_id")
    if t.assignee == ctx.actor:
        raise Reject("already_assignee", f"Du har redan uppgiften '{t.label}'", field="task_id")
    member = ctx.s.member(t.party, ctx.actor)
    if member is None:
        if blank(cmd.name):
            raise Reject("name_required", "Ditt namn saknas", field="name")
        assert cmd.name is not None
        member = join(ctx, t.party, ctx.actor, cmd.name, None)
    _give(ctx, t, member)


def unclaim_task(ctx: Context, cmd: c.UnclaimTask) -> None:
    t = open_task(ctx, cmd.task_id)
    if t.assignee is None or t.assignee != ctx.actor:
        raise Reject("not_assignee", f"Uppgiften '{t.label}' är inte din", field="task_id")
    _give(ctx, t, None)


def assign_task(ctx: Context, cmd: c.AssignTask) -> None:
    t = open_task(ctx, cmd.task_id)
    member = ctx.s.member(t.party, cmd.user_id) if not blank(cmd.user_id) else None
    if member is None:
        raise Reject(
            "assignee_not_member", "Uppgiften kan bara tilldelas någon i teamet för den ansvariga parten",
            field="user_id",
        )  # fmt: skip
    if t.assignee == member.user_id:
        raise Reject("already_assignee", f"{member.name} har redan uppgiften '{t.label}'", field="user_id")
    _give(ctx, t, member)


def set_priority(ctx: Context, cmd: c.SetTaskPriority) -> None:
    t = open_task(ctx, cmd.task_id)
    if cmd.priority not in PRIORITIES:
        raise Reject("unknown_priority", "Prioriteten är normal eller hög", field="priority")
    if t.priority != cmd.priority:
        ctx.s.tasks[t.id] = replace(t, priority=cmd.priority)
        ctx.emit("TaskPriorityChanged", task=t.id, party=t.party, priority=cmd.priority)


def set_follow_up(ctx: Context, cmd: c.SetTaskFollowUp) -> None:
    t = open_task(ctx, cmd.task_id)
    if t.follow_up != cmd.on:
        ctx.s.tasks[t.id] = replace(t, follow_up=cmd.on)
        ctx.emit("TaskFollowUpChanged", task=t.id, party=t.party, on=iso(cmd.on))


def set_external_reference(ctx: Context, cmd: c.SetExternalReference) -> None:
    party = _party(ctx, cmd.party)
    reference = None if blank(cmd.reference) else (cmd.reference or "").strip()
    if reference is not None and len(reference) > REFERENCE_MAX:
        raise Reject("invalid_value", f"Diarienumret får vara högst {REFERENCE_MAX} tecken", field="reference")
    if ctx.s.external_refs.get(party) == reference:
        return
    if reference is None:
        del ctx.s.external_refs[party]
    else:
        ctx.s.external_refs[party] = reference
    ctx.emit("ExternalReferenceSet", party=party, reference=reference)


def grant_emergency(ctx: Context, cmd: c.GrantEmergencyAccess) -> None:
    if ctx.actor is None:
        raise Reject("invalid_value", "Nödåtkomst ges till en person", field="actor")
    if blank(cmd.reason) or len(cmd.reason.strip()) < EMERGENCY_REASON_MIN:
        raise Reject(
            "reason_required", f"Skriv skälet till nödåtkomsten (minst {EMERGENCY_REASON_MIN} tecken)", field="reason"
        )
    until = ctx.now + timedelta(hours=EMERGENCY_HOURS)
    grant = EmergencyGrant(ctx.actor, cmd.party, cmd.reason.strip(), ctx.now, until)
    live = tuple(g for g in ctx.s.emergency if g.until > ctx.now and g.user_id != ctx.actor)
    ctx.s.emergency = (*live, grant)
    ctx.emit("EmergencyAccessGranted", user_id=ctx.actor, party=cmd.party, reason=grant.reason, until=until.isoformat())
