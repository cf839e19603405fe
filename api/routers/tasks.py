"""The lists people work from: my tasks (`GET /tasks`) and my cases (`GET /cases`), each one
service call (engine/service/case_lists.py) with the filters of engine/service/list_filters.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentCaller, Limit, PageNo, Purpose, ServicesDep
from api.fields import QueryText, StrictDate
from api.problems import problem_responses
from api.routing import CheckedRoute
from engine.service.list_filters import (
    Assignee,
    CaseQuery,
    CaseScope,
    CaseStatus,
    Priority,
    TaskQuery,
    TaskSort,
    TaskStatus,
)
from engine.service.views import CaseOut, Page, TaskOut

router = APIRouter(tags=["tasks"], route_class=CheckedRoute)

Ref = Annotated[QueryText | None, Query(max_length=64, description="Ärendereferens")]
Phase = Annotated[QueryText | None, Query(max_length=64, description="Fas (id i definitionen)")]


@router.get(
    "/tasks",
    response_model=Page[TaskOut],
    summary="Mina uppgifter / my tasks, my roles' and my party's",
    responses=problem_responses(401, 403),
)
def list_tasks(
    caller: CurrentCaller,
    services: ServicesDep,
    purpose: Purpose,
    status: Annotated[TaskStatus, Query(description="open | overdue | due_today | due_this_week | all")] = "open",
    assignee: Annotated[
        Assignee,
        Query(
            description="me (mina och deras jag är ersättare för) | unassigned | roles (otilldelade för mina "
            "roller) | any (min parts och mina rollers)"
        ),
    ] = "any",  # fmt: skip
    case: Ref = None,
    phase: Phase = None,
    due_before: Annotated[StrictDate | None, Query(description="Förfaller före (YYYY-MM-DD)")] = None,
    due_after: Annotated[StrictDate | None, Query(description="Förfaller efter (YYYY-MM-DD)")] = None,
    overdue: Annotated[bool, Query(description="true: bara försenade")] = False,
    priority: Annotated[Priority | None, Query(description="normal | high")] = None,
    sort: Annotated[TaskSort, Query(description="due | -due | priority | follow_up | created")] = "due",
    limit: Limit = 20,
    page_no: PageNo = 1,
) -> Page[TaskOut]:
    query = TaskQuery(
        status=status, assignee=assignee, case=case, phase=phase, due_before=due_before, due_after=due_after,
        overdue=overdue, priority=priority, sort=sort,
    )  # fmt: skip
    return services.cases.tasks(caller, query, limit=limit, page=page_no, purpose=purpose)  # type: ignore[no-any-return]


@router.get(
    "/cases",
    response_model=Page[CaseOut],
    summary="Mina ärenden / my cases or my party's",
    responses=problem_responses(401, 403),
)
def list_cases(
    caller: CurrentCaller,
    services: ServicesDep,
    purpose: Purpose,
    scope: Annotated[CaseScope, Query(description="mine (jag är med i teamet) | party (min parts)")] = "mine",
    phase: Phase = None,
    status: Annotated[CaseStatus, Query(description="active | closed | all")] = "active",
    overdue: Annotated[bool, Query(description="true: har en försenad öppen uppgift")] = False,
    external_ref: Annotated[QueryText | None, Query(max_length=100, description="Min parts eget ärendenummer")] = None,
    limit: Limit = 20,
    page_no: PageNo = 1,
) -> Page[CaseOut]:
    query = CaseQuery(scope=scope, phase=phase, status=status, overdue=overdue, external_ref=external_ref)
    return services.cases.cases(caller, query, limit=limit, page=page_no, purpose=purpose)  # type: ignore[no-any-return]
