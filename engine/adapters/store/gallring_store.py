"""The gallring port (engine/service/ports.py `GallringUnit`): the case unit plus gallring's own
reads and redactions. Its case rows change through the one writer, `append`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, delete, func, insert, select, update

from engine.adapters.store.case_store import SqlAlchemyCaseUnit, transaction
from engine.adapters.store.gallring_models import GallradCaseRow, GallringRunRow
from engine.adapters.store.writer import ACCESS_LOG, CASES, CONSENTS, EVENTS, IDEMPOTENCY, OUTBOX, PERSONS
from engine.service.ports import ClearedCase, ClosedCase

RUNS = cast(Table, GallringRunRow.__table__)
CLEARED = cast(Table, GallradCaseRow.__table__)
_RUN_FIELDS = ("id", "started_at", "finished_at", "run_by", "dry_run", "retention_years", "cutoff", "cases",
               "persons", "events", "access_log")  # fmt: skip


class SqlAlchemyGallringUnit(SqlAlchemyCaseUnit):
    def closed_cases_before(self, limit: datetime) -> list[ClosedCase]:
        last = (
            select(EVENTS.c.case_id, func.max(EVENTS.c.at).label("last_at"))
            .join(CASES, CASES.c.id == EVENTS.c.case_id)
            .where(CASES.c.status == "closed", CASES.c.id.not_in(select(CLEARED.c.case_id)))
            .group_by(EVENTS.c.case_id)
            .subquery()
        )
        q = (
            select(CASES.c.id, CASES.c.closed_at, CASES.c.person_id, last.c.last_at)
            .join(last, last.c.case_id == CASES.c.id)
            .where(last.c.last_at < limit)
            .order_by(last.c.last_at, CASES.c.id)
        )
        return [ClosedCase(*r) for r in self.connection.execute(q)]

    def access_log_before(self, limit: datetime) -> int:
        q = select(func.count()).select_from(ACCESS_LOG).where(ACCESS_LOG.c.at < limit)
        return int(self.connection.execute(q).scalar() or 0)

    def delete_access_log_before(self, limit: datetime) -> int:
        return int(self.connection.execute(delete(ACCESS_LOG).where(ACCESS_LOG.c.at < limit)).rowcount)

    def persons_only_in(self, case_ids: Sequence[str]) -> set[str]:
        if not case_ids:
            return set()
        linked = select(CASES.c.person_id).where(CASES.c.id.in_(case_ids), CASES.c.person_id.is_not(None))
        mine = {p for p in self.connection.scalars(linked) if p}
        if not mine:
            return set()
        elsewhere = select(CASES.c.person_id).where(CASES.c.person_id.in_(mine), CASES.c.id.not_in(case_ids))
        return mine - set(self.connection.scalars(elsewhere))

    def redact_history(
        self,
        case_ids: Sequence[str],
        event_data: Callable[[str, dict[str, Any]], dict[str, Any]],
        payload: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> int:
        s = self.connection
        ids = list(case_ids)
        events = []
        history = select(EVENTS.c.id, EVENTS.c.type, EVENTS.c.data).where(EVENTS.c.case_id.in_(ids))
        for event_id, type_, data in s.execute(history):
            clean = event_data(type_, data)
            if clean != data:
                events.append({"b_id": event_id, "data": clean})
        if events:
            s.execute(update(EVENTS).where(EVENTS.c.id == bindparam("b_id")).values(data=bindparam("data")), events)
        notes = []
        for note_id, body in s.execute(select(OUTBOX.c.id, OUTBOX.c.payload).where(OUTBOX.c.case_id.in_(ids))):
            clean = payload(body)
            if clean != body:
                notes.append({"b_id": note_id, "payload": clean})
        if notes:
            by_id = update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id")).values(payload=bindparam("payload"))
            s.execute(by_id, notes)
        s.execute(delete(CONSENTS).where(CONSENTS.c.case_id.in_(ids)))
        wanted = set(ids)
        stored = select(IDEMPOTENCY.c.caller, IDEMPOTENCY.c.key, IDEMPOTENCY.c.response)
        answers = [
            {"b_caller": caller, "b_key": key}
            for caller, key, response in s.execute(stored)
            if isinstance(response, dict) and response.get("id") in wanted
        ]
        if answers:
            s.execute(
                delete(IDEMPOTENCY).where(
                    IDEMPOTENCY.c.caller == bindparam("b_caller"), IDEMPOTENCY.c.key == bindparam("b_key")
                ),
                answers,
            )
        return len(events)

    def delete_persons(self, person_ids: set[str]) -> int:
        if not person_ids:
            return 0
        still = set(self.connection.scalars(select(CASES.c.person_id).where(CASES.c.person_id.in_(person_ids))))
        gone = person_ids - still
        if not gone:
            return 0
        return int(self.connection.execute(delete(PERSONS).where(PERSONS.c.id.in_(gone))).rowcount)

    def start_run(self, values: dict[str, Any]) -> int:
        return int(self.connection.execute(insert(RUNS).returning(RUNS.c.id), values).scalar_one())

    def finish_run(self, run_id: int, values: dict[str, Any]) -> None:
        self.connection.execute(update(RUNS).where(RUNS.c.id == run_id).values(values))

    def runs(self, limit: int) -> list[dict[str, Any]]:
        q = select(*(RUNS.c[name] for name in _RUN_FIELDS)).order_by(RUNS.c.id.desc()).limit(limit)
        return [dict(r) for r in self.connection.execute(q).mappings()]

    def record_cleared(self, run_id: int, cases: Sequence[ClearedCase], at: datetime) -> None:
        if cases:
            self.connection.execute(
                insert(CLEARED),
                [{"case_id": c.case_id, "run_id": run_id, "last_entry_on": c.last_entry_on, "deadline": c.deadline,
                  "purged_at": at} for c in cases],
            )  # fmt: skip


class SqlAlchemyGallringStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def unit(self) -> Iterator[SqlAlchemyGallringUnit]:
        with transaction(self._engine) as connection:
            yield SqlAlchemyGallringUnit(connection)
