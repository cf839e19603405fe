"""Moving a running case to another version of its definition (pure).

A case keeps the version it started on; migration is explicit and decided by an admin with a
phase map (old phase id → new phase id; phases with the same id map to themselves). A case the
new version cannot carry is reported with the reasons, and its state is left alone.

A case that moves follows the new version's tasks: an open task the new version no longer has is
closed (cancelled), an open task whose due rule changed gets its due date counted again (with its
reminders and escalation), and a task of the case's phase that the new version adds is opened.
The outcome says all of it (`opened`, `closed`, `moved`), so a dry run shows, per case, what a
migration would do; it is the same computation, not saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from msgspec.structs import replace

from engine.core.definition import Definition, Task
from engine.core.events import Event
from engine.core.rules.context import Context
from engine.core.rules.tasks import close_task, create_task, set_task_timers
from engine.core.state import CaseState, TaskState


@dataclass(frozen=True, slots=True)
class TaskChange:
    """A task a migration opens, closes or gives another due date: its label and who has it."""

    label: str
    responsible: str
    due_before: date | None = None
    due_after: date | None = None


@dataclass(frozen=True, slots=True)
class MigrationOutcome:
    state: CaseState | None
    """The migrated state, or None when the case cannot be mapped (see `problems`)."""
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    opened: tuple[TaskChange, ...] = ()
    closed: tuple[TaskChange, ...] = ()
    moved: tuple[TaskChange, ...] = ()
    events: tuple[Event, ...] = ()
    """What the migration did to the tasks (TaskCreated, TaskDueChanged), to store with it."""


def _anchor(state: CaseState, task: TaskState, spec: Task) -> date:
    """The day a task's due date counts from, for a task that exists already."""
    if spec.due_from == "phase_start" and task.phase == state.phase:
        return state.phase_entered_on
    if spec.due_from == "case_start":
        return state.started_on
    if spec.due_from.startswith("fact:"):
        value = state.facts.get(spec.due_from[5:])
        if isinstance(value, date):
            return value
    return task.created_on


def migrate_state(
    old_def: Definition, new_def: Definition, state: CaseState, phase_map: dict[str, str], now: datetime
) -> MigrationOutcome:
    problems: list[str] = []
    notes: list[str] = []
    if state.definition_id != old_def.id or state.definition_version != old_def.version:
        problems.append(f"ärendet följer {state.definition_id}@{state.definition_version}, inte {old_def.key}")
    if new_def.id != old_def.id:
        problems.append(f"kan bara migrera inom samma definition ({old_def.id}), inte till {new_def.id}")
    if state.closed:
        problems.append("ärendet är avslutat")
    target = phase_map.get(state.phase, state.phase)
    if target not in new_def.phase_by_id:
        problems.append(f"fasen '{state.phase}' finns inte i {new_def.key} och saknar mappning")
    for name in state.facts:
        if name not in new_def.fact_by_id:
            problems.append(f"faktumet '{name}' finns inte i {new_def.key}")
    if state.consent is not None:
        lost = [p for p in state.consent.parties if p not in new_def.party_ids]
        if lost:
            problems.append("samtycket omfattar parter som saknas i nya versionen: " + ", ".join(lost))
    for task in state.open_tasks():
        if task.responsible not in new_def.party_ids and task.responsible not in new_def.role_by_id:
            problems.append(f"uppgiften '{task.id}' ansvaras av '{task.responsible}' som saknas i {new_def.key}")
    if problems:
        return MigrationOutcome(None, tuple(problems))
    new = state.clone()
    new.definition_version = new_def.version
    if target != state.phase:
        notes.append(f"fas {state.phase} → {target}")
        new.phase = target
        new.phase_visits.append((target, new.phase_entered_on))
    ctx = Context(new_def, new, now, "migrering")
    opened: list[TaskChange] = []
    closed: list[TaskChange] = []
    moved: list[TaskChange] = []
    for task in state.open_tasks():
        if task.spec is None:
            continue
        found = new_def.task_by_id.get(task.spec)
        if found is None:
            close_task(ctx, task, "cancelled", f"finns inte i version {new_def.version}")
            closed.append(TaskChange(task.label, task.responsible, task.due))
            continue
        spec = found[1]
        before = old_def.task_by_id.get(task.spec)
        if before is not None and (before[1].due, before[1].due_from, before[1].label) == (
            spec.due, spec.due_from, spec.label) and (
            before[1].reminders, before[1].escalation) == (spec.reminders, spec.escalation):  # fmt: skip
            continue
        due = spec.due.after(_anchor(new, task, spec), new_def.working_calendar) if spec.due else None
        changed = replace(task, due=due, label=spec.label)
        new.tasks[task.id] = changed
        set_task_timers(ctx, changed, spec)
        if due != task.due:
            moved.append(TaskChange(task.label, task.responsible, task.due, due))
            ctx.emit("TaskDueChanged", notify=(task.responsible,), task=task.id, due=due.isoformat() if due else None)
    phase = new_def.phase_by_id[target]
    for spec in phase.tasks:
        if spec.due_from.startswith("task:"):
            continue  # created when the task it follows is done
        if any(t.spec == spec.id and t.created_on >= new.phase_entered_on for t in state.tasks.values()):
            continue
        create_task(ctx, spec, phase)
        made = next(t for t in reversed(new.tasks.values()) if t.spec == spec.id)
        opened.append(TaskChange(made.label, made.responsible, None, made.due))
    return MigrationOutcome(
        new, (), tuple(notes), tuple(opened), tuple(closed), tuple(moved), tuple(ctx.events)
    )
