"""The read-side ports of engine/service/query_ports.py on the SQLAlchemy store: the event feed,
the access log, case counts and the reports' facts. The queries are the services' own, moved here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.adapters.store.db import committed_event_horizon
from engine.adapters.store.models import AccessLogRow, CaseRow, DefinitionRow, EventRow, TaskRow
from engine.core.state import CaseState
from engine.service import access
from engine.service.access import Caller
from engine.service.cases import event_out
from engine.service.definitions import DefinitionCache
from engine.service.query_ports import (
    AccessLogFilter,
    AccessLogRecord,
    CaseFacts,
    FeedCase,
    ReportCase,
    ReportEvent,
    ReportFacts,
    TaskSpan,
)
from engine.service.uow import UowFactory
from engine.service.views import EventOut

# --- the event feed ------------------------------------------------------------------------


class SqlAlchemyFeedRead:
    def __init__(self, session: Session, definitions: DefinitionCache) -> None:
        self._s = session
        self._defs = definitions

    def events_after(self, cursor: int, horizon: int | None, limit: int) -> list[EventOut]:
        q = select(EventRow).where(EventRow.id > cursor)
        if horizon is not None:
            q = q.where(EventRow.id <= horizon)
        return [event_out(r) for r in self._s.scalars(q.order_by(EventRow.id).limit(limit)).all()]

    def newest_event_id(self) -> int:
        return int(self._s.scalar(select(func.max(EventRow.id))) or 0)

    def case(self, case_id: str) -> FeedCase:
        case = self._s.get(CaseRow, case_id)
        assert case is not None
        d = self._defs.get(self._s, case.definition_id, case.definition_version)
        return FeedCase(definition=d, state=CaseState.from_json(case.state), person_id=case.person_id)

    def log_access(
        self, caller: Caller, at: datetime, *, resource: str, purpose: str, case_id: str, person_id: str | None
    ) -> None:
        access.log_access(self._s, caller, at, resource=resource, purpose=purpose, case_id=case_id, person_id=person_id)

    def commit(self) -> None:
        self._s.commit()


class SqlAlchemyEventFeed:
    def __init__(self, uow: UowFactory, definitions: DefinitionCache) -> None:
        self._uow = uow
        self._defs = definitions

    def horizon(self) -> int | None:
        with self._uow() as uow:
            return committed_event_horizon(uow.session)

    @contextmanager
    def transaction(self) -> Iterator[SqlAlchemyFeedRead]:
        with self._uow() as uow:
            yield SqlAlchemyFeedRead(uow.session, self._defs)


# --- the access log ------------------------------------------------------------------------


def _record(r: AccessLogRow) -> AccessLogRecord:
    return AccessLogRecord(
        id=r.id, at=r.at, user_id=r.user_id, caller_kind=r.caller_kind, party=r.party, person_id=r.person_id,
        case_id=r.case_id, resource=r.resource, purpose=r.purpose,
    )  # fmt: skip


def _access_conditions(f: AccessLogFilter) -> list[Any]:
    where: list[Any] = []
    for column, value in (
        (AccessLogRow.person_id, f.person_id), (AccessLogRow.user_id, f.user_id), (AccessLogRow.case_id, f.case_id),
        (AccessLogRow.party, f.party),
    ):  # fmt: skip
        if value is not None:
            where.append(column == value)
    if f.case_prefix is not None:
        where.append(AccessLogRow.case_id.startswith(f.case_prefix, autoescape=True))
    if f.purpose is not None:
        where.append(func.lower(AccessLogRow.purpose).contains(f.purpose.lower(), autoescape=True))
    if f.start is not None:
        where.append(AccessLogRow.at >= f.start)
    if f.end is not None:
        where.append(AccessLogRow.at < f.end)
    return where


class SqlAlchemyAccessLog:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    def page(self, where: AccessLogFilter, *, limit: int, offset: int) -> tuple[int, list[AccessLogRecord]]:
        conditions = _access_conditions(where)
        with self._uow() as uow:
            s = uow.session
            total = s.scalar(select(func.count()).select_from(AccessLogRow).where(*conditions)) or 0
            rows = s.scalars(
                select(AccessLogRow).where(*conditions).order_by(AccessLogRow.id).limit(limit).offset(offset)
            ).all()
            return int(total), [_record(r) for r in rows]

    def period(self, start: datetime, end: datetime) -> tuple[list[AccessLogRecord], list[TaskSpan]]:
        with self._uow() as uow:
            s = uow.session
            rows = [
                _record(r)
                for r in s.scalars(
                    select(AccessLogRow)
                    .where(AccessLogRow.at >= start, AccessLogRow.at < end)
                    .order_by(AccessLogRow.id)
                ).all()
            ]
            case_ids = sorted({r.case_id for r in rows if r.case_id})
            spans = []
            for i in range(0, len(case_ids), 500):
                for t in s.scalars(select(TaskRow).where(TaskRow.case_id.in_(case_ids[i : i + 500]))):
                    spans.append(TaskSpan(t.case_id, t.party, t.created_on, t.closed_on, t.status))
        return rows, spans


# --- case counts and report facts ------------------------------------------------------------


class SqlAlchemyCaseCounts:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    def running_per_version(self, definition_id: str | None) -> dict[tuple[str, int], int]:
        with self._uow() as uow:
            q = select(CaseRow.definition_id, CaseRow.definition_version, func.count()).where(
                CaseRow.status == "active"
            )
            if definition_id is not None:
                q = q.where(CaseRow.definition_id == definition_id)
            rows = uow.session.execute(q.group_by(CaseRow.definition_id, CaseRow.definition_version)).all()
            return {(r[0], int(r[1])): int(r[2]) for r in rows}

    def case_facts(self, definition_id: str | None) -> list[CaseFacts]:
        with self._uow() as uow:
            q = select(CaseRow.status, CaseRow.phase, CaseRow.outcome, CaseRow.gender, CaseRow.anonymous)
            if definition_id is not None:
                q = q.where(CaseRow.definition_id == definition_id)
            rows = uow.session.execute(q).all()
        return [CaseFacts(status, phase, outcome, gender, bool(anon)) for status, phase, outcome, gender, anon in rows]


class SqlAlchemyReportSource:
    """Reads cases and events, never the `persons` table: no name or personnummer reaches a report."""

    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    def facts(self, definition_id: str | None) -> ReportFacts:
        with self._uow() as uow:
            s = uow.session
            q = select(CaseRow.id, CaseRow.definition_id, CaseRow.gender, CaseRow.birth_year)
            if definition_id is not None:
                q = q.where(CaseRow.definition_id == definition_id)
            cases = {cid: ReportCase(did, gender, by) for cid, did, gender, by in s.execute(q)}
            eq = (
                select(EventRow.case_id, EventRow.type, EventRow.at, EventRow.data)
                .where(EventRow.type.in_(("ParticipationDecided", "CaseClosed")))
                .order_by(EventRow.case_id, EventRow.seq)
            )
            if definition_id is not None:
                eq = eq.join(CaseRow, CaseRow.id == EventRow.case_id).where(CaseRow.definition_id == definition_id)
            events = [ReportEvent(case_id, type_, at, data) for case_id, type_, at, data in s.execute(eq)]
            names: dict[str, str] = {}
            for did, _version, name in s.execute(
                select(DefinitionRow.id, DefinitionRow.version, DefinitionRow.name).order_by(DefinitionRow.version)
            ):
                names[did] = name  # the newest version's name
        return ReportFacts(cases=cases, events=events, names=names)
