"""The caller's own settings: substitutes during an absence (issue 14)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import CurrentCaller, ServicesDep
from api.problems import problem_responses
from api.routing import CheckedRoute
from api.schemas import SubstituteCreate
from engine.service.substitutes import SubstituteOut

router = APIRouter(prefix="/me", tags=["me"], route_class=CheckedRoute)


@router.get("/substitutes", response_model=list[SubstituteOut], summary="Mina ersättare / my substitutes",
            responses=problem_responses(401, 403))  # fmt: skip
def substitutes(caller: CurrentCaller, services: ServicesDep) -> list[SubstituteOut]:
    return services.substitutes.mine(caller)  # type: ignore[no-any-return]


@router.post(
    "/substitutes", response_model=SubstituteOut, status_code=201, summary="Utse ersättare / name a substitute",
    description="`Idempotency-Key` does not apply: the request is idempotent by its content (naming the same "
    "substitute for the same period again answers the period already stored); a key sent is ignored.",
    openapi_extra={"x-idempotency": "not-applicable: idempotent by content (the same period is stored once)"},
    responses=problem_responses(401, 403, 422),
)
def add_substitute(body: SubstituteCreate, caller: CurrentCaller, services: ServicesDep) -> SubstituteOut:
    return services.substitutes.add(caller, body.substitute_id, body.starts_on, body.ends_on)  # type: ignore[no-any-return]


@router.delete("/substitutes/{substitute}", status_code=204, summary="Ta bort ersättare / remove a substitute",
               responses=problem_responses(401, 403, 404))  # fmt: skip
def remove_substitute(
    substitute: Annotated[int, Path(ge=1, le=2**62)], caller: CurrentCaller, services: ServicesDep
) -> Response:
    services.substitutes.remove(caller, substitute)
    return Response(status_code=204)
