"""`SqlAlchemyOutbox`: the outbox ports (engine/service/outbox_ports.py) on the `outbox` table.

The queries are the dispatcher's and the digest's: notifications and due digest items are read
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers route and collect without waiting for
each other or doing a row twice; a claim commits its owner and lease before anything is sent. The
claim records the run's owner (SQLite serialises it with BEGIN IMMEDIATE; its UPDATE repeats the
due condition all the same), and every later state change is `WHERE id = ? AND owner = ?`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from engine.adapters.store.models import CaseRow, EventRow, OutboxRow, TaskRow
from engine.adapters.store.team_models import SubstituteRow
from engine.adapters.store.web_models import WebAccountRow
from engine.core.definition import Definition
from engine.core.state import OPEN_STATUSES
from engine.service.definitions import DefinitionCache
from engine.service.outbox_ports import (
    CHANNELS,
    DELIVERY_KINDS,
    SENDABLE,
    DueTask,
    NewOutboxMessage,
    OutboxMessage,
    TaskFacts,
)
from engine.service.preferences import AccountPreference
from engine.service.uow import UowFactory


def message(r: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=r.id, case_id=r.case_id, event_id=r.event_id, kind=r.kind, recipient=r.recipient, payload=r.payload,
        idempotency_key=r.idempotency_key, status=r.status, attempts=r.attempts, next_attempt_at=r.next_attempt_at,
        sent_at=r.sent_at, last_error=r.last_error, owner=r.owner,
    )  # fmt: skip


def load_account_preferences(session: Session) -> list[AccountPreference]:
    """Every active account with an address, and its choice (what the settings page saved)."""
    rows = session.execute(
        select(
            WebAccountRow.user_id,
            WebAccountRow.kind,
            WebAccountRow.party,
            WebAccountRow.roles,
            WebAccountRow.email,
            WebAccountRow.notify_mode,
        ).where(WebAccountRow.active.is_(True), WebAccountRow.email.is_not(None))
    ).all()
    return [
        AccountPreference(user_id, kind, party, tuple(roles or ()), email, mode or "event")
        for user_id, kind, party, roles, email, mode in rows
    ]


def _pg(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def _locked(s: Session, q: Select[Any]) -> Select[Any]:
    return q.with_for_update(skip_locked=True) if _pg(s) else q


class SqlAlchemyOutboxBatch:
    """One transaction (`OutboxBatch`, `DigestBatch`); the rows it returned stay in its session."""

    def __init__(self, session: Session, definitions: DefinitionCache) -> None:
        self._s = session
        self._defs = definitions
        self._rows: dict[int, OutboxRow] = {}

    def _keep(self, rows: Iterable[OutboxRow]) -> list[OutboxMessage]:
        out = []
        for r in rows:
            self._rows[r.id] = r
            out.append(message(r))
        return out

    def pending_notifications(self, limit: int) -> list[OutboxMessage]:
        q = (
            select(OutboxRow)
            .where(OutboxRow.status == "pending", OutboxRow.kind.not_in(DELIVERY_KINDS))
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        return self._keep(self._s.scalars(_locked(self._s, q)).all())

    def due_digest_items(self, now: datetime) -> list[OutboxMessage]:
        q = (
            select(OutboxRow)
            .where(OutboxRow.status == "digest", OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.id)
        )
        return self._keep(self._s.scalars(_locked(self._s, q)).all())

    def set_status(self, message_id: int, status: str) -> None:
        self._rows[message_id].status = status

    def existing_keys(self, keys: Sequence[str]) -> set[str]:
        existing: set[str] = set()
        for i in range(0, len(keys), 500):  # one query per 500 keys, not one per delivery
            chunk = list(keys[i : i + 500])
            existing.update(
                self._s.scalars(select(OutboxRow.idempotency_key).where(OutboxRow.idempotency_key.in_(chunk)))
            )
        return existing

    def has_key(self, idempotency_key: str) -> bool:
        return self._s.scalar(select(OutboxRow.id).where(OutboxRow.idempotency_key == idempotency_key)) is not None

    def add(self, messages: Iterable[NewOutboxMessage]) -> None:
        self._s.add_all(
            OutboxRow(
                case_id=m.case_id,
                event_id=m.event_id,
                kind=m.kind,
                recipient=m.recipient,
                payload=m.payload,
                idempotency_key=m.idempotency_key,
                status=m.status,
                attempts=m.attempts,
                next_attempt_at=m.next_attempt_at,
                created_at=m.created_at,
            )  # fmt: skip
            for m in messages
        )

    def messages(self, ids: Sequence[int]) -> list[OutboxMessage]:
        rows = self._s.scalars(select(OutboxRow).where(OutboxRow.id.in_(list(ids))).order_by(OutboxRow.id)).all()
        return [message(r) for r in rows]

    def account_preferences(self) -> list[AccountPreference]:
        return load_account_preferences(self._s)

    def stand_ins(self, user_ids: Sequence[str], on: date) -> dict[str, list[str]]:
        if not user_ids:
            return {}
        q = select(SubstituteRow.user_id, SubstituteRow.substitute_id).where(
            SubstituteRow.user_id.in_(list(user_ids)), SubstituteRow.starts_on <= on, SubstituteRow.ends_on >= on
        )
        out: dict[str, list[str]] = {}
        for user_id, substitute in self._s.execute(q.order_by(SubstituteRow.id)).all():
            out.setdefault(user_id, []).append(substitute)
        return out

    def definition(self, case_id: str) -> Definition | None:
        row = self._s.get(CaseRow, case_id)
        if row is None:
            return None
        return self._defs.get(self._s, row.definition_id, row.definition_version)

    def task(self, case_id: str, task_id: str) -> TaskFacts | None:
        t = self._s.get(TaskRow, (case_id, task_id))
        return None if t is None else TaskFacts(label=t.label, due=t.due, meeting=bool(t.meeting))

    def event_seq(self, event_id: int) -> int | None:
        event = self._s.get(EventRow, event_id)
        return event.seq if event is not None else None

    def open_tasks_due_by(self, day: date) -> list[DueTask]:
        tasks = self._s.scalars(
            select(TaskRow)
            .where(TaskRow.status.in_(sorted(OPEN_STATUSES)), TaskRow.due.is_not(None), TaskRow.due <= day)
            .order_by(TaskRow.due, TaskRow.case_id, TaskRow.task_id)
        ).all()
        out = []
        for t in tasks:
            assert t.due is not None
            out.append(
                DueTask(t.case_id, t.task_id, t.label, t.party, t.responsible, t.escalated_to, t.due, t.assignee)
            )
        return out

    def last_event_id(self, case_id: str) -> int:
        return int(self._s.scalar(select(func.max(EventRow.id)).where(EventRow.case_id == case_id)) or 0)

    def commit(self) -> None:
        self._s.commit()


class SqlAlchemyOutbox:
    """`OutboxStore` and `DigestOutbox` over the store's units of work."""

    def __init__(self, uow: UowFactory, definitions: DefinitionCache) -> None:
        self._uow = uow
        self._defs = definitions

    @contextmanager
    def transaction(self) -> Iterator[SqlAlchemyOutboxBatch]:
        with self._uow() as uow:
            yield SqlAlchemyOutboxBatch(uow.session, self._defs)

    def claim(self, now: datetime, limit: int, owner: str, lease_until: datetime) -> list[OutboxMessage]:
        due = (OutboxRow.status.in_(SENDABLE), OutboxRow.next_attempt_at <= now, OutboxRow.kind.in_(CHANNELS))
        with self._uow() as uow:
            s = uow.session
            candidates = select(OutboxRow.id).where(*due).order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(limit)
            ids = list(s.scalars(_locked(s, candidates)).all())
            if not ids:
                return []
            claimed = list(
                s.scalars(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_(ids), *due)
                    .values(status="sending", owner=owner, attempts=OutboxRow.attempts + 1, next_attempt_at=lease_until)
                    .returning(OutboxRow.id)
                    .execution_options(synchronize_session=False)
                ).all()
            )
            rows = [
                message(r) for r in s.scalars(select(OutboxRow).where(OutboxRow.id.in_(claimed)).order_by(OutboxRow.id))
            ]
            uow.commit()
        return rows

    def _mark(self, message_id: int, owner: str, **values: Any) -> bool:
        """Applied only while the row is still `owner`'s: its lease may have run out and another taken it."""
        with self._uow() as uow:
            res = uow.session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == message_id, OutboxRow.owner == owner, OutboxRow.status == "sending")
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            uow.commit()
        return int(res.rowcount) == 1  # type: ignore[attr-defined]

    def mark_sent(self, message_id: int, owner: str, at: datetime) -> bool:
        return self._mark(message_id, owner, status="sent", sent_at=at, last_error=None)

    def mark_retry(self, message_id: int, owner: str, at: datetime, error: str) -> bool:
        return self._mark(message_id, owner, status="queued", next_attempt_at=at, last_error=error)

    def mark_dead(self, message_id: int, owner: str, error: str) -> bool:
        return self._mark(message_id, owner, status="dead", last_error=error)

    def deliveries(self, *, status: str | None, case_id: str | None, limit: int, offset: int) -> list[OutboxMessage]:
        with self._uow() as uow:
            q = select(OutboxRow).where(OutboxRow.kind.in_(CHANNELS))
            if status is not None:
                q = q.where(OutboxRow.status == status)
            if case_id is not None:
                q = q.where(OutboxRow.case_id == case_id)
            q = q.order_by(OutboxRow.id).limit(limit).offset(offset)
            return [message(r) for r in uow.session.scalars(q).all()]

    def status_counts(self) -> dict[str, int]:
        with self._uow() as uow:
            rows = uow.session.execute(
                select(OutboxRow.status, func.count()).where(OutboxRow.kind.in_(CHANNELS)).group_by(OutboxRow.status)
            ).all()
        return {str(status): int(n) for status, n in rows}

    def redrive(self, ids: Sequence[int] | None, now: datetime) -> int:
        with self._uow() as uow:
            stmt = update(OutboxRow).where(OutboxRow.status == "dead", OutboxRow.kind.in_(CHANNELS))
            if ids is not None:
                stmt = stmt.where(OutboxRow.id.in_(list(ids)))
            res = uow.session.execute(
                stmt.values(status="queued", attempts=0, next_attempt_at=now).execution_options(
                    synchronize_session=False
                )
            )
            uow.commit()
        return int(res.rowcount)  # type: ignore[attr-defined]
