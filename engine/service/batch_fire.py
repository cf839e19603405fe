"""Fire a claimed batch of due timers in one unit of work, through the one writer.

1. `lock_cases` loads every case of the batch locked for update (PostgreSQL: in id order, after
   the event-append lock, so two workers never deadlock and the feed's horizon holds); SQLite has
   a single writer (`BEGIN IMMEDIATE`), which gives the same guarantee;
2. `decide(FireTimer)` runs in memory for each timer, several timers of one case in sequence, each
   on the state the previous one left, exactly as consecutive commands would;
3. every change goes to one `append(changes)` (a single command is the same call with a list of
   one), then the timers that are done are deleted and the others released, both only while the
   claim is still `owner`'s (a sweep whose lease ran out must not touch another sweep's claim).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from engine.core.commands import FireTimer
from engine.core.decide import decide
from engine.core.events import Rejected
from engine.service.access import SYSTEM, Caller
from engine.service.changes import changed
from engine.service.definitions import DefinitionCache
from engine.service.errors import ServiceError
from engine.service.ports import CaseChange, CaseUnit, Key


@dataclass
class BatchOutcome:
    fired: list[Key] = field(default_factory=list)
    dropped: list[Key] = field(default_factory=list)
    released: list[Key] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """Cases that raised something unexpected while deciding: nothing of theirs is written; their
    timers keep the lease (the next sweep after it expires tries again)."""
    errors: list[str] = field(default_factory=list)


def fire_batch(
    unit: CaseUnit,
    claimed: Sequence[Key],
    now: datetime,
    definitions: DefinitionCache,
    done_codes: Collection[str],
    *,
    owner: str,
    caller: Caller = SYSTEM,
) -> BatchOutcome:
    """Fire the claimed timers (in the order given) inside the caller's unit; nothing is committed
    here. Raises `VersionConflict` (nothing written) if a case changed meanwhile."""
    out = BatchOutcome()
    by_case: dict[str, list[str]] = {}
    for case_id, timer_id in claimed:
        by_case.setdefault(case_id, []).append(timer_id)
    if not by_case:
        return out
    loaded = unit.lock_cases(sorted(by_case))
    changes: list[CaseChange] = []
    for case_id, timer_ids in by_case.items():
        case = loaded.get(case_id)
        if case is None:
            for timer_id in timer_ids:
                _rejected(out, done_codes, case_id, timer_id, "not_found")
            continue
        try:
            d = definitions.get(unit, case.definition_id, case.definition_version)
        except ServiceError as exc:
            for timer_id in timer_ids:
                _rejected(out, done_codes, case_id, timer_id, exc.code)
            continue
        mine: list[CaseChange] = []
        try:
            for timer_id in timer_ids:
                decision = decide(d, case.state, FireTimer(timer_id, actor=caller.user_id), now)
                if isinstance(decision, Rejected):
                    _rejected(out, done_codes, case_id, timer_id, decision.code)
                    continue
                change = changed(case, decision, now, caller.user_id)
                mine.append(change)
                case = change.after
                out.fired.append((case_id, timer_id))
        except Exception as exc:  # a broken case must not stop the others
            out.fired = [k for k in out.fired if k[0] != case_id]
            out.failed.append(case_id)
            out.errors.append(f"{case_id}: {type(exc).__name__}")
            continue
        changes += mine
    unit.append(changes)
    unit.delete_timers(out.dropped, owner)  # after every firing of its case; only while still ours
    unit.release_timers(out.released, owner)
    return out


def _rejected(out: BatchOutcome, done_codes: Collection[str], case_id: str, timer_id: str, code: str) -> None:
    if code in done_codes:
        out.dropped.append((case_id, timer_id))
    else:  # timer_not_due and the like: leave it for a later sweep
        out.released.append((case_id, timer_id))
        out.errors.append(f"{case_id}/{timer_id}: {code}")
