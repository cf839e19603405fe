"""Outbox: the owner of a delivery's claim, so a dispatcher run whose lease ran out cannot change a
row another run has taken over (issue 13).

Revision ID: 0004_outbox_owner
Revises: 0003_gallring
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outbox_owner"
down_revision: str | None = "0003_gallring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("owner")
