"""The editor's forms for common changes, written back into the admin's YAML (`yaml_edit`).

A form gives the values as the admin typed them (text; an empty field removes an optional key).
Only keys whose value really changes are set, so the YAML differs from the original only in the
lines the admin changed. The result is validated by the one loader when it is saved (`upload`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.service.errors import ServiceError
from engine.service.yaml_edit import edit_yaml


@dataclass(frozen=True, slots=True)
class TaskFields:
    label: str
    responsible: str
    due: str = ""
    reminders: tuple[str, ...] = ()
    escalation_to: str = ""
    escalation_after: str = ""
    blocking: bool = True


def _set(node: Any, key: str, value: Any, default: Any = None) -> None:
    """Set `key` when it changes; a value equal to `default` removes a key the node has."""
    if value == default or value in ("", None, []):
        if key in node and value != node[key]:
            del node[key]
        return
    if key not in node or node[key] != value:
        node[key] = value


def _set_list(node: Any, key: str, values: list[str]) -> None:
    if not values:
        _set(node, key, None)
        return
    if key in node and list(node[key]) == values:
        return
    if key in node and hasattr(node[key], "fa"):  # keep the admin's list style ([a, b] or - a)
        seq = node[key]
        del seq[:]
        seq.extend(values)
    else:
        node[key] = values


def _set_map(node: Any, key: str, values: Mapping[str, str]) -> None:
    """A nested mapping such as escalation {to, after}: removed when every value is empty."""
    if not any(values.values()):
        if key in node:
            del node[key]
        return
    if key not in node or node[key] is None:
        node[key] = dict(values)
        return
    for k, v in values.items():
        _set(node[key], k, v)


def _phase(root: Any, phase_id: str) -> Any:
    for p in root.get("phases") or []:
        if p.get("id") == phase_id:
            return p
    raise ServiceError("unknown_phase", "Fasen finns inte i definitionen", status=422)


def _task(phase: Any, task_id: str) -> Any:
    for t in phase.get("tasks") or []:
        if t.get("id") == task_id:
            return t
    raise ServiceError("unknown_task", "Uppgiften finns inte i fasen", status=422)


def edit_task(text: str, phase_id: str, task_id: str, f: TaskFields) -> str:
    def change(root: Any) -> None:
        task = _task(_phase(root, phase_id), task_id)
        _set(task, "label", f.label.strip())
        _set(task, "responsible", f.responsible.strip())
        _set(task, "due", f.due.strip())
        _set_list(task, "reminders", [r.strip() for r in f.reminders if r.strip()])
        _set_map(task, "escalation", {"to": f.escalation_to.strip(), "after": f.escalation_after.strip()})
        _set(task, "blocking", f.blocking, default=True)

    return edit_yaml(text, change)


def edit_phase_length(text: str, phase_id: str, max_length: str, step: str, up_to: str) -> str:
    def change(root: Any) -> None:
        phase = _phase(root, phase_id)
        _set(phase, "max_length", max_length.strip())
        _set_map(phase, "extension", {"step": step.strip(), "up_to": up_to.strip()})

    return edit_yaml(text, change)


def edit_global_timers(text: str, timers: Mapping[str, Mapping[str, str]]) -> str:
    """`timers`: per timer (no_contact, max_time) its after, notify and starts_in; all empty: off."""

    def change(root: Any) -> None:
        if "global_timers" not in root or root["global_timers"] is None:
            if not any(v for t in timers.values() for v in t.values()):
                return
            root["global_timers"] = {}
        node = root["global_timers"]
        for key, values in timers.items():
            _set_map(node, key, {k: v.strip() for k, v in values.items()})

    return edit_yaml(text, change)
