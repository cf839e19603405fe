"""The timer sweep: the database decides what is due; each due timer fires exactly once.

1. Claim: one short transaction marks a batch of due, unclaimed timers with a lease
   (`claimed_until`). On PostgreSQL the batch is chosen with `FOR UPDATE SKIP LOCKED`, so
   concurrent workers take disjoint batches without waiting for each other; SQLite has one
   writer at a time (BEGIN IMMEDIATE), which gives the same guarantee.
2. Fire: one unit of work locks the batch's case rows (`FOR UPDATE` on PostgreSQL), runs
   `FireTimer` through the pure core for each claimed timer, several of one case in sequence,
   and writes case rows, events, outbox, tasks and timers for the whole batch in a few statements
   (engine/service/batch_fire.py), leaving what the API's per-command path would leave. Firing
   deletes the timer row in that transaction, and the locked (and version-guarded) case row makes a
   second firing impossible: at worst it is rejected (`timer_not_active`), which counts as done.
   Should the batch fail as a whole, its cases are fired one by one through `CaseService._execute`
   (one transaction per case), as before.
3. A worker that dies after claiming leaves the lease to expire; the next sweep takes the timers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, or_, select, tuple_, update

from engine.adapters.store.models import TimerRow
from engine.core.commands import FireTimer
from engine.service.access import SYSTEM
from engine.service.batch_fire import BatchConflict, fire_batch
from engine.service.errors import ServiceError

if TYPE_CHECKING:
    from engine.bootstrap import Services

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
DONE_CODES = frozenset({"timer_not_active", "case_closed", "not_found", "case_not_found"})
"""Rejections that mean the timer has nothing left to do: its row goes."""

FireHook = Callable[[str, str], None]


@dataclass
class SweepStats:
    claimed: int = 0
    fired: int = 0
    dropped: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)


def claim_due_timers(
    services: Services, now: datetime, batch: int = 500, lease: timedelta = LEASE
) -> list[tuple[str, str]]:
    """Mark up to `batch` due timers as ours until `now + lease`; returns (case_id, timer_id)."""
    with services.uow() as uow:
        s = uow.session
        due = (
            select(TimerRow.case_id, TimerRow.timer_id)
            .where(
                TimerRow.due_at <= now,
                or_(TimerRow.claimed_until.is_(None), TimerRow.claimed_until <= now),
            )
            .order_by(TimerRow.due_at)
            .limit(batch)
        )
        if s.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claimed = list(
            s.execute(
                update(TimerRow)
                .where(tuple_(TimerRow.case_id, TimerRow.timer_id).in_(due.scalar_subquery()))
                .values(claimed_until=now + lease)
                .returning(TimerRow.case_id, TimerRow.timer_id, TimerRow.due_at)
                .execution_options(synchronize_session=False)
            ).all()
        )
        uow.commit()
    claimed.sort(key=lambda r: (r[2], r[0], r[1]))
    return [(r[0], r[1]) for r in claimed]


def fire_case_timers(
    services: Services, case_id: str, timer_ids: list[str], now: datetime, stats: SweepStats,
    on_fired: FireHook | None = None,
) -> None:
    """All claimed timers of one case in one transaction, oldest first."""
    cases = services.cases
    fired: list[str] = []
    drop: list[str] = []
    release: list[str] = []
    try:
        with services.uow() as uow:
            for timer_id in timer_ids:
                try:
                    # The API's path for one command, inside this case's unit of work.
                    cases._execute(uow, SYSTEM, case_id, FireTimer(timer_id), None)
                    fired.append(timer_id)
                except ServiceError as exc:
                    if exc.code in DONE_CODES:
                        drop.append(timer_id)
                    elif exc.code == "version_conflict":
                        raise
                    else:  # timer_not_due and the like: leave it for a later sweep
                        release.append(timer_id)
                        stats.errors.append(f"{case_id}/{timer_id}: {exc.code}")
            s = uow.session
            if drop:
                s.execute(delete(TimerRow).where(TimerRow.case_id == case_id, TimerRow.timer_id.in_(drop)))
            if release:
                _release(s, case_id, release, now)
            uow.commit()
    except ServiceError as exc:
        if exc.code != "version_conflict":
            raise
        # Someone else changed the case meanwhile: nothing of ours was written; try next sweep.
        with services.uow() as uow:
            _release(uow.session, case_id, timer_ids, now)
            uow.commit()
        stats.released += len(timer_ids)
        return
    stats.fired += len(fired)
    stats.dropped += len(drop)
    stats.released += len(release)
    if on_fired is not None:
        for timer_id in fired:
            on_fired(case_id, timer_id)


def fire_claimed(
    services: Services, claimed: list[tuple[str, str]], now: datetime, stats: SweepStats,
    on_fired: FireHook | None = None,
) -> None:
    """The claimed batch in one transaction (engine/service/batch_fire.py); if that fails as a
    whole, case by case through the per-command path, where one broken case stops no other."""
    if not claimed:
        return
    try:
        with services.uow() as uow:
            outcome = fire_batch(uow.session, claimed, services.clock(), services.definitions.cache, DONE_CODES)
            uow.commit()
    except Exception as exc:
        if isinstance(exc, BatchConflict):
            log.info("timer sweep: %s; firing case by case", exc)
        else:
            log.exception("timer sweep: batch of %d failed; firing case by case", len(claimed))
        fire_by_case(services, claimed, now, stats, on_fired)
        return
    stats.fired += len(outcome.fired)
    stats.dropped += len(outcome.dropped)
    stats.released += len(outcome.released)
    stats.errors += outcome.errors
    for case_id in outcome.failed:
        log.error("timer sweep: case %s failed; its timers wait for the lease to expire", case_id)
    if on_fired is not None:
        for case_id, timer_id in outcome.fired:
            on_fired(case_id, timer_id)


def fire_by_case(
    services: Services, claimed: list[tuple[str, str]], now: datetime, stats: SweepStats,
    on_fired: FireHook | None = None,
) -> None:
    """The per-command path: one transaction per case, `CaseService._execute` per timer."""
    by_case: dict[str, list[str]] = defaultdict(list)
    for case_id, timer_id in claimed:
        by_case[case_id].append(timer_id)
    for case_id, timer_ids in by_case.items():
        try:
            fire_case_timers(services, case_id, timer_ids, now, stats, on_fired)
        except Exception as exc:  # one broken case must not stop the others
            log.exception("timer sweep: case %s failed", case_id)
            stats.errors.append(f"{case_id}: {type(exc).__name__}")


def _release(s: object, case_id: str, timer_ids: list[str], now: datetime) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    s.execute(
        update(TimerRow)
        .where(and_(TimerRow.case_id == case_id, TimerRow.timer_id.in_(timer_ids)))
        .values(claimed_until=None)
        .execution_options(synchronize_session=False)
    )


def sweep_due_timers(
    services: Services,
    now: datetime | None = None,
    batch: int = 500,
    *,
    lease: timedelta = LEASE,
    max_batches: int | None = None,
    stats: SweepStats | None = None,
    on_fired: FireHook | None = None,
    batched: bool = True,
) -> int:
    """Fire every timer due at `now` (default: the services' clock); returns how many fired.
    `batched=False` fires through the per-command path only (the reference for the batched one)."""
    now = now or services.clock()
    stats = stats if stats is not None else SweepStats()
    batches = 0
    while max_batches is None or batches < max_batches:
        claimed = claim_due_timers(services, now, batch, lease)
        batches += 1
        stats.claimed += len(claimed)
        if batched:
            fire_claimed(services, claimed, now, stats, on_fired)
        else:
            fire_by_case(services, claimed, now, stats, on_fired)
        if len(claimed) < batch:
            break
    return stats.fired
