"""Prefect flows: thin shells over the batch use cases in engine/service.

Each flow builds the services from the settings (DATABASE_URL etc.), calls one service function
as the system caller, writes files where there are any, and returns a small JSON summary (no
personal data). The logic and its tests live in the service layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from engine.bootstrap import Services, build_batch, build_services
from engine.service.access import SYSTEM
from engine.service.batch import BatchServices
from engine.settings import Settings, get_settings


@contextmanager
def _batch() -> Iterator[tuple[Settings, Services, BatchServices]]:
    settings = get_settings()
    services = build_services(settings)
    try:
        yield settings, services, build_batch(services, settings)
    finally:
        services.close()


@flow(name="uppfoljning-finsam", log_prints=True)
def report_flow(
    period: str | None = None,
    threshold: int | None = None,
    excel: bool | None = None,
    out_dir: str | None = None,
    export: bool = True,
) -> dict[str, Any]:
    """Uppföljning Finsam for a period (default: last month): CSV, JSON, PNG and the anonymous export."""
    from engine.core.decide import local_date
    from engine.service.report_files import write_report_files
    from engine.service.reports import period_of

    with _batch() as (settings, services, batch):
        p = period_of(period, local_date(services.clock()))
        limit = threshold if threshold is not None else settings.report_suppression_threshold
        report = batch.reports.finsam(SYSTEM, p, threshold=limit)
        exports = (
            {f.definition_id: batch.reports.participant_export(SYSTEM, p, f.definition_id) for f in report.insatser}
            if export
            else {}
        )
        target = Path(out_dir) if out_dir else settings.reports_dir
        files = write_report_files(
            report, target, excel=settings.report_excel if excel is None else excel, exports=exports
        )
    get_run_logger().info("Rapport %s: %d filer i %s", p.label, len(files), target)
    return {"period": p.label, "files": [str(f) for f in files], "started": report.total.started.get("total")}


@flow(name="gallring", log_prints=True)
def gallring_flow(dry_run: bool = False, progress: bool = False) -> dict[str, Any]:
    """Remove personal data that is due (see engine/service/gallring.py); `dry_run` only lists it."""
    with _batch() as (settings, _services, batch):
        callback = None
        bar = None
        if progress:
            from rich.progress import Progress

            bar = Progress()
            bar.start()
            job = bar.add_task("Gallring", total=None)

            def callback(done: int, total: int) -> None:
                bar.update(job, completed=done, total=total)

        try:
            report = batch.gallring.run(
                SYSTEM,
                dry_run=dry_run,
                retention_years=settings.gallring_retention_years,
                access_log_retention_years=settings.access_log_retention_years,
                progress=callback,
            )
        finally:
            if bar is not None:
                bar.stop()
    get_run_logger().info(
        "Gallring%s: %d ärenden, %d personer, %d loggposter",
        " (provkörning)" if dry_run else "", len(report.cases), report.persons, report.access_log,
    )  # fmt: skip
    return report.model_dump(mode="json")


@flow(name="sammanfattning", log_prints=True)
def digest_flow(only_working_days: bool = True) -> dict[str, Any]:
    """The morning digest into the outbox; the dispatcher sends it. Skips Swedish holidays itself."""
    with _batch() as (_settings, _services, batch):
        report = batch.digest.run(SYSTEM, only_working_days=only_working_days)
    summary = {
        "day": report.day,
        "skipped": report.skipped,
        "written": report.written,
        "recipients": {
            r.recipient: {"overdue": r.overdue, "due_this_week": r.due_this_week} for r in report.recipients
        },
        "unaddressed": report.unaddressed,
    }
    get_run_logger().info(
        "Sammanfattning %s: %s", report.day, "helgdag" if report.skipped else f"{report.written} rader"
    )
    return summary


@flow(name="loggkontroll", log_prints=True)
def loggkontroll_flow(
    period: str | None = None, size: int | None = None, seed: int | None = None, out_dir: str | None = None
) -> dict[str, Any]:
    """A reproducible sample of the access log for the auditor, written as JSON."""
    import json

    from engine.core.decide import local_date
    from engine.service.reports import period_of

    with _batch() as (settings, services, batch):
        p = period_of(period, local_date(services.clock()))
        sample = batch.loggkontroll.sample(
            SYSTEM,
            p,
            size=settings.loggkontroll_sample_size if size is None else size,
            seed=seed,
            night=settings.loggkontroll_night,
            bulk_persons=settings.loggkontroll_bulk_persons,
            bulk_minutes=settings.loggkontroll_bulk_minutes,
        )
        target = Path(out_dir) if out_dir else settings.reports_dir
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"loggkontroll-{p.label.replace('..', '_')}.json"
    path.write_text(json.dumps(sample.model_dump(mode="json"), ensure_ascii=False, indent=2), encoding="utf-8")
    return {
        "period": p.label, "seed": sample.seed, "entries": sample.entries_in_period, "sample": len(sample.sample),
        "flagged": len(sample.flagged), "file": str(path),
    }  # fmt: skip


# Each flow called synchronously returns its JSON summary (the CLI prints it).
FLOWS: dict[str, Callable[..., dict[str, Any]]] = {
    "report": report_flow,
    "gallring": gallring_flow,
    "digest": digest_flow,
    "loggkontroll": loggkontroll_flow,
}
