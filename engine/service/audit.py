"""Loggkontroll: the access log, for auditors only."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.adapters.store.models import AccessLogRow
from engine.service import access
from engine.service.access import Caller
from engine.service.errors import ServiceError
from engine.service.uow import UowFactory
from engine.service.views import AccessLogOut, Page


class AuditService:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    def access_log(
        self,
        caller: Caller,
        person_id: str | None = None,
        user_id: str | None = None,
        limit: int = 20,
        page: int = 1,
        case_id: str | None = None,
    ) -> Page[AccessLogOut]:
        access.require_auditor(caller)
        if limit < 1 or page < 1:
            raise ServiceError("validation_error", "limit och page ska vara minst 1", details={"field": "limit"})
        limit = min(limit, 500)
        where = []
        if person_id is not None:
            where.append(AccessLogRow.person_id == person_id)
        if user_id is not None:
            where.append(AccessLogRow.user_id == user_id)
        if case_id is not None:
            where.append(AccessLogRow.case_id == case_id)
        with self._uow() as uow:
            s = uow.session
            total = s.scalar(select(func.count()).select_from(AccessLogRow).where(*where)) or 0
            rows = s.scalars(
                select(AccessLogRow).where(*where).order_by(AccessLogRow.id).limit(limit).offset((page - 1) * limit)
            ).all()
            items = [
                AccessLogOut(
                    id=r.id,
                    at=r.at,
                    user_id=r.user_id,
                    caller_kind=r.caller_kind,
                    party=r.party,
                    person_id=r.person_id,
                    case_id=r.case_id,
                    resource=r.resource,
                    purpose=r.purpose,
                )
                for r in rows
            ]
            return Page[AccessLogOut](items=items, limit=limit, page=page, total=total)
