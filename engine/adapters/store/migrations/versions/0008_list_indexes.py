"""The lists people work from (issue 14): indexes so that a party's open tasks are read in due
order (a partial index of the open tasks: a page is its first rows, not a sort of all of them), a
role's escalated tasks and a party's cases filtered by status and phase are index scans
(bench/read_bench.py shows the plans).

Revision ID: 0008_list_indexes
Revises: 0007_notifications
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_list_indexes"
down_revision: str | None = "0007_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OPEN = "status IN ('open', 'accepted')"


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_escalated_to_status_due", ["escalated_to", "status", "due"], unique=False)
        batch_op.create_index(
            "ix_tasks_open_party_due", ["party", "due", "case_id", "task_id"], unique=False,
            postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN),
        )  # fmt: skip
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_status_phase_updated_at", ["status", "phase", "updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status_phase_updated_at")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_open_party_due")
        batch_op.drop_index("ix_tasks_escalated_to_status_due")
