"""Saved views: my named filters of `GET /tasks` and `GET /cases`, kept on the server."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentCaller, ServicesDep
from api.fields import ShortText
from api.problems import problem_responses
from api.routing import CheckedRoute
from engine.service.list_filters import ViewKind
from engine.service.saved_views import SavedViewList, SavedViewOut

ViewId = Annotated[int, Path(ge=1, le=2**62)]

router = APIRouter(prefix="/me/views", tags=["views"], route_class=CheckedRoute)


class SavedViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ViewKind = Field(description="tasks | cases: vilken lista vyn filtrerar")
    name: ShortText = Field(max_length=100)
    filters: dict[str, Any] = Field(
        default_factory=dict, description="Listans filter med samma namn som i frågesträngen", max_length=20
    )


@router.get("", response_model=SavedViewList, summary="Mina sparade vyer / my saved views",
            responses=problem_responses(401, 403))  # fmt: skip
def list_views(
    caller: CurrentCaller,
    services: ServicesDep,
    kind: Annotated[ViewKind | None, Query(description="tasks | cases")] = None,
) -> SavedViewList:
    return services.views.list(caller, kind)  # type: ignore[no-any-return]


@router.post(
    "", response_model=SavedViewOut, status_code=201, summary="Spara en vy / save a view",
    description="`Idempotency-Key` does not apply: the request is idempotent by its content (saving the same "
    "filters under the same name again answers the view already stored; other filters under a name taken are "
    "`view_exists`, 409); a key sent is ignored.",
    openapi_extra={"x-idempotency": "not-applicable: idempotent by content (a name and its filters are stored once)"},
    responses=problem_responses(401, 403, 409, 422),
)  # fmt: skip
def save_view(body: SavedViewIn, caller: CurrentCaller, services: ServicesDep) -> SavedViewOut:
    return services.views.save(caller, body.kind, body.name, body.filters)  # type: ignore[no-any-return]


@router.delete("/{view}", status_code=204, summary="Ta bort en vy / delete a view",
               responses=problem_responses(401, 403, 404))  # fmt: skip
def delete_view(view: ViewId, caller: CurrentCaller, services: ServicesDep) -> Response:
    services.views.delete(caller, view)
    return Response(status_code=204)
