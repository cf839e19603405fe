"""Loggkontroll: the access log, for auditors only (the service enforces it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.convert import page
from api.deps import CurrentCaller, Limit, PageNo, ServicesDep
from api.problems import problem_responses
from api.schemas import AccessLogPage

router = APIRouter(tags=["access-log"])


@router.get(
    "/access-log",
    response_model=AccessLogPage,
    summary="Åtkomstlogg / access log (auditors)",
    responses=problem_responses(401, 403),
)
def access_log(
    caller: CurrentCaller,
    services: ServicesDep,
    person_id: Annotated[str | None, Query(max_length=64)] = None,
    user_id: Annotated[str | None, Query(max_length=200)] = None,
    case_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 20,
    page_no: PageNo = 1,
) -> AccessLogPage:
    result = services.audit.access_log(
        caller, person_id=person_id, user_id=user_id, limit=limit, page=page_no, case_id=case_id
    )
    return page(AccessLogPage, result, limit, page_no)
