"""Alembic, driven from code: `upgrade(url)`, `current(url)` and the start-up check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from engine.adapters.store.db import make_engine, normalise_url

HERE = Path(__file__).resolve().parent
UPGRADE_COMMAND = "python -m engine db upgrade"


class DatabaseNotMigrated(RuntimeError):
    def __init__(self, current: str | None = None, head: str | None = None) -> None:
        super().__init__(f"Databasen är inte migrerad: kör `{UPGRADE_COMMAND}`")
        self.current = current
        self.head = head


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def head_revisions() -> tuple[str, ...]:
    """Every head: migrations of separate features may branch from the same parent."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def head_revision() -> str | None:
    """The heads as one string ("a" or "a, b"), for messages."""
    heads = head_revisions()
    return ", ".join(heads) if heads else None


def upgrade(url: str, revision: str = "heads") -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def current_revisions(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        revs = MigrationContext.configure(conn).get_current_heads()
        conn.rollback()
    return tuple(sorted(revs))


def current_revision(engine: Engine) -> str | None:
    revs = current_revisions(engine)
    return ", ".join(revs) if revs else None


def current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def check_migrated(engine: Engine) -> None:
    """Refuse to run on a database that is not at the newest migration."""
    revs = current_revisions(engine)
    heads = head_revisions()
    if revs != heads:
        raise DatabaseNotMigrated(", ".join(revs) or None, ", ".join(heads) or None)
