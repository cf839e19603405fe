"""Where a problem is, in the admin's words: phase "Samtycke", task "Bekräfta mottagen remiss".

A validation problem is found at a location path such as ("phases", 0, "tasks", 1, "due"); the
admin never sees that path. `context` turns it into the names the admin wrote (each element's
`label`, else its id, else its place in the list), read from the plain or YAML tree. Pure.
"""

from __future__ import annotations

from typing import Any

Loc = tuple[int | str, ...]

_LISTS = {
    "phases": "fasen",
    "parties": "parten",
    "roles": "rollen",
    "facts": "faktumet",
}
_NESTED = {"tasks": "uppgiften", "timers": "timern", "checkpoints": "kontrollpunkten"}
_SECTIONS = {
    "global_timers": "de globala timrarna",
    "rehabiliteringskedjan": "rehabiliteringskedjan",
    "calendar": "kalendern",
}
_PARTS = {
    "follow_up": "uppföljningen",
    "midpoint_review": "halvtidsavstämningen",
    "extension": "förlängningen",
    "escalation": "eskaleringen",
    "when": "villkoret",
}


def quoted(text: str) -> str:
    return f"”{text}”"


def name_of(item: Any, fallback: str) -> str:
    """An element's label, else its id, else the fallback (its place in the list), quoted."""
    if isinstance(item, dict):
        for key in ("label", "name", "id"):
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                return quoted(value.strip())
    return fallback


def phase_names(data: Any) -> dict[str, str]:
    """Phase id -> its label (quoted), for messages that name a phase by id."""
    out: dict[str, str] = {}
    phases = data.get("phases") if isinstance(data, dict) else None
    if isinstance(phases, list):
        for ph in phases:
            if isinstance(ph, dict) and isinstance(ph.get("id"), str):
                out.setdefault(ph["id"], name_of(ph, quoted(ph["id"])))
    return out


def _item(container: Any, key: int | str) -> Any:
    if isinstance(container, dict) and isinstance(key, str):
        return container.get(key)
    if isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container):
        return container[key]
    return None


def context(data: Any, loc: Loc, names: dict[str, str] | None = None) -> str:
    """`fasen ”Samtycke”, uppgiften ”Bekräfta mottagen remiss”` for a location; "" at the top.
    `names`: phase_names(data), when many locations of one tree are worded."""
    words: list[str] = []
    node = data
    k = 0
    while k < len(loc):
        key = loc[k]
        nxt = loc[k + 1] if k + 1 < len(loc) else None
        if k == 0 and isinstance(key, str) and key in _LISTS and isinstance(nxt, int):
            item = _item(_item(node, key), nxt)
            words.append(f"{_LISTS[key]} {name_of(item, f'nr {nxt + 1}')}")
            node, k = item, k + 2
            continue
        if isinstance(key, str) and key in _NESTED and isinstance(nxt, int):
            item = _item(_item(node, key), nxt)
            if not isinstance(item, dict):  # a list of plain values: the value speaks for itself
                words.append(f"{_NESTED[key]} {quoted(str(item)) if item is not None else f'nr {nxt + 1}'}")
            else:
                words.append(f"{_NESTED[key]} {name_of(item, f'nr {nxt + 1}')}")
            node, k = item, k + 2
            continue
        if isinstance(key, str) and key == "transitions" and isinstance(nxt, int):
            item = _item(_item(node, key), nxt)
            to = item.get("to") if isinstance(item, dict) else None
            if names is None:
                names = phase_names(data)
            target = names.get(to) if isinstance(to, str) else None  # an unknown one is the problem
            if target:
                words.append(f"övergången till {target}")
            elif loc[k + 2 : k + 3] != ("to",):  # an unknown `to` names the transition itself
                words.append(f"övergång nr {nxt + 1}")
            node, k = item, k + 2
            continue
        if k == 0 and isinstance(key, str) and key in _SECTIONS:
            words.append(_SECTIONS[key])
            if key == "global_timers" and isinstance(nxt, str):
                words[-1] = f"den globala timern {nxt}"
                node, k = _item(_item(node, key), nxt), k + 2
                continue
        elif isinstance(key, str) and key in _PARTS:
            words.append(_PARTS[key])
        node = _item(node, key)
        k += 1
    return ", ".join(words)


class Wording:
    """Words for many locations of one tree (its phase names read once)."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.names: dict[str, str] | None = None

    def located(self, loc: Loc, message: str) -> str:
        """The message prefixed with where it is: `Fasen ”Samtycke”, uppgiften ”X”: ...`."""
        if self.names is None:
            self.names = phase_names(self.data)
        where = context(self.data, loc, self.names)
        if not where:
            return message
        return f"{where[0].upper()}{where[1:]}: {message}"
