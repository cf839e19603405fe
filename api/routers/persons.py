"""Person search: the personnummer travels only in a POST body (DIGG), and the read is logged."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentCaller, IdempotencyKey, Purpose, ServicesDep
from api.problems import problem_responses
from api.routing import CheckedRoute
from api.schemas import PersonSearch
from engine.service.views import CaseList

router = APIRouter(tags=["persons"], route_class=CheckedRoute)


@router.post(
    "/persons/search",
    response_model=CaseList,
    summary="Sök ärenden på personnummer / search by personnummer",
    responses=problem_responses(401, 403, 422),
)
def search(
    body: PersonSearch,
    caller: CurrentCaller,
    services: ServicesDep,
    purpose: Purpose,
    idempotency_key: IdempotencyKey = None,
) -> CaseList:
    result = services.cases.search_person(caller, body.personnummer, purpose=purpose)
    return CaseList(items=result)
