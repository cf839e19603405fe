"""Loggkontroll: the access log, for auditors only (the service enforces it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentCaller, Limit, PageNo, ServicesDep
from api.fields import QueryText
from api.problems import problem_responses
from api.routing import CheckedRoute
from engine.service.reports import parse_period
from engine.service.views import AccessLogOut, Page

router = APIRouter(tags=["access-log"], route_class=CheckedRoute)


@router.get(
    "/access-log",
    response_model=Page[AccessLogOut],
    summary="Åtkomstlogg / access log (auditors)",
    responses=problem_responses(401, 403),
)
def access_log(
    caller: CurrentCaller,
    services: ServicesDep,
    person_id: Annotated[QueryText | None, Query(max_length=64)] = None,
    user_id: Annotated[QueryText | None, Query(max_length=200)] = None,
    case_id: Annotated[QueryText | None, Query(max_length=64)] = None,
    party: Annotated[QueryText | None, Query(max_length=64)] = None,
    purpose: Annotated[QueryText | None, Query(max_length=300, description="any part, case-insensitive")] = None,
    case_ref: Annotated[QueryText | None, Query(max_length=40, description="INS-3F2A9C0D")] = None,
    period: Annotated[QueryText | None, Query(max_length=40, description="2026, 2026T1, 2026-05 or a..b")] = None,
    limit: Limit = 20,
    page_no: PageNo = 1,
) -> Page[AccessLogOut]:
    return services.audit.access_log(  # type: ignore[no-any-return]
        caller, person_id=person_id, user_id=user_id, limit=limit, page=page_no, case_id=case_id, party=party,
        purpose=purpose, case_ref=case_ref, period=parse_period(period) if period else None,
    )
