"""Which parties exist: those some loaded process definition declares (a definition may declare any
party, not only AF, FK, kommun and region). A token's or an account's party must be one of them."""

from __future__ import annotations

from typing import Any


class KnownParties:
    """`party in known`: answered from the parties seen last, and looked up again from the
    definitions on a miss (a definition uploaded since may declare it). Versions are never deleted,
    so a party once declared stays known."""

    def __init__(self, definitions: Any) -> None:
        self._definitions = definitions
        self._known: frozenset[str] = frozenset()

    def __contains__(self, party: object) -> bool:
        if party in self._known:
            return True
        self._known = self._load()
        return party in self._known

    def _load(self) -> frozenset[str]:
        found: set[str] = set()
        for d in self._definitions.list():
            detail = self._definitions.get(d.id, d.version)
            found.update(str(p["id"]) for p in detail.definition.get("parties", ()))
        return frozenset(found)
