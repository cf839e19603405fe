"""Timers: the owner of a sweep's claim, so a sweep whose lease ran out cannot release or delete
timers another sweep has claimed since. Definitions: their labels (id → label per kind, the name,
each phase's transitions) as JSON, computed where the definition is parsed anyway (upload, sync,
here for the rows there are), so no read path parses a definition (issue 13).

Revision ID: 0005_owner_labels
Revises: 0004_outbox_owner
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_owner_labels"
down_revision: str | None = "0004_outbox_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
    with op.batch_alter_table("definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("labels", sa.JSON(), nullable=True))
    _fill_labels()


def _fill_labels() -> None:
    """The stored versions' labels, parsed once here; one that no longer loads keeps NULL (its
    pages show ids)."""
    from engine.adapters.store.definition_labels import fill_definition_labels

    fill_definition_labels(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("definitions", schema=None) as batch_op:
        batch_op.drop_column("labels")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_column("owner")
