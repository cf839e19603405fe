"""Stored definition versions (the `DefinitionRows` / `DefinitionStore` ports) on SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters.store import writer
from engine.adapters.store.models import DefinitionRow
from engine.service.ports import DefinitionRecord, IdempotentAnswer, TryAgain

DEFINITIONS = cast(Table, DefinitionRow.__table__)
_FIELDS = ("id", "version", "name", "yaml", "published", "created_at", "created_by", "labels")


def _session(ctx: object) -> Session | Connection:
    """Where to read in the caller's transaction: a case unit's connection, a (legacy) unit of
    work's session, or a session or connection itself."""
    if isinstance(ctx, Session | Connection):
        return ctx
    found = getattr(ctx, "connection", None) or getattr(ctx, "session", None)
    assert isinstance(found, Session | Connection), f"not a unit of work on this store: {type(ctx).__name__}"
    return found


class SqlAlchemyDefinitionRows:
    def yaml(self, ctx: object, definition_id: str, version: int) -> str | None:
        q = select(DEFINITIONS.c.yaml).where(DEFINITIONS.c.id == definition_id, DEFINITIONS.c.version == version)
        return cast(str | None, _session(ctx).execute(q).scalar())

    def latest_published(self, ctx: object, definition_id: str) -> int | None:
        q = select(func.max(DEFINITIONS.c.version)).where(
            DEFINITIONS.c.id == definition_id, DEFINITIONS.c.published.is_(True)
        )
        return cast(int | None, _session(ctx).execute(q).scalar())

    def exists(self, ctx: object, definition_id: str) -> bool:
        q = select(func.count()).select_from(DEFINITIONS).where(DEFINITIONS.c.id == definition_id)
        return bool(_session(ctx).execute(q).scalar())


def _record(row: Any) -> DefinitionRecord:
    return DefinitionRecord(**{name: row[name] for name in _FIELDS})


class SqlAlchemyDefinitionUnit:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[DefinitionRecord]:
        q = select(DEFINITIONS).order_by(DEFINITIONS.c.id, DEFINITIONS.c.version)
        return [_record(r) for r in self.session.execute(q).mappings()]

    def get(self, definition_id: str, version: int) -> DefinitionRecord | None:
        q = select(DEFINITIONS).where(DEFINITIONS.c.id == definition_id, DEFINITIONS.c.version == version)
        found = self.session.execute(q).mappings().first()
        return None if found is None else _record(found)

    def labels(self, definition_id: str, version: int) -> dict[str, Any] | None:
        q = select(DEFINITIONS.c.labels).where(DEFINITIONS.c.id == definition_id, DEFINITIONS.c.version == version)
        return cast(dict[str, Any] | None, self.session.execute(q).scalar())

    def latest_labels(self) -> dict[str, dict[str, Any]]:
        newest = (
            select(DEFINITIONS.c.id, func.max(DEFINITIONS.c.version).label("version"))
            .group_by(DEFINITIONS.c.id)
            .subquery()
        )
        q = select(DEFINITIONS.c.id, DEFINITIONS.c.labels).join(
            newest, (newest.c.id == DEFINITIONS.c.id) & (newest.c.version == DEFINITIONS.c.version)
        )
        return {did: labels for did, labels in self.session.execute(q) if labels is not None}

    def max_version(self, definition_id: str, *, published: bool = False) -> int | None:
        q = select(func.max(DEFINITIONS.c.version)).where(DEFINITIONS.c.id == definition_id)
        if published:
            q = q.where(DEFINITIONS.c.published.is_(True))
        return cast(int | None, self.session.execute(q).scalar())

    def add(self, record: DefinitionRecord) -> bool:
        """False when that version is stored already (another process stored it meanwhile)."""
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        stmt = postgresql_insert(DEFINITIONS) if postgresql else sqlite_insert(DEFINITIONS)
        values = {name: getattr(record, name) for name in _FIELDS}
        inserted = stmt.on_conflict_do_nothing().returning(DEFINITIONS.c.version)
        return self.session.execute(inserted, values).first() is not None

    def publish(self, definition_id: str, version: int) -> DefinitionRecord | None:
        where = (DEFINITIONS.c.id == definition_id, DEFINITIONS.c.version == version)
        self.session.execute(update(DEFINITIONS).where(*where).values(published=True))
        return self.get(definition_id, version)

    def idempotent_answer(self, caller: str, key: str) -> IdempotentAnswer | None:
        t = writer.IDEMPOTENCY
        found = self.session.execute(select(t).where(t.c.caller == caller, t.c.key == key)).mappings().first()
        return None if found is None else IdempotentAnswer(**found)

    def save_answer(self, answer: IdempotentAnswer) -> None:
        if not writer.save_answer(self.session.connection(), answer):
            raise TryAgain(f"Idempotency-Key {answer.key!r} stored meanwhile")

    def commit(self) -> None:
        self.session.commit()


class SqlAlchemyDefinitionStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @contextmanager
    def unit(self) -> Iterator[SqlAlchemyDefinitionUnit]:
        with self._sessions() as session:
            session.begin()
            try:
                yield SqlAlchemyDefinitionUnit(session)
            finally:
                if session.in_transaction():
                    session.rollback()
