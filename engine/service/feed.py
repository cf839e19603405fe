"""The event feed for integrations: `after(cursor)` returns, in order, the events the caller may see.

The cursor is the global event id. A party sees all events of cases whose current consent covers
it (and of anonymous cases it hosts), and otherwise only the events about its own tasks. The
cursor returned is the last event *examined*, so a caller resumes without seeing gaps or repeats.
On PostgreSQL the feed stops below the lowest event id an unfinished transaction may still commit
(`EventFeedStore.horizon`; `committed_event_horizon` in the store adapter), so an event never appears
behind a cursor already handed out.

A cursor beyond the newest committed event is refused (`cursor_invalid`, 400), not clamped and
not echoed back: no cursor the feed hands out can be there, so it was mis-saved or made up, and
answering with it would let the caller skip every event up to it without noticing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from engine.service import access
from engine.service.access import Caller, Level
from engine.service.case_views import event_at
from engine.service.errors import ServiceError
from engine.service.query_ports import EventFeedStore, FeedCase
from engine.service.views import EventOut

BATCH = 500


class EventFeedService:
    def __init__(self, store: EventFeedStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def after(
        self, caller: Caller, cursor: int = 0, limit: int = 100, purpose: str = "event_feed"
    ) -> tuple[list[EventOut], int]:
        access.require_party(caller)
        if cursor < 0 or limit < 1:
            raise ServiceError("validation_error", "cursor ska vara ≥ 0 och limit ≥ 1", details={"field": "after"})
        limit = min(limit, 1000)
        out: list[EventOut] = []
        next_cursor = cursor
        horizon = self._store.horizon()
        with self._store.transaction() as tx:
            if cursor > tx.newest_event_id():
                raise cursor_invalid(cursor)
            levels: dict[str, tuple[Level, FeedCase]] = {}
            logged: set[str] = set()
            now = self._clock()
            while len(out) < limit:
                rows = tx.events_after(next_cursor, horizon, BATCH)
                if not rows:
                    break
                for r in rows:
                    if r.case_id not in levels:
                        case = tx.case(r.case_id)
                        level = access.case_level(
                            caller, case.state, case.definition, identified=case.person_id is not None, now=now
                        )
                        levels[r.case_id] = (level, case)
                    level, case = levels[r.case_id]
                    own = level == "tasks" and _about_own_task(caller, case, r.data, now)
                    visible = level in ("full", "case") or own
                    next_cursor = r.id
                    if visible:
                        out.append(event_at(r, level, case.definition))
                        if level in ("full", "case") and r.case_id not in logged:
                            logged.add(r.case_id)
                            tx.log_access(
                                caller, now, resource="event_feed", purpose=purpose, case_id=r.case_id,
                                person_id=case.person_id,
                            )  # fmt: skip
                    if len(out) >= limit:
                        break
            tx.commit()
        return out, next_cursor


def cursor_invalid(cursor: int) -> ServiceError:
    return ServiceError(
        "cursor_invalid",
        f"Markören after={cursor} ligger bortom den senaste händelsen; fortsätt från ett next_cursor som "
        "flödet har lämnat ut, eller från 0",
        details={"field": "after"},
    )


def _about_own_task(caller: Caller, case: FeedCase, data: dict[str, object], now: datetime) -> bool:
    task_id = data.get("task")
    if not isinstance(task_id, str):
        return False
    task = case.state.tasks.get(task_id)
    return task is not None and task in access.visible_tasks(caller, case.state, case.definition, now)
