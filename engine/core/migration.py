"""Moving a running case to another version of its definition (pure).

A case keeps the version it started on; migration is explicit and decided by an admin with a
phase map (old phase id → new phase id; phases with the same id map to themselves). A case the
new version cannot carry is reported with the reasons, and its state is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.core.definition import Definition
from engine.core.state import CaseState


@dataclass(frozen=True, slots=True)
class MigrationOutcome:
    state: CaseState | None
    """The migrated state, or None when the case cannot be mapped (see `problems`)."""
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def migrate_state(
    old_def: Definition, new_def: Definition, state: CaseState, phase_map: dict[str, str]
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
    for task in state.open_tasks():
        if task.spec is not None and task.spec not in new_def.task_by_id:
            notes.append(f"uppgiften '{task.id}' finns inte i {new_def.key} men behålls öppen")
    return MigrationOutcome(new, (), tuple(notes))
