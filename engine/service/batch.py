"""The batch use cases (reports, gallring, digest, loggkontroll) on top of one `Services`."""

from __future__ import annotations

from dataclasses import dataclass

from engine.bootstrap import Services
from engine.service.contacts import ContactDirectory
from engine.service.digest import DigestService
from engine.service.gallring import GallringService
from engine.service.loggkontroll import LoggkontrollService
from engine.service.reports import ReportService
from engine.settings import Settings


@dataclass
class BatchServices:
    reports: ReportService
    gallring: GallringService
    digest: DigestService
    loggkontroll: LoggkontrollService


def build_batch(
    services: Services, settings: Settings | None = None, contacts: ContactDirectory | None = None
) -> BatchServices:
    if contacts is None:
        path = settings.contacts_file if settings is not None else None
        contacts = ContactDirectory.from_file(path) if path else ContactDirectory()
    return BatchServices(
        reports=ReportService(services.uow, services.clock),
        gallring=GallringService(services.gallring_store, services.clock),
        digest=DigestService(services.uow, services.clock, contacts),
        loggkontroll=LoggkontrollService(services.uow, services.clock),
    )
