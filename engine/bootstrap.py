"""The composition root: one `Services` per process, built from the settings (the one place that
wires the store and other adapters into the service layer)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from engine.adapters.store.case_store import SqlAlchemyCaseStore, log_access_in_session
from engine.adapters.store.db import make_engine, session_factory
from engine.adapters.store.definition_store import SqlAlchemyDefinitionRows, SqlAlchemyDefinitionStore
from engine.adapters.store.gallring_store import SqlAlchemyGallringStore
from engine.adapters.store.migrate import check_migrated
from engine.adapters.store.uow import UnitOfWork
from engine.service.audit import AuditService
from engine.service.cases import CaseService
from engine.service.definitions import DefinitionCache, DefinitionService
from engine.service.feed import EventFeedService
from engine.service.ports import CaseStore, GallringStore
from engine.service.uow import UowFactory
from engine.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Services:
    cases: CaseService
    definitions: DefinitionService
    audit: AuditService
    feed: EventFeedService
    engine: Engine
    uow: UowFactory
    clock: Callable[[], datetime]
    ids: Callable[[], str]
    case_store: CaseStore
    gallring_store: GallringStore

    def close(self) -> None:
        self.engine.dispose()


def build_services(
    settings: Settings,
    clock: Callable[[], datetime] | None = None,
    ids: Callable[[], str] | None = None,
    *,
    engine: Engine | None = None,
) -> Services:
    """Refuses an unmigrated database (DatabaseNotMigrated says which command to run)."""
    owned = engine is None
    engine = engine or make_engine(settings.database_url)
    try:
        check_migrated(engine)
    except Exception:
        if owned:
            engine.dispose()
        raise
    sessions = session_factory(engine)
    sessions.configure(info={"log_access": log_access_in_session})  # engine.service.access.log_access

    def uow() -> UnitOfWork:
        return UnitOfWork(sessions)

    clock = clock or utc_now
    ids = ids or new_id
    cache = DefinitionCache(SqlAlchemyDefinitionRows())
    case_store = SqlAlchemyCaseStore(engine)
    services = Services(
        cases=CaseService(case_store, clock, ids, cache),
        definitions=DefinitionService(SqlAlchemyDefinitionStore(sessions), case_store, clock, cache),
        audit=AuditService(uow),
        feed=EventFeedService(uow, clock, cache),
        engine=engine,
        uow=uow,
        clock=clock,
        ids=ids,
        case_store=case_store,
        gallring_store=SqlAlchemyGallringStore(engine),
    )
    if settings.sync_definitions and settings.definitions_dir.is_dir():
        services.definitions.sync_from_dir(settings.definitions_dir)
    return services
