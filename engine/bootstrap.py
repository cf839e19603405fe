"""The composition root: one `Services` per process, built from the settings (the one place that
wires the store and other adapters into the service layer)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from engine.adapters.diagram import GraphvizRenderer
from engine.adapters.store.accounts_store import SqlAlchemyAccounts
from engine.adapters.store.case_store import SqlAlchemyCaseStore, log_access_in_session
from engine.adapters.store.db import make_engine, session_factory
from engine.adapters.store.definition_store import SqlAlchemyDefinitionRows, SqlAlchemyDefinitionStore
from engine.adapters.store.gallring_store import SqlAlchemyGallringStore
from engine.adapters.store.migrate import check_migrated
from engine.adapters.store.outbox_store import SqlAlchemyOutbox
from engine.adapters.store.queries import (
    SqlAlchemyAccessLog,
    SqlAlchemyCaseCounts,
    SqlAlchemyEventFeed,
    SqlAlchemyReportSource,
)
from engine.adapters.store.saved_views_store import SqlAlchemySavedViews
from engine.adapters.store.substitutes_store import SqlAlchemySubstitutes
from engine.adapters.store.uow import UnitOfWork
from engine.service.accounts import AccountService
from engine.service.audit import AuditService
from engine.service.batch import BatchServices
from engine.service.cases import CaseService
from engine.service.contacts import ContactDirectory
from engine.service.definitions import DefinitionCache, DefinitionService
from engine.service.diagrams import DiagramService
from engine.service.digest import DigestService
from engine.service.dispatch import Dispatcher
from engine.service.feed import EventFeedService
from engine.service.gallring import GallringService
from engine.service.loggkontroll import LoggkontrollService
from engine.service.notifications import NotificationService
from engine.service.outbox_ports import OutboxStore
from engine.service.overview import OverviewService
from engine.service.ports import CaseStore, GallringStore
from engine.service.reports import ReportService
from engine.service.saved_views import SavedViewService
from engine.service.substitutes import SubstituteService
from engine.service.uow import UowFactory
from engine.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def diagram_service() -> DiagramService:
    """Process diagrams laid out by Graphviz `dot` (the pages, `engine diagram`, the README's SVGs)."""
    return DiagramService(GraphvizRenderer())


@dataclass
class Services:
    cases: CaseService
    definitions: DefinitionService
    audit: AuditService
    feed: EventFeedService
    accounts: AccountService
    substitutes: SubstituteService
    overview: OverviewService
    reports: ReportService
    loggkontroll: LoggkontrollService
    views: SavedViewService
    """Saved views of the lists, per person (`/api/v1/me/views`)."""
    outbox: OutboxStore
    """The outbox port: the dispatcher's and the digest's rows (`new_dispatcher`, `build_batch`)."""
    notifications: NotificationService
    """The notifications page: each person's notifications from the outbox, read marks."""
    engine: Engine
    uow: UowFactory
    clock: Callable[[], datetime]
    ids: Callable[[], str]
    case_store: CaseStore
    gallring_store: GallringStore
    diagrams: DiagramService = field(default_factory=diagram_service)

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
    outbox = SqlAlchemyOutbox(uow, cache)
    services = Services(
        cases=CaseService(case_store, clock, ids, cache),
        definitions=DefinitionService(SqlAlchemyDefinitionStore(sessions), case_store, clock, cache),
        audit=AuditService(SqlAlchemyAccessLog(uow)),
        feed=EventFeedService(SqlAlchemyEventFeed(uow, cache), clock),
        accounts=AccountService(SqlAlchemyAccounts(uow), clock),
        substitutes=SubstituteService(SqlAlchemySubstitutes(uow), SqlAlchemyAccounts(uow), clock),
        overview=OverviewService(SqlAlchemyCaseCounts(uow)),
        reports=ReportService(SqlAlchemyReportSource(uow), clock),
        loggkontroll=LoggkontrollService(SqlAlchemyAccessLog(uow), clock),
        views=SavedViewService(SqlAlchemySavedViews(uow), clock),
        outbox=outbox,
        notifications=NotificationService(outbox, clock, case_link=settings.case_link, base_url=settings.base_url),
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


# --- the outbox dispatcher and the batch use cases ------------------------------------------


def contacts_from(settings: Settings | None) -> ContactDirectory:
    """The contact directory of the settings' `contacts_file` (empty without one)."""
    path = settings.contacts_file if settings is not None else None
    return ContactDirectory.from_file(path) if path else ContactDirectory()


def build_batch(
    services: Services, settings: Settings | None = None, contacts: ContactDirectory | None = None
) -> BatchServices:
    return BatchServices(
        reports=services.reports,
        gallring=GallringService(services.gallring_store, services.clock),
        digest=DigestService(services.outbox, services.clock, contacts or contacts_from(settings)),
        loggkontroll=services.loggkontroll,
    )


def new_dispatcher(services: Services, contacts: ContactDirectory, **kw: Any) -> Dispatcher:
    """A dispatcher on this store with the given transports (`mail`, `webhooks`) and options; none
    given: that channel is not configured and its deliveries wait (tests, tools)."""
    return Dispatcher(services.outbox, contacts, services.clock, **kw)


def build_dispatcher(services: Services, contacts: ContactDirectory | None = None, **kw: Any) -> Dispatcher:
    """A dispatcher configured from the settings (SMTP, webhooks, office hours, retries)."""
    import random
    from datetime import time

    from engine.adapters.notify.email import SmtpConfig, SmtpSender
    from engine.adapters.notify.webhooks import WebhookSender
    from engine.core.business_time import OfficeHours
    from engine.service.retry import RetryPolicy
    from engine.settings import get_settings

    settings = kw.pop("settings", None) or get_settings()
    if contacts is None:
        contacts = contacts_from(settings)
    opens, closes = (time.fromisoformat(x) for x in settings.office_hours.split("-"))
    kw.setdefault(
        "mail",
        SmtpSender(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                security=settings.smtp_security,
                username=settings.smtp_username,
                password=settings.smtp_password,
                timeout=settings.smtp_timeout_seconds,
                sender=settings.mail_from,
            )
        ),
    )
    kw.setdefault("webhooks", WebhookSender(timeout=settings.webhook_timeout_seconds))
    kw.setdefault("office_hours", OfficeHours(opens=opens, closes=closes, timezone=settings.timezone))
    kw.setdefault(
        "retry",
        RetryPolicy(
            max_attempts=settings.notify_max_attempts,
            base_seconds=settings.notify_backoff_seconds,
            jitter=random.SystemRandom().random,
        ),
    )
    kw.setdefault("mail_from", settings.mail_from)
    kw.setdefault("case_link", settings.case_link)
    kw.setdefault("base_url", settings.base_url)
    return new_dispatcher(services, contacts, **kw)


# --- for `python -m engine run` (api/serve.py), which must not reach into the adapters itself ---


def upgrade_database(url: str) -> None:
    """Alembic `upgrade head`."""
    from engine.adapters.store.migrate import upgrade

    upgrade(url)


def has_cases(settings: Settings) -> bool:
    """Whether the database holds any case (demo data is made only into an empty one)."""
    from sqlalchemy import func, select

    from engine.adapters.store.models import CaseRow

    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(select(func.count()).select_from(CaseRow)).scalar())
    finally:
        engine.dispose()


def start_embedded_worker(services: Services) -> Any:
    """The timer sweep and dispatcher on an APScheduler thread in this process; `.shutdown()` it."""
    from engine.adapters.scheduler import start_embedded_worker as start

    return start(services)
