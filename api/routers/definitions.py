"""Process definitions: list, get (YAML or JSON), upload, publish, simulate, migrate running cases."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import CurrentCaller, IdempotencyKey, Limit, PageNo, ServicesDep
from api.problems import ApiError, problem_responses
from api.routing import CheckedRoute
from api.schemas import DefinitionUpload, MigrationCreate, SimulationCreate
from engine.service.views import DefinitionDetail, DefinitionList, DefinitionOut, MigrationReport, SimulationOut

router = APIRouter(prefix="/definitions", tags=["definitions"], route_class=CheckedRoute)

DefId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[\w\-.]+$", examples=["finsam-insats"])]
Version = Annotated[int, Path(ge=1, le=1_000_000, examples=[1])]
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


@router.get(
    "",
    response_model=DefinitionList,
    summary="Lista definitioner / list definitions",
    responses=problem_responses(401, 403),
)
def list_definitions(
    caller: CurrentCaller, services: ServicesDep, limit: Limit = 20, page_no: PageNo = 1
) -> DefinitionList:
    items = services.definitions.list()
    start = (page_no - 1) * limit
    return DefinitionList(items=items[start : start + limit], total=len(items), limit=limit, page=page_no)


@router.get(
    "/{definition_id}/versions/{version}",
    response_model=DefinitionDetail,
    summary="Hämta en version (JSON eller YAML) / get a version",
    description="JSON by default; YAML with `Accept: application/yaml` or `?format=yaml`.",
    responses={
        200: {
            "content": {
                "application/yaml": {
                    # the YAML document is a mapping (what a YAML-aware client, schemathesis too, reads)
                    "schema": {"type": "object", "description": "Definitionen som YAML / the definition as YAML"},
                    "example": "id: finsam-insats\nversion: 1\n",
                }
            }
        },
        **problem_responses(401, 403, 404),
    },
)
def get_definition(
    definition_id: DefId,
    version: Version,
    request: Request,
    caller: CurrentCaller,
    services: ServicesDep,
    format: Annotated[Literal["json", "yaml"] | None, Query(description="json | yaml")] = None,
) -> Any:
    got: DefinitionDetail = services.definitions.get(definition_id, version)
    accept = request.headers.get("accept", "")
    want_yaml = format == "yaml" or (format is None and any(t in accept for t in YAML_TYPES[:4]))
    if want_yaml:
        return Response(got.yaml, media_type="application/yaml; charset=utf-8")
    return got


@router.post(
    "",
    status_code=201,
    response_model=DefinitionOut,
    summary="Ladda upp en ny version (YAML) / upload a new version",
    description='Body: the YAML file (`Content-Type: application/yaml`) or JSON `{"yaml": "..."}`. '
    "Problems come back as 422 problem+json with `errors[].line`.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/yaml": {"schema": {"type": "string"}, "example": "id: min-process\nversion: 1\n..."},
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/DefinitionUpload"},
                    "example": {"yaml": "id: min-process\nversion: 1\n..."},
                },
            },
        }
    },
    responses=problem_responses(401, 403, 409, 415, 422),
)
async def upload(
    request: Request, caller: CurrentCaller, services: ServicesDep, idempotency_key: IdempotencyKey = None
) -> DefinitionOut:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if ctype in YAML_TYPES:
        text = _decode(raw)
    elif ctype in ("application/json", ""):
        try:
            text = DefinitionUpload.model_validate(json.loads(raw or b"null")).yaml
        except (ValueError, TypeError) as exc:
            raise ApiError(
                "validation_error",
                'Skicka {"yaml": "..."} eller YAML-text',
                422,
                errors=[{"field": "yaml", "message": "required string"}],
            ) from exc
    else:
        raise ApiError("unsupported_media_type", f"Content-Type {ctype!r} stöds inte; använd application/yaml", 415)
    from starlette.concurrency import run_in_threadpool

    out: DefinitionOut = await run_in_threadpool(
        services.definitions.upload, caller, text, idempotency_key=idempotency_key
    )
    return out



def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            "validation_error", "YAML-filen måste vara UTF-8", 422, errors=[{"field": "body", "message": "not UTF-8"}]
        ) from exc


@router.post(
    "/{definition_id}/versions/{version}/publish",
    response_model=DefinitionOut,
    summary="Publicera / publish a version",
    responses=problem_responses(401, 403, 404, 409),
)
def publish(
    definition_id: DefId,
    version: Version,
    caller: CurrentCaller,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> DefinitionOut:
    return services.definitions.publish(  # type: ignore[no-any-return]
        caller, definition_id, version, idempotency_key=idempotency_key
    )


@router.post(
    "/{definition_id}/simulate",
    response_model=SimulationOut,
    summary="Simulera ett ärende / simulate a case",
    responses=problem_responses(401, 403, 404, 422),
)
def simulate(
    definition_id: DefId,
    body: SimulationCreate,
    caller: CurrentCaller,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> SimulationOut:
    from engine.core.simulation import SimulationOptions

    opts = SimulationOptions(
        start=body.start,
        path=tuple(body.path or ()),
        outcome=body.outcome,
        outcome_reason=body.outcome_reason,
        abort_in=body.abort_in,
        anonymous=body.anonymous,
        sick_period_start=body.sick_period_start,
        extensions=dict(body.extensions),
        late=dict(body.late),
        contact_every=body.contact_every,
    )
    return services.definitions.simulate(  # type: ignore[no-any-return]
        definition_id, body.version, opts, caller=caller, idempotency_key=idempotency_key
    )


@router.post(
    "/{definition_id}/migrations",
    response_model=MigrationReport,
    summary="Migrera pågående ärenden / migrate running cases",
    description="`dry_run` (default true) reports what would change without changing anything.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def migrate(
    definition_id: DefId,
    body: MigrationCreate,
    caller: CurrentCaller,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> MigrationReport:
    return services.definitions.migrate(  # type: ignore[no-any-return]
        caller,
        definition_id,
        body.from_version,
        body.to_version,
        dict(body.phase_map),
        dry_run=body.dry_run,
        idempotency_key=idempotency_key,
    )
