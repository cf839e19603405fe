"""Tables of the case team (issue 14, migration 0006_case_team): who works on a case, each party's
own reference for it, the saved list views and the substitutes of absent staff.

`case_members` and `case_refs` are projections of `CaseState.team` / `CaseState.external_refs`,
written by the one store writer in the same transaction as the case row (like `tasks`).
`saved_views` and `substitutes` are plain tables kept by their own stores. Imported at the end of
models.py so `Base.metadata` (Alembic, the model-vs-migration test) has them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.adapters.store.models import Base
from engine.adapters.store.types import BigId, UTCDateTime


class CaseMemberRow(Base):
    """One person on a case's team for one party (projection of `CaseState.team`)."""

    __tablename__ = "case_members"
    __table_args__ = (Index("ix_case_members_user_id_case_id", "user_id", "case_id"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    party: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(64))
    added_on: Mapped[date] = mapped_column(Date)


class CaseRefRow(Base):
    """A party's own reference (diarienummer) for a case (projection of `CaseState.external_refs`)."""

    __tablename__ = "case_refs"
    __table_args__ = (Index("ix_case_refs_party_reference", "party", "reference", unique=True),)

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    party: Mapped[str] = mapped_column(String(64), primary_key=True)
    reference: Mapped[str] = mapped_column(String(100))


class SavedViewRow(Base):
    """A person's named filter of the task or case list."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "kind", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    """tasks | cases"""
    name: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubstituteRow(Base):
    """`substitute_id` acts for the absent `user_id` (same party) from `starts_on` to `ends_on`."""

    __tablename__ = "substitutes"
    __table_args__ = (
        Index("ix_substitutes_substitute_id_starts_on", "substitute_id", "starts_on"),
        Index("ix_substitutes_user_id_starts_on", "user_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(200))
    party: Mapped[str] = mapped_column(String(64))
    substitute_id: Mapped[str] = mapped_column(String(200))
    substitute_name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
