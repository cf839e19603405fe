"""Timers: the owner of a sweep's claim, so a sweep whose lease ran out cannot release or delete
timers another sweep has claimed since (issue 13).

Revision ID: 0005_timer_owner
Revises: 0004_outbox_owner
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_timer_owner"
down_revision: str | None = "0004_outbox_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_column("owner")
