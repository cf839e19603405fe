"""Loggkontroll: the access log, for auditors only."""

from __future__ import annotations

from engine.service import access
from engine.service.access import Caller
from engine.service.errors import ServiceError
from engine.service.query_ports import AccessLogReader
from engine.service.views import AccessLogOut, Page


class AuditService:
    def __init__(self, log: AccessLogReader) -> None:
        self._log = log

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
        total, rows = self._log.page(
            person_id=person_id, user_id=user_id, case_id=case_id, limit=limit, offset=(page - 1) * limit
        )
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
