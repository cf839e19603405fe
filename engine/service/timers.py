"""The timer sweep: the database decides what is due; each due timer fires exactly once.

1. Claim: one short transaction marks a batch of due, unclaimed timers with a lease
   (`claimed_until`). On PostgreSQL the batch is chosen with `FOR UPDATE SKIP LOCKED`, so
   concurrent workers take disjoint batches without waiting for each other; SQLite has one
   writer at a time (BEGIN IMMEDIATE), which gives the same guarantee.
2. Fire: one unit of work locks the batch's cases, runs `FireTimer` through the pure core for
   each claimed timer, several of one case in sequence, and hands every change to the store's one
   writer, `append` (engine/service/batch_fire.py). Firing deletes the timer row in that
   transaction, and the locked (and version-guarded) case row makes a second firing impossible: at
   worst it is rejected (`timer_not_active`), which counts as done. Should the batch fail as a
   whole, its cases are fired one unit per case, through the same function.
3. A worker that dies after claiming leaves the lease to expire; the next sweep takes the timers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from engine.service.batch_fire import fire_batch
from engine.service.ports import TryAgain, VersionConflict

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
    with services.case_store.unit() as unit:
        claimed = unit.claim_due_timers(now, batch, now + lease)
        unit.commit()
    return claimed


def fire_case_timers(
    services: Services,
    case_id: str,
    timer_ids: list[str],
    now: datetime,
    stats: SweepStats,
    on_fired: FireHook | None = None,
) -> None:
    """All claimed timers of one case in one unit of work, oldest first."""
    _fire(services, [(case_id, t) for t in timer_ids], now, stats, on_fired)


def _fire(
    services: Services,
    claimed: list[tuple[str, str]],
    now: datetime,
    stats: SweepStats,
    on_fired: FireHook | None,
) -> None:
    try:
        with services.case_store.unit() as unit:
            outcome = fire_batch(unit, claimed, services.clock(), services.definitions.cache, DONE_CODES)
            unit.commit()
    except (VersionConflict, TryAgain):
        # Someone else changed a case meanwhile: nothing of ours was written; try next sweep.
        with services.case_store.unit() as unit:
            unit.release_timers(claimed)
            unit.commit()
        stats.released += len(claimed)
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


def fire_claimed(
    services: Services,
    claimed: list[tuple[str, str]],
    now: datetime,
    stats: SweepStats,
    on_fired: FireHook | None = None,
) -> None:
    """The claimed batch in one unit of work; if that fails as a whole, one unit per case (the same
    path, smaller lists), where one broken case stops no other."""
    if not claimed:
        return
    try:
        _fire(services, claimed, now, stats, on_fired)
    except Exception:
        log.exception("timer sweep: batch of %d failed; firing case by case", len(claimed))
        fire_by_case(services, claimed, now, stats, on_fired)


def fire_by_case(
    services: Services,
    claimed: list[tuple[str, str]],
    now: datetime,
    stats: SweepStats,
    on_fired: FireHook | None = None,
) -> None:
    """One unit of work per case."""
    by_case: dict[str, list[str]] = defaultdict(list)
    for case_id, timer_id in claimed:
        by_case[case_id].append(timer_id)
    for case_id, timer_ids in by_case.items():
        try:
            fire_case_timers(services, case_id, timer_ids, now, stats, on_fired)
        except Exception as exc:  # one broken case must not stop the others
            log.exception("timer sweep: case %s failed", case_id)
            stats.errors.append(f"{case_id}: {type(exc).__name__}")


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
    `batched=False` fires one unit of work per case (the same path, one case per list)."""
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
