"""The batch use cases (reports, gallring, digest, loggkontroll), as `engine.bootstrap.build_batch`
wires them for the flows and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from engine.service.digest import DigestService
from engine.service.gallring import GallringService
from engine.service.loggkontroll import LoggkontrollService
from engine.service.reports import ReportService


@dataclass
class BatchServices:
    reports: ReportService
    gallring: GallringService
    digest: DigestService
    loggkontroll: LoggkontrollService
