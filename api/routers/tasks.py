"""My party's inbox: tasks for the caller's party or roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentCaller, Limit, PageNo, Purpose, ServicesDep
from api.problems import problem_responses
from api.routing import CheckedRoute
from api.schemas import TaskFilter
from engine.service.views import Page, TaskOut

router = APIRouter(tags=["tasks"], route_class=CheckedRoute)


@router.get(
    "/tasks",
    response_model=Page[TaskOut],
    summary="Min parts inkorg / my party's task inbox",
    responses=problem_responses(401, 403),
)
def inbox(
    caller: CurrentCaller,
    services: ServicesDep,
    purpose: Purpose,
    status: Annotated[TaskFilter, Query(description="open | overdue | due_this_week | all")] = "open",
    limit: Limit = 20,
    page_no: PageNo = 1,
) -> Page[TaskOut]:
    return services.cases.inbox(caller, status, limit=limit, page=page_no, purpose=purpose)  # type: ignore[no-any-return]
