"""The event feed for integrations: `after(cursor)` returns, in order, the events the caller may see.

The cursor is the global event id. A party sees all events of cases whose current consent covers
it (and of anonymous cases it hosts), and otherwise only the events about its own tasks. The
cursor returned is the last event *examined*, so a caller resumes without seeing gaps or repeats.
On PostgreSQL the feed stops below the lowest event id an unfinished transaction may still commit
(see `committed_event_horizon`), so an event never appears behind a cursor already handed out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from engine.adapters.store.db import committed_event_horizon
from engine.adapters.store.models import CaseRow, EventRow
from engine.core.state import CaseState
from engine.service import access
from engine.service.access import Caller, Level
from engine.service.cases import event_out
from engine.service.definitions import DefinitionCache
from engine.service.errors import ServiceError
from engine.service.uow import UowFactory
from engine.service.views import EventOut

BATCH = 500


class EventFeedService:
    def __init__(self, uow: UowFactory, clock: Callable[[], datetime], definitions: DefinitionCache) -> None:
        self._uow = uow
        self._clock = clock
        self._defs = definitions

    def after(
        self, caller: Caller, cursor: int = 0, limit: int = 100, purpose: str = "event_feed"
    ) -> tuple[list[EventOut], int]:
        access.require_party(caller)
        if cursor < 0 or limit < 1:
            raise ServiceError("validation_error", "cursor ska vara ≥ 0 och limit ≥ 1", details={"field": "after"})
        limit = min(limit, 1000)
        out: list[EventOut] = []
        next_cursor = cursor
        with self._uow() as uow:
            horizon = committed_event_horizon(uow.session)
        with self._uow() as uow:
            s = uow.session
            levels: dict[str, tuple[Level, CaseState, CaseRow]] = {}
            logged: set[str] = set()
            now = self._clock()
            while len(out) < limit:
                q = select(EventRow).where(EventRow.id > next_cursor)
                if horizon is not None:
                    q = q.where(EventRow.id <= horizon)
                rows = s.scalars(q.order_by(EventRow.id).limit(BATCH)).all()
                if not rows:
                    break
                for r in rows:
                    if r.case_id not in levels:
                        case = s.get(CaseRow, r.case_id)
                        assert case is not None
                        d = self._defs.get(s, case.definition_id, case.definition_version)
                        state = CaseState.from_json(case.state)
                        level = access.case_level(caller, state, d, identified=case.person_id is not None)
                        levels[r.case_id] = (level, state, case)
                    level, state, case = levels[r.case_id]
                    visible = level in ("full", "case") or (level == "tasks" and _about_own_task(caller, state, r.data))
                    next_cursor = r.id
                    if visible:
                        out.append(event_out(r))
                        if level in ("full", "case") and r.case_id not in logged:
                            logged.add(r.case_id)
                            access.log_access(
                                s, caller, now, resource="event_feed", purpose=purpose, case_id=r.case_id,
                                person_id=case.person_id,
                            )  # fmt: skip
                    if len(out) >= limit:
                        break
            uow.commit()
        return out, next_cursor


def _about_own_task(caller: Caller, state: CaseState, data: dict[str, object]) -> bool:
    task_id = data.get("task")
    if not isinstance(task_id, str):
        return False
    task = state.tasks.get(task_id)
    return task is not None and access.owns_task(caller, task)
