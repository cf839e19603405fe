"""Definitions: the labels stored with each row gained a `forms` key (what the case page's forms
offer: fact types, phase kinds, extendable phases, outcomes, avbrott reasons); rows stored before
it lack it and their case pages showed fewer forms. Every row's labels are computed again.

Revision ID: 0009_labels_forms
Revises: 0008_list_indexes
Create Date: 2026-12-01 23:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_labels_forms"
down_revision: str | None = "0008_list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from engine.adapters.store.definition_labels import fill_definition_labels

    fill_definition_labels(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: the labels stay as computed (a reader ignores keys it does not know)."""
