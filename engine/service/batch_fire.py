"""Fire a claimed batch of due timers in one transaction, with a handful of statements.

The per-command path (`CaseService._execute`) costs about ten round trips per timer. Here the
sweep's claimed batch is fired with the same pure `decide()` and the same helpers, but written
together:

1. one `SELECT ... FOR UPDATE` (PostgreSQL; ordered by id so two workers never deadlock) loads
   every case of the batch, so no API writer can change one of them until we commit; SQLite has a
   single writer (`BEGIN IMMEDIATE`), which gives the same guarantee;
2. `decide(FireTimer)` runs in memory for each timer, several timers of one case in sequence, each
   on the state the previous one left, exactly as consecutive `_execute` calls would;
3. the writes: cases (executemany, still guarded by `version`), events (one INSERT .. RETURNING in
   parameter order, for the outbox's event ids), outbox, consents, the tasks and timers projections
   (one upsert each), timer deletes and lease releases (one statement each).

What the per-command path would leave behind is what this leaves behind: the same events (same
order of ids), outbox rows, case rows, tasks and timers rows (tests/integration/test_timers_batch.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from engine.adapters.store.db import hold_event_append_lock
from engine.adapters.store.models import CaseRow, EventRow, OutboxRow, TaskRow, TimerRow
from engine.core.commands import FireTimer
from engine.core.decide import decide
from engine.core.definition import Definition
from engine.core.events import Decision, Rejected
from engine.core.state import CaseState
from engine.service.access import SYSTEM, Caller
from engine.service.cases import _jsonable, _recipients, _upsert, _write_consents
from engine.service.definitions import DefinitionCache
from engine.service.errors import ServiceError

_CASES = cast(Table, CaseRow.__table__)
_EVENTS = cast(Table, EventRow.__table__)
_OUTBOX = cast(Table, OutboxRow.__table__)
_TIMERS = cast(Table, TimerRow.__table__)
_NEXT_EVENT_IDS = text("SELECT nextval(pg_get_serial_sequence('events', 'id')) FROM generate_series(1, :n) ORDER BY 1")
_TASK_COLUMNS = tuple(c.key for c in TaskRow.__table__.columns if c.key not in ("case_id", "task_id"))

Key = tuple[str, str]
"""(case_id, timer_id)"""


class BatchConflict(Exception):
    """A case row changed under the batch (cannot happen while the rows are locked): nothing was
    written; the caller fires the batch through the per-command path instead."""


@dataclass
class BatchOutcome:
    fired: list[Key] = field(default_factory=list)
    dropped: list[Key] = field(default_factory=list)
    released: list[Key] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """Cases that raised something unexpected: nothing of theirs was written; their timers keep
    the lease (the next sweep after it expires tries again), as with the per-case path."""
    errors: list[str] = field(default_factory=list)


@dataclass
class _Case:
    """One case of the batch, as loaded and as changed by its decisions so far."""

    id: str
    version: int
    last_event_seq: int
    closed_at: datetime | None
    definition_id: str
    definition_version: int
    state: CaseState
    decisions: list[tuple[CaseState, Decision]] = field(default_factory=list)


def fire_batch(
    session: Session,
    claimed: Sequence[Key],
    now: datetime,
    definitions: DefinitionCache,
    done_codes: Collection[str],
    *,
    caller: Caller = SYSTEM,
) -> BatchOutcome:
    """Fire the claimed timers (in the order given) inside the caller's transaction; nothing is
    committed here. Raises `BatchConflict` (nothing written) if a case changed meanwhile."""
    out = BatchOutcome()
    by_case: dict[str, list[str]] = {}
    for case_id, timer_id in claimed:
        by_case.setdefault(case_id, []).append(timer_id)
    if not by_case:
        return out
    loaded = _load_cases(session, list(by_case))
    drop: list[Key] = []
    release: list[Key] = []
    cases: list[_Case] = []
    for case_id, timer_ids in by_case.items():
        case = loaded.get(case_id)
        if case is None:  # the per-command path: `not_found`, a done code
            for timer_id in timer_ids:
                _rejected(out, drop, release, done_codes, case_id, timer_id, "not_found")
            continue
        try:
            d = definitions.get(session, case.definition_id, case.definition_version)
        except ServiceError as exc:
            for timer_id in timer_ids:
                _rejected(out, drop, release, done_codes, case_id, timer_id, exc.code)
            continue
        try:
            fired_here = _decide_all(case, d, timer_ids, now, caller.user_id)
        except Exception as exc:  # a broken case must not stop the others
            out.failed.append(case_id)
            out.errors.append(f"{case_id}: {type(exc).__name__}")
            continue
        for timer_id, code in fired_here:
            if code is None:
                out.fired.append((case_id, timer_id))
            else:
                _rejected(out, drop, release, done_codes, case_id, timer_id, code)
        if case.decisions:
            cases.append(case)
    _write(session, cases, drop, release, now, caller.user_id)
    out.dropped, out.released = drop, release
    return out


def _rejected(
    out: BatchOutcome, drop: list[Key], release: list[Key], done_codes: Collection[str],
    case_id: str, timer_id: str, code: str,
) -> None:  # fmt: skip
    if code in done_codes:
        drop.append((case_id, timer_id))
    else:  # timer_not_due and the like: leave it for a later sweep
        release.append((case_id, timer_id))
        out.errors.append(f"{case_id}/{timer_id}: {code}")


def _load_cases(s: Session, ids: list[str]) -> dict[str, _Case]:
    q = (
        select(
            CaseRow.id,
            CaseRow.version,
            CaseRow.last_event_seq,
            CaseRow.closed_at,
            CaseRow.definition_id,
            CaseRow.definition_version,
            CaseRow.state,
        )
        .where(CaseRow.id.in_(ids))
        .order_by(CaseRow.id)
    )
    if s.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()  # rows locked in id order: concurrent batches cannot deadlock
    found: dict[str, _Case] = {}
    for row in s.execute(q):
        found[row.id] = _Case(
            row.id, row.version, row.last_event_seq, row.closed_at, row.definition_id,
            row.definition_version, CaseState.from_json(row.state),
        )  # fmt: skip
    return found


def _decide_all(
    case: _Case, d: Definition, timer_ids: list[str], now: datetime, actor: str
) -> list[tuple[str, str | None]]:
    """(timer_id, None) when it fired, (timer_id, rejection code) when not; the case's state
    moves on with each firing, as consecutive commands would move it."""
    result: list[tuple[str, str | None]] = []
    for timer_id in timer_ids:
        decision = decide(d, case.state, FireTimer(timer_id, actor=actor), now)
        if isinstance(decision, Rejected):
            result.append((timer_id, decision.code))
            continue
        case.decisions.append((case.state, decision))
        case.state = decision.state
        result.append((timer_id, None))
    return result


def _write(s: Session, cases: list[_Case], drop: list[Key], release: list[Key], now: datetime, actor: str) -> None:
    conn = s.connection()
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    notes: list[tuple[int, dict[str, Any]]] = []  # (index into events, outbox row without event_id)
    tasks: dict[Key, dict[str, Any]] = {}
    timers: dict[Key, dict[str, Any] | None] = {}  # None: delete
    for case in cases:
        version, seq, closed_at = case.version, case.last_event_seq, case.closed_at
        first = case.decisions[0][0]
        for old, decision in case.decisions:
            new = decision.state
            for event in decision.events:
                seq += 1
                data = _jsonable(event.data)
                for recipient in _recipients(event, old):
                    notes.append(
                        (
                            len(events),
                            {
                                "case_id": case.id,
                                "kind": event.type,
                                "recipient": recipient,
                                "payload": {**data, "case_id": case.id, "type": event.type, "at": event.at.isoformat()},
                                "idempotency_key": f"{case.id}:{seq}:{recipient}",
                                "status": "pending",
                                "attempts": 0,
                                "next_attempt_at": event.at,
                                "created_at": now,
                            },
                        )
                    )
                events.append(
                    {"case_id": case.id, "seq": seq, "type": event.type, "at": event.at, "data": data,
                     "actor": event.data.get("actor", actor)}
                )  # fmt: skip
            # sync_projections' order within one command: cancelled timers go, then set ones are upserted
            for timer_id in decision.cancel_timers:
                timers[(case.id, timer_id)] = None
            for t in decision.set_timers:
                timers[(case.id, t.id)] = {
                    "case_id": case.id, "timer_id": t.id, "due_at": t.at, "kind": t.kind, "ref": t.ref,
                    "claimed_until": None,
                }  # fmt: skip
            if new.closed and closed_at is None:
                closed_at = now
        final = case.state
        for task in final.tasks.values():
            # The net effect of one upsert per command of each task that command changed.
            if first.tasks.get(task.id) != task:
                tasks[(case.id, task.id)] = {
                    "case_id": case.id,
                    "task_id": task.id,
                    **{k: getattr(task, k) for k in _TASK_COLUMNS},
                }
        updates.append(
            {
                "b_id": case.id,
                "b_version": case.version,
                "state": final.to_json(),
                "version": version + len(case.decisions),
                "phase": final.phase,
                "status": final.status,
                "outcome": final.outcome,
                "last_event_seq": seq,
                "updated_at": now,
                "closed_at": closed_at,
            }
        )
    for key in drop:  # after every firing of its case, as the per-case path deletes them
        timers[key] = None
    unclaim = [key for key in release if key not in timers]  # the others are deleted or re-set anyway

    if updates:
        res = conn.execute(
            update(_CASES).where(_CASES.c.id == bindparam("b_id"), _CASES.c.version == bindparam("b_version")),
            updates,
        )
        if conn.dialect.supports_sane_multi_rowcount and res.rowcount != len(updates):
            raise BatchConflict(f"{len(updates) - res.rowcount} of {len(updates)} cases changed")
    if events:
        hold_event_append_lock(s)  # before the ids are taken
        ids: Sequence[int]
        if conn.dialect.name == "postgresql":
            # Ids from the sequence in one call, in order; then a pipelined executemany (faster
            # than one INSERT .. RETURNING of hundreds of rows).
            ids = conn.execute(_NEXT_EVENT_IDS, {"n": len(events)}).scalars().all()
            conn.execute(insert(_EVENTS), [{**e, "id": i} for e, i in zip(events, ids, strict=True)])
        else:
            returning = insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True)
            ids = conn.execute(returning, events).scalars().all()
        if notes:
            conn.execute(insert(_OUTBOX), [{**row, "event_id": ids[i]} for i, row in notes])
    for case in cases:
        for _old, decision in case.decisions:
            _write_consents(s, case.id, decision, now)
    _upsert(s, TaskRow, list(tasks.values()), ("case_id", "task_id"))
    # By primary key, one row per parameter set (psycopg pipelines executemany): a (case_id, timer_id)
    # IN list of hundreds of pairs plans as a long OR on PostgreSQL, many times slower.
    gone = [{"b_case": case_id, "b_timer": timer_id} for (case_id, timer_id), row in timers.items() if row is None]
    if gone:
        conn.execute(
            delete(_TIMERS).where(_TIMERS.c.case_id == bindparam("b_case"), _TIMERS.c.timer_id == bindparam("b_timer")),
            gone,
        )
    _upsert(s, TimerRow, [row for row in timers.values() if row is not None], ("case_id", "timer_id"))
    if unclaim:
        conn.execute(
            update(_TIMERS).where(_TIMERS.c.case_id == bindparam("b_case"), _TIMERS.c.timer_id == bindparam("b_timer")),
            [{"b_case": case_id, "b_timer": timer_id, "claimed_until": None} for case_id, timer_id in unclaim],
        )
    s.flush()
