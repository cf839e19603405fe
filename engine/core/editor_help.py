"""What the definition editor offers while the admin types: the ids the document defines (with
their labels) for the fields that refer to them, and the problems as a tree, causes first. Pure;
the field names, descriptions and enum values come from the JSON Schema (engine/core/schema.py).
"""

from __future__ import annotations

from typing import Any

from engine.core.loader import DefinitionError, parse_yaml, to_plain

KINDS = ("parties", "roles", "phases", "facts")

DURATION_EXAMPLES = ("5 arbetsdagar", "14 dagar", "6 veckor", "3 månader", "1 arbetsdag", "30 kalenderdagar")
"""Offered wherever a duration is written (due, reminders, max_length, ...)."""


def _entry(item: Any) -> dict[str, str] | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    label = item.get("label")
    return {"id": item["id"], "label": label if isinstance(label, str) else ""}


def document_ids(text: str) -> dict[str, list[dict[str, str]]]:
    """Parties, roles, phases, facts and tasks the text defines, each id with its label; empty
    lists when the text is not YAML (the editor then offers what it offered before)."""
    out: dict[str, list[dict[str, str]]] = {kind: [] for kind in (*KINDS, "tasks")}
    try:
        data = to_plain(parse_yaml(text, "definition.yaml"))
    except DefinitionError:
        return out
    if not isinstance(data, dict):
        return out
    for kind in KINDS:
        items = data.get(kind)
        for item in items if isinstance(items, list) else ():
            entry = _entry(item)
            if entry is not None:
                out[kind].append(entry)
    phases = data.get("phases")
    for ph in phases if isinstance(phases, list) else ():
        tasks = ph.get("tasks") if isinstance(ph, dict) else None
        for t in tasks if isinstance(tasks, list) else ():
            entry = _entry(t)
            if entry is not None:
                out["tasks"].append(entry)
    return out


def problem_tree(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Problem dicts (loader.problem_dicts) as causes, each with `follow_ons`: the problems that
    follow from it."""
    roots: list[dict[str, Any]] = []
    by_index: dict[int, dict[str, Any]] = {}
    for i, p in enumerate(problems):
        node = {**p, "follow_ons": []}
        cause = p.get("caused_by")
        if isinstance(cause, int) and cause in by_index:
            by_index[cause]["follow_ons"].append(node)
        else:
            roots.append(node)
            by_index[i] = node
    return roots
