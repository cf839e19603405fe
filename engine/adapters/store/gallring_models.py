"""Tables of gallring (issue 6): a log of runs and the cases whose personal data was removed.

Kept apart from models.py's case tables; models.py imports this module at its end so that
`Base.metadata` (Alembic, the model-vs-migration test) sees them. Migration 0003_gallring.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.adapters.store.models import Base
from engine.adapters.store.types import BigId, UTCDateTime


class GallringRunRow(Base):
    """One gallring run (or dry run): when, by whom, under which rule, and what it removed."""

    __tablename__ = "gallring_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_by: Mapped[str] = mapped_column(String(200))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    retention_years: Mapped[int] = mapped_column(Integer)
    cutoff: Mapped[date] = mapped_column(Date)
    """Cases whose last entry is before this day are due."""
    access_log_cutoff: Mapped[date] = mapped_column(Date)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    persons: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    access_log: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class GallradCaseRow(Base):
    """A case whose personal data was removed (never twice; its aggregates stay in cases/events)."""

    __tablename__ = "gallrade_cases"

    case_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("gallring_runs.id"), index=True)
    last_entry_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime)
