"""Tables of the web pages (issue 7): local staff accounts and their notification choice.

Kept apart from models.py's case tables; models.py imports this module at its end so that
`Base.metadata` (Alembic, the model-vs-migration test) sees these tables too. No participant
data here: accounts are staff of the parties and of the förbund.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.adapters.store.models import Base
from engine.adapters.store.types import BigId, UTCDateTime


class WebAccountRow(Base):
    """A person who signs in to the pages. `password_hash` is argon2id; NULL for OIDC-only accounts."""

    __tablename__ = "web_accounts"

    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    party: Mapped[str | None] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    notify_mode: Mapped[str] = mapped_column(String(16), default="event")
    """event: one e-mail per event · digest: one e-mail a day · none: no e-mail."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationReadRow(Base):
    """A notification (an outbox row of kind = event type) a person has marked as read on the
    notifications page (migration 0007_notifications). No foreign key: the outbox row may go, the
    mark then simply matches nothing."""

    __tablename__ = "notification_reads"

    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    message_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
