"""The case team (issue 14): membership, hand-over, task assignment, priority, follow-up, a party's
own reference and emergency access. Commands like every other case command (`If-Match`, optional
`Idempotency-Key`, the new `ETag`); the access rules are the service's (engine/service/access.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import CurrentCaller, ExpectedVersion, IdempotencyKey, ServicesDep
from api.routers.cases import _CMD_ERRORS, _OK, CaseId, TaskId, _execute
from api.routing import CheckedRoute
from api.schemas import (
    EmergencyAccessCreate,
    ExternalReferenceCreate,
    HandOverCreate,
    Party,
    TaskAssign,
    TaskFollowUp,
    TaskPriority,
    TeamMemberCreate,
    UserId,
)
from engine.core import commands as c
from engine.service.views import CaseOut

router = APIRouter(prefix="/cases", tags=["team"], route_class=CheckedRoute)
_RESPONSES = {**_OK, **_CMD_ERRORS}
PartyPath = Annotated[Party, Path()]
UserPath = Annotated[UserId, Path()]


@router.post("/{case_id}/team", response_model=CaseOut, summary="Lägg till i teamet / add a team member",
             responses=_RESPONSES)  # fmt: skip
async def add_member(
    case_id: CaseId, body: TeamMemberCreate, caller: CurrentCaller, services: ServicesDep, response: Response,
    version: ExpectedVersion, idempotency_key: IdempotencyKey = None,
) -> CaseOut:  # fmt: skip
    cmd = c.AddTeamMember(party=body.party, user_id=body.user_id, name=body.name, role=body.role)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.delete("/{case_id}/team/{party}/{user}", response_model=CaseOut,
               summary="Ta bort ur teamet / remove a team member", responses=_RESPONSES)  # fmt: skip
async def remove_member(
    case_id: CaseId, party: PartyPath, user: UserPath, caller: CurrentCaller, services: ServicesDep,
    response: Response, version: ExpectedVersion, idempotency_key: IdempotencyKey = None,
) -> CaseOut:  # fmt: skip
    cmd = c.RemoveTeamMember(party=party, user_id=user)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post("/{case_id}/team/hand-over", response_model=CaseOut, summary="Lämna över / hand the case over",
             responses=_RESPONSES)  # fmt: skip
async def hand_over(
    case_id: CaseId, body: HandOverCreate, caller: CurrentCaller, services: ServicesDep, response: Response,
    version: ExpectedVersion, idempotency_key: IdempotencyKey = None,
) -> CaseOut:  # fmt: skip
    cmd = c.HandOver(party=body.party, from_user=body.from_user, to_user=body.to_user, to_name=body.to_name)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post("/{case_id}/tasks/{task_id}/claim", response_model=CaseOut, summary="Ta uppgiften / claim a task",
             responses=_RESPONSES)  # fmt: skip
async def claim(
    case_id: CaseId, task_id: TaskId, caller: CurrentCaller, services: ServicesDep, response: Response,
    version: ExpectedVersion, idempotency_key: IdempotencyKey = None,
) -> CaseOut:  # fmt: skip
    return await _execute(services, caller, case_id, c.ClaimTask(task_id=task_id), version, idempotency_key, response)


@router.post("/{case_id}/tasks/{task_id}/unclaim", response_model=CaseOut,
             summary="Lämna tillbaka uppgiften / unclaim a task", responses=_RESPONSES)  # fmt: skip
async def unclaim(
    case_id: CaseId, task_id: TaskId, caller: CurrentCaller, services: ServicesDep, response: Response,
    version: ExpectedVersion, idempotency_key: IdempotencyKey = None,
) -> CaseOut:  # fmt: skip
    cmd = c.UnclaimTask(task_id=task_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post("/{case_id}/tasks/{task_id}/assign", response_model=CaseOut,
             summary="Tilldela uppgiften / assign a task", responses=_RESPONSES)  # fmt: skip
async def assign(
    case_id: CaseId, task_id: TaskId, body: TaskAssign, caller: CurrentCaller, services: ServicesDep,
    response: Response, version: ExpectedVersion, idempotency_key: IdempotencyKey = None,
) -> CaseOut:  # fmt: skip
    cmd = c.AssignTask(task_id=task_id, user_id=body.user_id)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post("/{case_id}/tasks/{task_id}/priority", response_model=CaseOut,
             summary="Prioritet / set a task's priority", responses=_RESPONSES)  # fmt: skip
async def priority(
    case_id: CaseId, task_id: TaskId, body: TaskPriority, caller: CurrentCaller, services: ServicesDep,
    response: Response, version: ExpectedVersion, idempotency_key: IdempotencyKey = None,
) -> CaseOut:  # fmt: skip
    cmd = c.SetTaskPriority(task_id=task_id, priority=body.priority)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post("/{case_id}/tasks/{task_id}/follow-up", response_model=CaseOut,
             summary="Påbörja senast / set a task's follow-up day", responses=_RESPONSES)  # fmt: skip
async def follow_up(
    case_id: CaseId, task_id: TaskId, body: TaskFollowUp, caller: CurrentCaller, services: ServicesDep,
    response: Response, version: ExpectedVersion, idempotency_key: IdempotencyKey = None,
) -> CaseOut:  # fmt: skip
    cmd = c.SetTaskFollowUp(task_id=task_id, on=body.on)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post("/{case_id}/external-reference", response_model=CaseOut,
             summary="Partens diarienummer / set the party's own reference", responses=_RESPONSES)  # fmt: skip
async def external_reference(
    case_id: CaseId, body: ExternalReferenceCreate, caller: CurrentCaller, services: ServicesDep,
    response: Response, version: ExpectedVersion, idempotency_key: IdempotencyKey = None,
) -> CaseOut:  # fmt: skip
    cmd = c.SetExternalReference(party=body.party, reference=body.reference)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)


@router.post("/{case_id}/emergency-access", response_model=CaseOut,
             summary="Nödåtkomst / emergency access for 24 hours", responses=_RESPONSES)  # fmt: skip
async def emergency_access(
    case_id: CaseId, body: EmergencyAccessCreate, caller: CurrentCaller, services: ServicesDep,
    response: Response, version: ExpectedVersion, idempotency_key: IdempotencyKey = None,
) -> CaseOut:  # fmt: skip
    cmd = c.GrantEmergencyAccess(reason=body.reason)
    return await _execute(services, caller, case_id, cmd, version, idempotency_key, response)
