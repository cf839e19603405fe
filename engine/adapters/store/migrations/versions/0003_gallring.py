"""Gallring: a log of runs, and the cases whose personal data was removed.

Revision ID: 0003_gallring
Revises: 0002_web_accounts
Create Date: 2026-11-25 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_gallring"
down_revision: str | None = "0002_web_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gallring_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_by", sa.String(length=200), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("access_log_cutoff", sa.Date(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("access_log", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gallring_runs")),
    )
    with op.batch_alter_table("gallring_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gallring_runs_started_at"), ["started_at"], unique=False)
    op.create_table(
        "gallrade_cases",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_entry_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["gallring_runs.id"], name=op.f("fk_gallrade_cases_run_id_gallring_runs")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_gallrade_cases")),
    )
    with op.batch_alter_table("gallrade_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gallrade_cases_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gallrade_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gallrade_cases_run_id"))
    op.drop_table("gallrade_cases")
    with op.batch_alter_table("gallring_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gallring_runs_started_at"))
    op.drop_table("gallring_runs")
