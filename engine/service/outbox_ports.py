"""The ports of the outbox: what the dispatcher and the digest read and write, and how a message
leaves the system. `engine/adapters` implements them (`SqlAlchemyOutbox`, `SmtpSender`,
`WebhookSender`); tests use the `Fake*` ones in tests/fakes.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any, Protocol

from engine.core.definition import Definition
from engine.service.preferences import AccountPreference

CHANNELS = ("email", "webhook", "digest")
"""Kinds of a delivery the dispatcher sends (a `digest` is one e-mail)."""
DELIVERY_KINDS = (*CHANNELS, "digest_item")
SENDABLE = ("queued", "sending")


class DeliveryError(RuntimeError):
    """A transport could not deliver; `permanent` when trying again cannot help (the row goes dead)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class NewOutboxMessage:
    """An outbox row to write: a delivery, a digest item or a digest."""

    case_id: str
    event_id: int
    kind: str
    recipient: str
    payload: dict[str, Any]
    idempotency_key: str
    status: str
    next_attempt_at: datetime
    created_at: datetime
    attempts: int = 0


@dataclass(frozen=True)
class OutboxMessage:
    """An outbox row as stored (a notification or a delivery)."""

    id: int
    case_id: str
    event_id: int
    kind: str
    recipient: str
    payload: dict[str, Any]
    idempotency_key: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    owner: str | None = None
    """The dispatcher run that claimed the row last (its lease is `next_attempt_at` while `sending`)."""


@dataclass(frozen=True)
class TaskFacts:
    """What a message may say about a task (the tasks projection)."""

    label: str
    due: date | None
    meeting: bool


@dataclass(frozen=True)
class DueTask:
    """An open task with a due date, for the morning digest."""

    case_id: str
    task_id: str
    label: str
    party: str
    responsible: str
    escalated_to: str | None
    due: date
    assignee: str | None = None


class DigestBatch(Protocol):
    """One transaction of the digest: read the open tasks, write the items not written yet."""

    def open_tasks_due_by(self, day: date) -> list[DueTask]: ...

    def account_preferences(self) -> list[AccountPreference]: ...

    def stand_ins(self, user_ids: Sequence[str], on: date) -> dict[str, list[str]]:
        """Absent person → the substitutes standing in for them on `on` (`substitutes`)."""
        ...

    def has_key(self, idempotency_key: str) -> bool: ...

    def last_event_id(self, case_id: str) -> int: ...

    def add(self, messages: Iterable[NewOutboxMessage]) -> None: ...

    def commit(self) -> None: ...


class OutboxBatch(DigestBatch, Protocol):
    """One transaction of the dispatcher. The rows a `pending_notifications` or `due_digest_items`
    returns stay locked (PostgreSQL: `FOR UPDATE SKIP LOCKED`) until the transaction ends."""

    def pending_notifications(self, limit: int) -> list[OutboxMessage]: ...

    def due_digest_items(self, now: datetime) -> list[OutboxMessage]: ...

    def set_status(self, message_id: int, status: str) -> None:
        """Of a row this transaction returned (a notification routed, a digest item digested)."""
        ...

    def existing_keys(self, keys: Sequence[str]) -> set[str]: ...

    def messages(self, ids: Sequence[int]) -> list[OutboxMessage]: ...

    def definition(self, case_id: str) -> Definition | None:
        """The definition version the case runs on; None when the case is gone."""
        ...

    def task(self, case_id: str, task_id: str) -> TaskFacts | None: ...

    def event_seq(self, event_id: int) -> int | None: ...


class DigestOutbox(Protocol):
    def transaction(self) -> AbstractContextManager[DigestBatch]: ...


class OutboxStore(Protocol):
    def transaction(self) -> AbstractContextManager[OutboxBatch]: ...

    def claim(self, now: datetime, limit: int, owner: str, lease_until: datetime) -> list[OutboxMessage]:
        """Due deliveries (queued, or sending with a lease that ended by `now`) to `sending` for
        `owner` (attempts + 1, leased until `lease_until`), committed before anything is sent; rows
        another worker is claiming at the same moment are skipped."""
        ...

    # Every state change of a claimed row holds only while `owner` still has it: a row whose lease
    # ran out and that another run claimed is left alone (False: the change was not applied).

    def mark_sent(self, message_id: int, owner: str, at: datetime) -> bool: ...

    def mark_retry(self, message_id: int, owner: str, at: datetime, error: str) -> bool: ...

    def mark_dead(self, message_id: int, owner: str, error: str) -> bool: ...

    def deliveries(
        self, *, status: str | None, case_id: str | None, limit: int, offset: int
    ) -> list[OutboxMessage]: ...

    def status_counts(self) -> dict[str, int]: ...

    def redrive(self, ids: Sequence[int] | None, now: datetime) -> int:
        """Dead deliveries (all, or these) back to `queued` with a fresh attempt budget."""
        ...


class MailTransport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Raises `DeliveryError` when the message did not go."""
        ...


class WebhookTransport(Protocol):
    def send(self, url: str, secret: str, msg_id: str, payload: Mapping[str, Any]) -> object:
        """Raises `DeliveryError` when the receiver did not take it."""
        ...
