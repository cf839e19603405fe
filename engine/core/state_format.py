"""The formats of a case state's JSON, and the steps that upgrade an older document.

Case rows keep the JSON they were written with, so a change of the state's shape that older
documents cannot be decoded into gets a new `FORMAT` and an upgrade step here, from the format
before it (as in SpiffWorkflow's serializer). A step works on the document as plain Python
values and names the fields of its own two formats: it must keep working after the state types
have moved on, so it never reads them.

A field added with a default needs no new format: documents without it decode to the default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FORMAT = 3
"""The format `CaseState.to_json()` writes (the JSON's `"format"`)."""

Document = dict[str, Any]

_TASK_FIELDS_V1 = (
    "id",
    "spec",
    "kind",
    "label",
    "phase",
    "responsible",
    "party",
    "status",
    "created_on",
    "due",
    "blocking",
    "closed_on",
    "reason",
    "escalated_to",
    "meeting",
)
_TIMER_FIELDS_V1 = ("id", "at", "kind", "ref")


def upgrade_v1_to_v2(document: Document) -> Document:
    """Format 1 (no `"format"` key) wrote each task and timer as a positional array in a list;
    format 2 writes them as objects with named fields, keyed by their id (as the state holds them).
    Everything else, date facts as `{"date": ...}` among them, is written the same way."""
    return {
        **document,
        "format": 2,
        "tasks": {row[0]: dict(zip(_TASK_FIELDS_V1, row, strict=True)) for row in document["tasks"]},
        "timers": {row[0]: dict(zip(_TIMER_FIELDS_V1, row, strict=True)) for row in document["timers"]},
    }


def upgrade_v2_to_v3(document: Document) -> Document:
    """Format 3 (issue 14) adds the case team: `team` (party → members), `external_refs` (party →
    reference) and `emergency` (grants); a task gets `assignee`, `assignee_name`, `priority` and
    `follow_up`. A case of format 2 had no team: it starts with none (its tasks unassigned, normal
    priority), so only party-wide roles see it until someone joins it."""
    tasks = {
        tid: {"assignee": None, "assignee_name": None, "priority": "normal", "follow_up": None, **task}
        for tid, task in document["tasks"].items()
    }
    return {**document, "format": 3, "tasks": tasks, "team": {}, "external_refs": {}, "emergency": []}


MIGRATIONS: dict[int, Callable[[Document], Document]] = {
    1: upgrade_v1_to_v2,
    2: upgrade_v2_to_v3,
}
"""Format n → the step that turns a document of format n into one of format n + 1."""


class UnknownFormat(ValueError):
    pass


def format_of(document: Document) -> int:
    """The document's format; format 1 had no `"format"` key."""
    value = document.get("format", 1)
    if type(value) is not int:
        raise UnknownFormat(f"the state's format is not a number: {value!r}")
    return value


def upgrade(document: Document) -> Document:
    """The document in the newest format, through each step from its own."""
    version = format_of(document)
    if version > FORMAT:
        raise UnknownFormat(f"the state is of format {version}, newer than this engine's {FORMAT}")
    while version < FORMAT:
        step = MIGRATIONS.get(version)
        if step is None:
            raise UnknownFormat(f"no upgrade from the state format {version}")
        document = step(document)
        version += 1
    return document
