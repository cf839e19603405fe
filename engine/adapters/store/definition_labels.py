"""The labels stored with each definition row (`stored_labels`), computed again for every row:
the migrations that add a column for them (0005) or a key to them (0008) call this one function."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection


def fill_definition_labels(conn: Connection) -> int:
    """Every stored version's labels, parsed once from its YAML; one that no longer loads keeps
    what it has (its pages show ids). Returns how many rows were written."""
    from engine.core.loader import DefinitionError, loads
    from engine.service.definitions import stored_labels

    table = sa.table("definitions", sa.column("id"), sa.column("version"), sa.column("yaml"),
                     sa.column("labels", sa.JSON()))  # fmt: skip
    written = 0
    for did, version, text in conn.execute(sa.select(table.c.id, table.c.version, table.c.yaml)).all():
        try:
            labels = stored_labels(loads(text, f"{did}@{version}"))
        except DefinitionError:
            continue
        conn.execute(table.update().where(table.c.id == did, table.c.version == version).values(labels=labels))
        written += 1
    return written
