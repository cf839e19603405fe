"""APScheduler 3.x as a trigger only: every few seconds, sweep due timers and dispatch the outbox.

Nothing lives in the scheduler: the job is a text reference (`module:func`) with a stable id in an
in-memory job store that belongs to this process alone (a shared job store would fire the job once
per process). Which timers are due and which messages are waiting is decided by the database, so
any number of workers may run side by side.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.jobstores.memory import MemoryJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.base import BaseScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from engine.bootstrap import Services
    from engine.service.dispatch import Dispatcher

log = logging.getLogger(__name__)

JOB_ID = "insats-worker-tick"
JOB_REF = "engine.adapters.scheduler:worker_tick"


@dataclass
class Worker:
    services: Services
    dispatcher: Dispatcher
    batch: int = 500


_current: Worker | None = None
_lock = threading.Lock()


def install(worker: Worker) -> None:
    global _current
    with _lock:
        _current = worker


def worker_tick() -> None:
    """One round: fire due timers, then send what is due in the outbox."""
    from engine.service.timers import sweep_due_timers

    worker = _current
    if worker is None:
        return
    try:
        fired = sweep_due_timers(worker.services, batch=worker.batch)
        stats = worker.dispatcher.run_once()
        if fired or stats.sent or stats.dead or stats.lost:
            log.info("worker: %d timers fired, %d sent, %d retried, %d dead, %d lost to another worker", fired,
                     stats.sent, stats.retried, stats.dead, stats.lost)
    except Exception:
        log.exception("worker tick failed; the next tick tries again")


def make_scheduler(interval_seconds: float, *, blocking: bool) -> BaseScheduler:
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone="UTC",
    )
    scheduler.add_job(
        JOB_REF, "interval", seconds=interval_seconds, id=JOB_ID, replace_existing=True, name="sweep and dispatch"
    )
    return scheduler


def start_embedded_worker(
    services: Services, dispatcher: Dispatcher | None = None, interval_seconds: float | None = None
) -> BackgroundScheduler:
    """The worker inside the API process (`make run`): call once at start-up, `.shutdown()` at exit."""
    from engine.bootstrap import build_dispatcher
    from engine.settings import get_settings

    settings = get_settings()
    install(Worker(services, dispatcher or build_dispatcher(services, settings=settings)))
    scheduler = make_scheduler(interval_seconds or settings.worker_interval_seconds, blocking=False)
    assert isinstance(scheduler, BackgroundScheduler)
    scheduler.start()
    return scheduler


def run_worker(once: bool = False) -> int:
    """`python -m engine worker`: a standalone worker process (several may run against PostgreSQL)."""
    from engine.bootstrap import build_dispatcher, build_services
    from engine.settings import get_settings

    settings = get_settings()
    services = build_services(settings)
    install(Worker(services, build_dispatcher(services, settings=settings)))
    try:
        if once:
            worker_tick()
            return 0
        scheduler = make_scheduler(settings.worker_interval_seconds, blocking=True)
        scheduler.add_job(JOB_REF, id=JOB_ID + "-now", replace_existing=True)  # a first round at once
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        services.close()
    return 0
