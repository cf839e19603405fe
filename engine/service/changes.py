"""From a decision to the `CaseChange` the store writes: pure, shared by every writer of case rows
(commands, referral, the timer sweep, migration, gallring)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from engine.core.events import Decision, Event
from engine.core.state import CaseState
from engine.service.ports import AccessEntry, CaseChange, StoredCase


def changed(
    before: StoredCase,
    decision: Decision,
    now: datetime,
    actor: str,
    *,
    access_log: Sequence[AccessEntry] = (),
) -> CaseChange:
    """The change a decided command makes to a loaded case: one version up, its events appended."""
    new = decision.state
    protect = any(e.type == "ProtectedIdentitySet" for e in decision.events)
    after = dataclasses.replace(
        before,
        state=new,
        version=before.version + 1,
        phase=new.phase,
        status=new.status,
        outcome=new.outcome,
        last_event_seq=before.last_event_seq + len(decision.events),
        updated_at=now,
        closed_at=now if new.closed and before.closed_at is None else before.closed_at,
        person_id=None if protect else before.person_id,
        person=None if protect else before.person,
        protected=True if protect else before.protected,
    )
    return CaseChange(
        before=before,
        after=after,
        events=decision.events,
        set_timers=decision.set_timers,
        cancel_timers=decision.cancel_timers,
        actor=actor,
        now=now,
        access_log=access_log,
    )


def restated(
    before: StoredCase, state: CaseState, now: datetime, actor: str, events: Sequence[Event] = (), **columns: object
) -> CaseChange:
    """A change that replaces the state outright (migration, gallring): the timers follow the
    state's own timers, the tasks projection its tasks."""
    old = before.state
    after = dataclasses.replace(
        before,
        state=state,
        version=before.version + 1,
        phase=state.phase,
        status=state.status,
        outcome=state.outcome,
        definition_version=state.definition_version,
        last_event_seq=before.last_event_seq + len(events),
        updated_at=now,
        **columns,  # type: ignore[arg-type]
    )
    return CaseChange(
        before=before,
        after=after,
        events=events,
        set_timers=[t for t in state.timers.values() if old.timers.get(t.id) != t],
        cancel_timers=[k for k in old.timers if k not in state.timers],
        actor=actor,
        now=now,
    )
