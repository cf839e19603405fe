"""My party's inbox: tasks for the caller's party or roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.convert import page
from api.deps import CurrentCaller, Limit, PageNo, Purpose, ServicesDep
from api.problems import problem_responses
from api.schemas import TaskFilter, TaskPage

router = APIRouter(tags=["tasks"])


@router.get(
    "/tasks",
    response_model=TaskPage,
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
) -> TaskPage:
    result = services.cases.inbox(caller, status, limit=limit, page=page_no, purpose=purpose)
    return page(TaskPage, result, limit, page_no)
