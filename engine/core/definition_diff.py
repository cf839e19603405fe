"""What changed between two versions of a definition, in the admin's words (pure).

Phases, tasks, durations, guards, transitions, timers, parties and roles that were added, removed
or changed, each said in Swedish with labels, never ids: "Uppgiften 'Bekräfta mottagen remiss' i
fasen 'Aktualisering': frist ändrad från 5 till 3 arbetsdagar". Phases and tasks are matched by id
(an id is what a running case refers to), so a renamed label is a change, a new id an addition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.core import diagram
from engine.core.definition import Definition, Escalation, Extension, GlobalTimer, Guard, Phase, Task
from engine.core.duration import Duration

Kind = Literal["added", "removed", "changed"]

TIMERS_SV = {"no_contact": "Larmet om utebliven kontakt", "max_time": "Larmet om längsta tid i insatsen"}


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: Kind
    text: str


def who(d: Definition, responsible: str | None) -> str:
    """A party's or role's label."""
    if responsible is None:
        return "ingen"
    role = d.role_by_id.get(responsible)
    if role is not None:
        return role.label
    party = next((p for p in d.parties if p.id == responsible), None)
    return party.label if party is not None else responsible


def duration_words(value: Duration | None) -> str:
    return "ingen" if value is None else str(value)


def change_words(old: Duration | None, new: Duration | None) -> str:
    """'från 5 till 3 arbetsdagar', or with both units when they differ."""
    if old is not None and new is not None and old.unit == new.unit:
        return f"från {old.amount} till {new}"
    return f"från {duration_words(old)} till {duration_words(new)}"


def guard_words(d: Definition, g: Guard, phase: Phase | None = None) -> str:
    """A transition's condition in words ('' when there is none): the diagram's words, joined."""
    return " och ".join(diagram.guard_words(d, g, phase))


def _extension_words(e: Extension | None) -> str:
    return "ingen" if e is None else f"{e.step} i taget upp till {e.up_to}"


def _escalation_words(d: Definition, e: Escalation | None) -> str:
    return "ingen" if e is None else f"{who(d, e.to)}, {e.after} efter förfallodagen"


def _reminder_words(items: list[Duration]) -> str:
    return ", ".join(f"{r} före" for r in items) if items else "inga"


def _task_changes(old_d: Definition, new_d: Definition, old: Task, new: Task) -> list[str]:
    out: list[str] = []
    if old.label != new.label:
        out.append(f"namn ändrat till '{new.label}'")
    if old.responsible != new.responsible:
        out.append(f"ansvarig ändrad från {who(old_d, old.responsible)} till {who(new_d, new.responsible)}")
    if old.due != new.due:
        out.append("frist ändrad " + change_words(old.due, new.due))
    if old.due_from != new.due_from:
        out.append("fristen räknas nu från en annan tidpunkt")
    if old.reminders != new.reminders:
        out.append(f"påminnelser ändrade från {_reminder_words(old.reminders)} till {_reminder_words(new.reminders)}")
    if old.escalation is not None and new.escalation is not None and old.escalation.after == new.escalation.after:
        if old.escalation.to != new.escalation.to:
            to, was = who(new_d, new.escalation.to), who(old_d, old.escalation.to)
            out.append(f"eskaleras nu till {to} i stället för {was}")
    elif old.escalation != new.escalation:
        out.append(
            f"eskalering ändrad från {_escalation_words(old_d, old.escalation)} "
            f"till {_escalation_words(new_d, new.escalation)}"
        )
    if old.blocking != new.blocking:
        out.append("måste nu vara klar innan fasen lämnas" if new.blocking else "behöver inte längre vara klar")
    if old.meeting != new.meeting:
        out.append("är nu ett möte" if new.meeting else "är inte längre ett möte")
    return out


def _phase_diff(old_d: Definition, new_d: Definition, old: Phase, new: Phase) -> list[DiffLine]:
    out: list[DiffLine] = []
    name = f"Fasen '{new.label}'"
    if old.label != new.label:
        out.append(DiffLine("changed", f"Fasen '{old.label}' heter nu '{new.label}'"))
    if old.kind != new.kind:
        out.append(DiffLine("changed", f"{name}: fastyp ändrad"))
    if old.max_length != new.max_length:
        out.append(DiffLine("changed", f"{name}: längsta längd ändrad {change_words(old.max_length, new.max_length)}"))
    if old.extension != new.extension:
        out.append(
            DiffLine(
                "changed",
                f"{name}: förlängning ändrad från {_extension_words(old.extension)} "
                f"till {_extension_words(new.extension)}",
            )
        )
    if old.follow_up != new.follow_up:
        out.append(DiffLine("changed", f"{name}: uppföljningen ändrad"))
    if old.midpoint_review != new.midpoint_review:
        out.append(DiffLine("changed", f"{name}: halvtidsavstämningen ändrad"))
    old_tasks = {t.id: t for t in old.tasks}
    new_tasks = {t.id: t for t in new.tasks}
    for t in new.tasks:
        if t.id not in old_tasks:
            due = f", frist {t.due}" if t.due else ""
            what = f"Ny uppgift '{t.label}' i fasen '{new.label}' ({who(new_d, t.responsible)}{due})"
            out.append(DiffLine("added", what))
    for t in old.tasks:
        if t.id not in new_tasks:
            out.append(DiffLine("removed", f"Uppgiften '{t.label}' i fasen '{new.label}' är borttagen"))
        else:
            for words in _task_changes(old_d, new_d, t, new_tasks[t.id]):
                out.append(DiffLine("changed", f"Uppgiften '{t.label}' i fasen '{new.label}': {words}"))
    out.extend(_transition_diff(old_d, new_d, old, new))
    return out


def _phase_label(d: Definition, phase_id: str) -> str:
    p = d.phase_by_id.get(phase_id)
    return p.label if p is not None else phase_id


def _transition_diff(old_d: Definition, new_d: Definition, old: Phase, new: Phase) -> list[DiffLine]:
    out: list[DiffLine] = []
    old_to = {t.to: t for t in old.transitions}
    new_to = {t.to: t for t in new.transitions}
    for t in new.transitions:
        when = guard_words(new_d, t.when, new)
        cond = f" när {when}" if when else ""
        if t.to not in old_to:
            out.append(
                DiffLine("added", f"Ny övergång från '{new.label}' till '{_phase_label(new_d, t.to)}'{cond}")
            )
        elif old_to[t.to].when != t.when:
            before = guard_words(old_d, old_to[t.to].when, old) or "alltid"
            out.append(
                DiffLine(
                    "changed",
                    f"Övergången från '{new.label}' till '{_phase_label(new_d, t.to)}': villkoret ändrat från "
                    f"'{before}' till '{when or 'alltid'}'",
                )
            )
    for t in old.transitions:
        if t.to not in new_to:
            out.append(
                DiffLine("removed", f"Övergången från '{old.label}' till '{_phase_label(old_d, t.to)}' är borttagen")
            )
    return out


def _timer_words(d: Definition, t: GlobalTimer | None) -> str:
    if t is None:
        return "av"
    starts = f", från fasen '{_phase_label(d, t.starts_in)}'" if t.starts_in else ""
    return f"efter {t.after} till {who(d, t.notify)}{starts}"


def diff_definitions(old: Definition, new: Definition) -> list[DiffLine]:
    """Every difference from `old` to `new`, in the order of the new version's phases."""
    out: list[DiffLine] = []
    if old.name != new.name:
        out.append(DiffLine("changed", f"Namnet ändrat från '{old.name}' till '{new.name}'"))
    old_parties = {p.id: p.label for p in old.parties} | {r.id: r.label for r in old.roles}
    new_parties = {p.id: p.label for p in new.parties} | {r.id: r.label for r in new.roles}
    for pid, label in new_parties.items():
        if pid not in old_parties:
            out.append(DiffLine("added", f"Ny part eller roll '{label}'"))
    for pid, label in old_parties.items():
        if pid not in new_parties:
            out.append(DiffLine("removed", f"Parten eller rollen '{label}' är borttagen"))
    if old.start != new.start:
        out.append(DiffLine("changed", f"Ärenden börjar nu i fasen '{_phase_label(new, new.start)}'"))
    for p in new.phases:
        before = old.phase_by_id.get(p.id)
        if before is None:
            length = f", längst {p.max_length}" if p.max_length else ""
            out.append(DiffLine("added", f"Ny fas '{p.label}' ({_count(len(p.tasks))}{length})"))
            out.extend(_transition_diff(old, new, p.model_copy(update={"transitions": []}), p))
        else:
            out.extend(_phase_diff(old, new, before, p))
    for p in old.phases:
        if p.id not in new.phase_by_id:
            out.append(DiffLine("removed", f"Fasen '{p.label}' är borttagen"))
    for key in ("no_contact", "max_time"):
        a: GlobalTimer | None = getattr(old.global_timers, key)
        b: GlobalTimer | None = getattr(new.global_timers, key)
        if a != b:
            kind: Kind = "added" if a is None else "removed" if b is None else "changed"
            words = f"{TIMERS_SV[key]}: ändrat från {_timer_words(old, a)} till {_timer_words(new, b)}"
            out.append(DiffLine(kind, words))
    if old.rehabiliteringskedjan != new.rehabiliteringskedjan:
        out.append(DiffLine("changed", "Rehabiliteringskedjans kontrollpunkter är ändrade"))
    if old.calendar != new.calendar:
        out.append(DiffLine("changed", "Kalendern (lediga dagar) är ändrad"))
    return out


def _count(n: int) -> str:
    return "1 uppgift" if n == 1 else f"{n} uppgifter"
