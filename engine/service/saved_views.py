"""Saved views: a person's named filters of `GET /tasks` and `GET /cases`, kept on the server
(port `SavedViewStore`, engine/service/query_ports.py). A view's filters are checked against the
list's own filter model (engine/service/list_filters.py), so a saved view always opens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from engine.service import access
from engine.service.access import Caller
from engine.service.errors import ServiceError
from engine.service.list_filters import ViewKind, parse_filters
from engine.service.query_ports import SavedViewRecord, SavedViewStore
from engine.service.views import Out, UtcDateTime

MAX_VIEWS = 50
"""Per person and list: a handful is what a list needs; a bound keeps the table small."""


_VIEW_EXAMPLE: JsonDict = {
    "id": 7,
    "kind": "tasks",
    "name": "Brådskande",
    "filters": {"priority": "high", "sort": "follow_up"},
    "created_at": "2026-12-01T09:00:00Z",
}


class SavedViewOut(Out):
    model_config = ConfigDict(json_schema_extra={"examples": [_VIEW_EXAMPLE]})

    id: int
    kind: ViewKind
    name: str = Field(description="Vyns namn, unikt per person och lista")
    filters: dict[str, Any] = Field(description="Listans filter, som i frågesträngen")
    created_at: UtcDateTime


class SavedViewList(Out):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_VIEW_EXAMPLE]}]})

    items: list[SavedViewOut]


def _out(r: SavedViewRecord) -> SavedViewOut:
    return SavedViewOut(id=r.id, kind=r.kind, name=r.name, filters=r.filters, created_at=r.created_at)


class SavedViewService:
    def __init__(self, store: SavedViewStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def list(self, caller: Caller, kind: str | None = None) -> SavedViewList:
        access.require_party(caller)
        return SavedViewList(items=[_out(r) for r in self._store.list(caller.user_id, kind)])

    def save(self, caller: Caller, kind: str, name: str, filters: dict[str, Any]) -> SavedViewOut:
        access.require_party(caller)
        name = name.strip()
        if not name:
            raise ServiceError("validation_error", "Ge vyn ett namn", details={"field": "name"})
        parsed = parse_filters(kind, filters)
        views = self._store.list(caller.user_id, kind)
        if len(views) >= MAX_VIEWS and not any(v.name == name for v in views):
            message = f"Högst {MAX_VIEWS} sparade vyer per lista"
            raise ServiceError("validation_error", message, details={"field": "name"})
        # Only the filters given are kept: the view reads as its query string does.
        stored = parsed.model_dump(mode="json", exclude_unset=True)
        record = self._store.add(caller.user_id, kind, name, stored, self._clock())
        if record is None:  # the name is taken: the same view again is that view (idempotent by content)
            same = [v for v in self._store.list(caller.user_id, kind) if v.name == name and v.filters == stored]
            if not same:
                raise ServiceError("view_exists", f"Du har redan en vy som heter '{name}'", details={"field": "name"})
            record = same[0]
        return _out(record)

    def delete(self, caller: Caller, view_id: int) -> None:
        access.require_party(caller)
        if not self._store.delete(caller.user_id, view_id):
            raise ServiceError("not_found", "Vyn finns inte")
