"""The event feed for integrations: resumable with a cursor, only what the caller's party may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentCaller, Purpose, ServicesDep
from api.problems import problem_responses
from api.routing import CheckedRoute
from engine.service.views import EventFeed

router = APIRouter(tags=["events"], route_class=CheckedRoute)


@router.get(
    "/events",
    response_model=EventFeed,
    summary="Händelseflöde / event feed",
    description="Events after `after` (exclusive), in order. Pass `next_cursor` as `after` to resume. "
    "A cursor beyond the newest event is refused, not clamped: 400 problem+json with type "
    "`https://insats.example/problems/cursor_invalid`, so a mis-saved cursor never skips events silently.",
    responses=problem_responses(400, 401, 403),
)
def feed(
    caller: CurrentCaller,
    services: ServicesDep,
    purpose: Purpose,
    after: Annotated[int, Query(ge=0, le=2**62, description="Markör / cursor (0: från början)")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventFeed:
    items, next_cursor = services.feed.after(caller, after, limit, purpose=purpose)
    return EventFeed(items=items, next_cursor=next_cursor)
