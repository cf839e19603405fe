"""The case team (issue 14): tasks get an assignee, a priority and a follow-up day; case_members and
case_refs project `CaseState.team` / `external_refs`; saved_views and substitutes are new tables.

Revision ID: 0006_case_team
Revises: 0005_owner_labels
Create Date: 2026-12-01 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_case_team"
down_revision: str | None = "0005_owner_labels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("assignee_name", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("priority", sa.String(length=16), nullable=False, server_default="normal")
        )
        batch_op.add_column(sa.Column("follow_up", sa.Date(), nullable=True))
        batch_op.create_index("ix_tasks_assignee_status_due", ["assignee", "status", "due"], unique=False)
        batch_op.create_index(
            "ix_tasks_party_status_priority_due", ["party", "status", "priority", "due"], unique=False
        )
    op.create_table(
        "case_members",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_members_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", "party", "user_id", name=op.f("pk_case_members")),
    )
    with op.batch_alter_table("case_members", schema=None) as batch_op:
        batch_op.create_index("ix_case_members_user_id_case_id", ["user_id", "case_id"], unique=False)
    op.create_table(
        "case_refs",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_refs_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", "party", name=op.f("pk_case_refs")),
    )
    with op.batch_alter_table("case_refs", schema=None) as batch_op:
        batch_op.create_index("ix_case_refs_party_reference", ["party", "reference"], unique=True)
    op.create_table(
        "saved_views",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint("user_id", "kind", "name", name=op.f("uq_saved_views_user_id_kind_name")),
    )
    op.create_table(
        "substitutes",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=False),
        sa.Column("substitute_id", sa.String(length=200), nullable=False),
        sa.Column("substitute_name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substitutes")),
    )
    with op.batch_alter_table("substitutes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_substitutes_substitute_id_starts_on", ["substitute_id", "starts_on"], unique=False
        )
        batch_op.create_index("ix_substitutes_user_id_starts_on", ["user_id", "starts_on"], unique=False)


def downgrade() -> None:
    op.drop_table("substitutes")
    op.drop_table("saved_views")
    op.drop_table("case_refs")
    op.drop_table("case_members")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_party_status_priority_due")
        batch_op.drop_index("ix_tasks_assignee_status_due")
        batch_op.drop_column("follow_up")
        batch_op.drop_column("priority")
        batch_op.drop_column("assignee_name")
        batch_op.drop_column("assignee")
