"""Cases: referral to exit. Every command takes `If-Match` (the case ETag) and an optional
`Idempotency-Key`; every response carries the new `ETag`. Access rules and the access log live in
the service layer; this module only translates HTTP to service calls."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response
from starlette.concurrency import run_in_threadpool

from api.deps import (
    CurrentCaller,
    ExpectedVersion,
    IdempotencyKey,
    Limit,
    OptionalVersion,
    PageNo,
    Purpose,
    ServicesDep,
)
from api.problems import problem_responses
from api.routing import CheckedRoute
from api.schemas import (
    AbortCreate,
    ConsentCreate,
    ConsentWithdraw,
    ContactCreate,
    DecisionCreate,
    ExitCreate,
    ExtensionCreate,
    FactCreate,
    PhaseMove,
    ProtectedIdentityCreate,
    ReferralCreate,
    TaskComment,
    TaskComplete,
    TaskDecline,
)
from engine.core import commands as c
from engine.service.views import CaseOut, EventOut, Page

router = APIRouter(prefix="/cases", tags=["cases"], route_class=CheckedRoute)

CaseId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-]+$", examples=["3f2a9c0d5e7b"])]
TaskId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[\w\-.]+$", examples=["bekrafta_remiss"])]

_CMD_ERRORS = problem_responses(401, 403, 404, 409, 412, 422, 428)
_ETAG_HEADER = {"ETag": {"description": 'Ärendets version, t.ex. "4"', "schema": {"type": "string"}}}
_OK: dict[int | str, dict[str, Any]] = {200: {"headers": _ETAG_HEADER}}


def _with_etag(case: CaseOut, response: Response) -> CaseOut:
    response.headers["ETag"] = f'"{case.version}"'
    return case


async def _execute(
    services: Any,
    caller: Any,
    case_id: str,
    command: c.Command,
    version: int | None,
    key: str | None,
    response: Response,
) -> CaseOut:
    # One thread hop for the service's unit of work; FastAPI then checks and writes the answer on
    # the event loop (a sync endpoint would take a second hop for that).
    out = await run_in_threadpool(services.cases.execute, caller, case_id, command, version, key)
    return _with_etag(out, response)


@router.post(
    "",
    status_code=201,
    response_model=CaseOut,
    summary="Aktualisera (remiss) / refer a person",
    description="Named referral (personnummer, name) or anonymous participation (gender and birth year only). "
    "Protected identity is stored as anonymous.",
    responses={
        201: {"headers": {**_ETAG_HEADER, "Location": {"schema": {"type": "string"}}}},
        **problem_responses(401, 403, 409, 422),
    },
)
def refer(
    body: ReferralCreate,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    case = _with_etag(services.cases.refer(caller, body, idempotency_key=idempotency_key), response)
    response.headers["Location"] = f"/api/v1/cases/{case.id}"
    return case


@router.get(
    "/{case_id}",
    response_model=CaseOut,
    summary="Hämta ärende / get a case",
    responses={**_OK, **problem_responses(401, 403, 404)},
)
def get_case(
    case_id: CaseId, caller: CurrentCaller, services: ServicesDep, purpose: Purpose, response: Response
) -> CaseOut:
    return _with_etag(services.cases.get_case(caller, case_id, purpose), response)


@router.get(
    "/{case_id}/timeline",
    response_model=Page[EventOut],
    summary="Tidslinje / case timeline",
    responses=problem_responses(401, 403, 404),
)
def timeline(
    case_id: CaseId,
    caller: CurrentCaller,
    services: ServicesDep,
    purpose: Purpose,
    limit: Limit = 20,
    page_no: PageNo = 1,
) -> Page[EventOut]:
    return services.cases.timeline(caller, case_id, limit=limit, page=page_no, purpose=purpose)  # type: ignore[no-any-return]


@router.post(
    "/{case_id}/consents",
    response_model=CaseOut,
    summary="Registrera samtycke / record consent",
    responses={**_OK, **_CMD_ERRORS},
)
async def record_consent(
    case_id: CaseId,
    body: ConsentCreate,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    cmd = c.RecordConsent(parties=tuple(body.parties), given_on=body.given_on, form=body.form, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/consents/withdraw",
    response_model=CaseOut,
    summary="Återkalla samtycke / withdraw consent",
    responses={**_OK, **_CMD_ERRORS},
)
async def withdraw_consent(
    case_id: CaseId,
    body: ConsentWithdraw,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    parties = tuple(body.parties) if body.parties else None
    cmd = c.WithdrawConsent(parties=parties, reason=body.reason, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/decision",
    response_model=CaseOut,
    summary="Beslut om deltagande / decide participation",
    responses={**_OK, **_CMD_ERRORS},
)
async def decide_participation(
    case_id: CaseId,
    body: DecisionCreate,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    cmd = c.DecideParticipation(decision=body.decision, note=body.note, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/phase", response_model=CaseOut, summary="Byt fas / move to a phase", responses={**_OK, **_CMD_ERRORS}
)
async def move_phase(
    case_id: CaseId,
    body: PhaseMove,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    cmd = c.StartPhase(phase=body.phase, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/tasks/{task_id}/accept",
    response_model=CaseOut,
    summary="Acceptera uppgift / accept a task",
    responses={**_OK, **_CMD_ERRORS},
)
async def accept_task(
    case_id: CaseId,
    task_id: TaskId,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    return await _execute(
        services,
        caller,
        case_id,
        c.AcceptTask(task_id=task_id, actor=caller.user_id),
        version,
        idempotency_key,
        response,
    )


@router.post(
    "/{case_id}/tasks/{task_id}/decline",
    response_model=CaseOut,
    summary="Avböj uppgift / decline a task",
    responses={**_OK, **_CMD_ERRORS},
)
async def decline_task(
    case_id: CaseId,
    task_id: TaskId,
    body: TaskDecline,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    cmd = c.DeclineTask(task_id=task_id, reason=body.reason, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/tasks/{task_id}/complete",
    response_model=CaseOut,
    summary="Slutför uppgift / complete a task",
    responses={**_OK, **_CMD_ERRORS},
)
async def complete_task(
    case_id: CaseId,
    task_id: TaskId,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
    body: Annotated[TaskComplete | None, Body()] = None,
) -> CaseOut:
    cmd = c.CompleteTask(task_id=task_id, note=body.note if body else None, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/tasks/{task_id}/comments",
    response_model=CaseOut,
    summary="Kommentera uppgift / comment on a task",
    responses={**_OK, **_CMD_ERRORS},
)
async def comment_task(
    case_id: CaseId,
    task_id: TaskId,
    body: TaskComment,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    cmd = c.CommentTask(task_id=task_id, text=body.text, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/contacts",
    response_model=CaseOut,
    summary="Registrera kontakt / record contact",
    responses={**_OK, **_CMD_ERRORS},
)
async def record_contact(
    case_id: CaseId,
    body: ContactCreate,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    cmd = c.RecordContact(on=body.on, channel=body.channel, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/facts",
    response_model=CaseOut,
    summary="Registrera faktum / record a fact",
    responses={**_OK, **_CMD_ERRORS},
)
async def record_fact(
    case_id: CaseId,
    body: FactCreate,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    value = body.value.isoformat() if isinstance(body.value, date) else body.value
    cmd = c.RecordFact(fact=body.fact, value=value, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/extend",
    response_model=CaseOut,
    summary="Förläng fasen / extend the phase",
    responses={**_OK, **_CMD_ERRORS},
)
async def extend_phase(
    case_id: CaseId,
    body: ExtensionCreate,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    cmd = c.ExtendPhase(reason=body.reason, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/exit",
    response_model=CaseOut,
    summary="Avsluta med utfall / exit with outcome",
    responses={**_OK, **_CMD_ERRORS},
)
async def exit_case(
    case_id: CaseId,
    body: ExitCreate,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    cmd = c.ExitCase(outcome=body.outcome, reason=body.reason, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/abort", response_model=CaseOut, summary="Avbrott / abort the case", responses={**_OK, **_CMD_ERRORS}
)
async def abort_case(
    case_id: CaseId,
    body: AbortCreate,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    cmd = c.AbortCase(reason=body.reason, note=body.note, actor=caller.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post(
    "/{case_id}/protected-identity",
    response_model=CaseOut,
    summary="Skyddade personuppgifter / protected identity arrived",
    description="Removes name and personnummer at once. If-Match is optional here: protection must "
    "never wait for a version round-trip.",
    responses={**_OK, **problem_responses(401, 403, 404, 412, 422)},
)
def protected_identity(
    case_id: CaseId,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    version: OptionalVersion,
    idempotency_key: IdempotencyKey = None,
    body: Annotated[ProtectedIdentityCreate | None, Body()] = None,
) -> CaseOut:
    out = services.cases.set_protected_identity(
        caller, case_id, expected_version=version, idempotency_key=idempotency_key
    )
    return _with_etag(out, response)
