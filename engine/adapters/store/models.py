"""The tables (SQLAlchemy 2 typed ORM). The first Alembic migration creates exactly these.

Personal data lives in `persons` only (and in nothing for anonymous or protected participants);
everything else refers to a person by id. `cases.state` is the engine's `CaseState` as JSON; the
`tasks` and `timers` tables are projections of it, written in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from engine.adapters.store.types import BigId, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DefinitionRow(Base):
    __tablename__ = "definitions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    yaml: Mapped[str] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    labels: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What pages show for the definition's ids (`stored_labels`), so no read path parses it."""


class PersonRow(Base):
    __tablename__ = "persons"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    personnummer: Mapped[str | None] = mapped_column(String(12), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = (
        ForeignKeyConstraint(
            ["definition_id", "definition_version"],
            ["definitions.id", "definitions.version"],
            name="fk_cases_definition_definitions",
        ),
        Index("ix_cases_definition", "definition_id", "definition_version", "status"),
        Index("ix_cases_status_phase_updated_at", "status", "phase", "updated_at"),  # 0008_list_indexes
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("persons.id"), index=True)
    definition_id: Mapped[str] = mapped_column(String(64))
    definition_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    phase: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    last_event_seq: Mapped[int] = mapped_column(Integer, default=0)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    referred_by: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(64))


class ConsentRow(Base):
    """A consent as recorded, kept apart from other case data; withdrawal is recorded, never deleted."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    parties: Mapped[list[str]] = mapped_column(JSON)
    given_on: Mapped[date] = mapped_column(Date)
    form: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(200))
    withdrawn_parties: Mapped[list[str]] = mapped_column(JSON, default=list)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    """The day the consent stopped covering any party (full withdrawal)."""
    ended_on: Mapped[date | None] = mapped_column(Date)
    """The day the consent ended because the case closed."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str | None] = mapped_column(String(200))


OPEN_TASK = "status IN ('open', 'accepted')"
"""The open tasks (engine.core.state.OPEN_STATUSES), the predicate of the lists' partial index."""


class TaskRow(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_party_status_due", "party", "status", "due"),
        Index("ix_tasks_responsible_status_due", "responsible", "status", "due"),
        Index("ix_tasks_assignee_status_due", "assignee", "status", "due"),
        Index("ix_tasks_party_status_priority_due", "party", "status", "priority", "due"),
        Index("ix_tasks_escalated_to_status_due", "escalated_to", "status", "due"),  # 0008_list_indexes
        Index(
            "ix_tasks_open_party_due", "party", "due", "case_id", "task_id",
            postgresql_where=text(OPEN_TASK), sqlite_where=text(OPEN_TASK),
        ),  # fmt: skip  # 0008_list_indexes: a party's open tasks in due order
    )

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(300))
    phase: Mapped[str | None] = mapped_column(String(64))
    responsible: Mapped[str] = mapped_column(String(64))
    party: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    due: Mapped[date | None] = mapped_column(Date)
    blocking: Mapped[bool] = mapped_column(Boolean)
    meeting: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_to: Mapped[str | None] = mapped_column(String(64))
    created_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    assignee: Mapped[str | None] = mapped_column(String(200))
    """The team member (user id) the task is assigned to; NULL: unassigned (0006_case_team)."""
    assignee_name: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[str] = mapped_column(String(16), default="normal", server_default="normal")
    """normal | high"""
    follow_up: Mapped[date | None] = mapped_column(Date)
    """"Påbörja senast": the day work on the task should have started."""


class TimerRow(Base):
    __tablename__ = "timers"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    timer_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner: Mapped[str | None] = mapped_column(String(64))
    """The sweep run whose claim `claimed_until` is: only it releases or deletes the row."""


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(64))
    """The dispatcher run that claimed the row last; its state changes check it (0004_outbox_owner)."""


class AccessLogRow(Base):
    """Every read of personal data (loggkontroll). Kept at least 5 years; never updated."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    caller_kind: Mapped[str] = mapped_column(String(32))
    party: Mapped[str | None] = mapped_column(String(64))
    person_id: Mapped[str | None] = mapped_column(String(32), index=True)
    case_id: Mapped[str | None] = mapped_column(String(32))
    resource: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(300))


class IdempotencyRow(Base):
    __tablename__ = "idempotency"

    caller: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status_code: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Tables of the web pages (issue 7) live in their own module; imported here so Base.metadata has them.
# Gallring (issue 6): its run log and the cases it cleared, in their own module (migration 0003).
from engine.adapters.store import gallring_models as _gallring_models  # noqa: E402, F401
from engine.adapters.store import team_models as _team_models  # noqa: E402, F401
from engine.adapters.store import web_models as _web_models  # noqa: E402, F401
