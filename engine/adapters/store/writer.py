"""The one writer of decided changes (`CaseUnit.append`): a single command is a list of one, the
timer sweep's batch a list of hundreds; either way the rows go in a few statements.

Order inside the transaction (the caller holds the event-append lock already):
1. idempotent answers (a concurrent request with the same key waits on the key here, then fails
   with a unique violation and is run again, finding the answer);
2. persons (a referral's new person before its case row);
3. case rows: inserted (referral), or updated with the version guard, one change or a chain of
   changes of one case in sequence at once; identity protection unlinks the person from every
   other case of theirs (each bumped a version) and deletes the person row;
4. events (ids in order, for the outbox), outbox, consents, the tasks and timers projections,
   the access log; gallring's redactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.adapters.store import writer_pg
from engine.adapters.store.models import (
    AccessLogRow,
    CaseRow,
    ConsentRow,
    EventRow,
    IdempotencyRow,
    OutboxRow,
    PersonRow,
    TaskRow,
    TimerRow,
)
from engine.adapters.store.team_models import CaseMemberRow, CaseRefRow
from engine.core.decide import local_date
from engine.core.events import Event
from engine.core.state import CaseState
from engine.service.ports import CaseChange, IdempotentAnswer, StoredCase, VersionConflict

CASES = cast(Table, CaseRow.__table__)
EVENTS = cast(Table, EventRow.__table__)
OUTBOX = cast(Table, OutboxRow.__table__)
TASKS = cast(Table, TaskRow.__table__)
TIMERS = cast(Table, TimerRow.__table__)
PERSONS = cast(Table, PersonRow.__table__)
CONSENTS = cast(Table, ConsentRow.__table__)
ACCESS_LOG = cast(Table, AccessLogRow.__table__)
IDEMPOTENCY = cast(Table, IdempotencyRow.__table__)
MEMBERS = cast(Table, CaseMemberRow.__table__)
REFS = cast(Table, CaseRefRow.__table__)

_SET = (
    "state", "version", "phase", "status", "outcome", "last_event_seq", "updated_at", "closed_at",
    "definition_version", "person_id", "protected",
)  # fmt: skip
_UPDATE_CASE = (
    update(CASES)
    .where(CASES.c.id == bindparam("b_id"), CASES.c.version == bindparam("b_version"))
    .values({name: bindparam(name) for name in _SET})
)
_INSERT_EVENTS_RETURNING = insert(EVENTS).returning(EVENTS.c.id, sort_by_parameter_order=True)
TASK_COLUMNS = tuple(c.key for c in TASKS.columns if c.key not in ("case_id", "task_id"))
_BY_TIMER_KEY = (TIMERS.c.case_id == bindparam("b_case"), TIMERS.c.timer_id == bindparam("b_timer"))
_DELETE_TIMER = delete(TIMERS).where(*_BY_TIMER_KEY)
_OWNED = TIMERS.c.owner == bindparam("b_owner")
_DELETE_OWNED_TIMER = delete(TIMERS).where(*_BY_TIMER_KEY, _OWNED)
_RELEASE_TIMER = update(TIMERS).where(*_BY_TIMER_KEY, _OWNED).values(claimed_until=None, owner=None)

Key = tuple[str, str]


def append(conn: Connection, changes: Sequence[CaseChange]) -> None:
    if not changes:
        return
    _idempotency(conn, changes)
    _persons(conn, changes)
    groups = _by_case(changes)
    inserts, updates = _case_rows(groups)
    if inserts:
        conn.execute(insert(CASES), inserts)
    events, notes = _event_rows(changes)
    tasks = _task_rows(groups)
    gone, timers = _timer_rows(groups)
    team = team_rows(groups)
    entries = [vars_of(e) for ch in changes for e in ch.access_log]
    if conn.dialect.name == "postgresql":
        # One statement for the rest (data-modifying CTEs chained on the guarded UPDATE).
        new_ids = [r["id"] for r in inserts]
        written = writer_pg.write(conn, new_ids, updates, events, notes, tasks, gone, timers, entries, team)
        if written != len(updates):
            raise VersionConflict(updates[0]["b_id"] if len(updates) == 1 else "(one of the batch)")
    else:
        _update_cases(conn, updates)
        _insert_events(conn, events, notes)
        upsert(conn, TASKS, tasks, ("case_id", "task_id"))
        delete_timers(conn, gone)
        upsert(conn, TIMERS, timers, ("case_id", "timer_id"))
        _write_team(conn, team)
        if entries:
            conn.execute(insert(ACCESS_LOG), entries)
    _protect(conn, changes)
    _consents(conn, changes)


def vars_of(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def _idempotency(conn: Connection, changes: Sequence[CaseChange]) -> None:
    answers = [vars_of(ch.idempotency) for ch in changes if ch.idempotency is not None]
    if answers:
        conn.execute(insert(IDEMPOTENCY), answers)


def save_answer(conn: Connection, answer: IdempotentAnswer) -> bool:
    """Insert one idempotent answer; False (nothing written) when the key is taken (on PostgreSQL
    after the transaction that took it has finished)."""
    stmt = postgresql_insert(IDEMPOTENCY) if conn.dialect.name == "postgresql" else sqlite_insert(IDEMPOTENCY)
    inserted = conn.execute(stmt.on_conflict_do_nothing().returning(IDEMPOTENCY.c.key), vars_of(answer)).first()
    return inserted is not None


def _persons(conn: Connection, changes: Sequence[CaseChange]) -> None:
    for ch in changes:
        p = ch.person
        if p is None:
            continue
        if p.new:
            conn.execute(
                insert(PERSONS),
                {"id": p.id, "personnummer": p.personnummer, "name": p.name, "gender": p.gender,
                 "birth_year": p.birth_year, "protected": False},
            )  # fmt: skip
        elif p.name:
            conn.execute(update(PERSONS).where(PERSONS.c.id == p.id).values(name=p.name))


def _by_case(changes: Sequence[CaseChange]) -> list[list[CaseChange]]:
    """The changes per case, in order; each must follow the one before (one version up)."""
    groups: dict[str, list[CaseChange]] = {}
    for ch in changes:
        before, after = ch.before, ch.after
        if (before is None and after.version != 1) or (before is not None and after.version != before.version + 1):
            raise ValueError(f"a change to case {after.id} must bump its version by one")
        chain = groups.setdefault(after.id, [])
        if chain:
            if before is None or before.version != chain[-1].after.version:
                raise ValueError(f"changes to case {after.id} out of sequence")
        elif before is not None and before.id != after.id:
            raise ValueError("a change cannot move a case")
        chain.append(ch)
    return list(groups.values())


def _case_values(row: StoredCase) -> dict[str, Any]:
    return {
        "state": row.state.to_json(),
        "version": row.version,
        "phase": row.phase,
        "status": row.status,
        "outcome": row.outcome,
        "last_event_seq": row.last_event_seq,
        "updated_at": row.updated_at,
        "closed_at": row.closed_at,
        "definition_version": row.definition_version,
        "person_id": row.person_id,
        "protected": row.protected,
    }


def _case_rows(groups: list[list[CaseChange]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows to insert (referrals) and to update (guarded by the version first loaded)."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for chain in groups:
        first, last = chain[0].before, chain[-1].after
        values = _case_values(last)
        if first is None:
            inserts.append(
                {**values, "id": last.id, "definition_id": last.definition_id, "anonymous": last.anonymous,
                 "referred_by": last.referred_by, "gender": last.gender, "birth_year": last.birth_year,
                 "created_at": last.created_at}
            )  # fmt: skip
        else:
            updates.append({**values, "b_id": first.id, "b_version": first.version})
    return inserts, updates


def _update_cases(conn: Connection, updates: list[dict[str, Any]]) -> None:
    if len(updates) == 1 or (updates and not conn.dialect.supports_sane_multi_rowcount):
        for u in updates:
            if conn.execute(_UPDATE_CASE, u).rowcount != 1:
                raise VersionConflict(u["b_id"])
    elif updates:
        res = conn.execute(_UPDATE_CASE, updates)
        if res.rowcount != len(updates):
            raise VersionConflict(updates[0]["b_id"])


def _protect(conn: Connection, changes: Sequence[CaseChange]) -> None:
    """Skyddade personuppgifter: the person leaves every case of theirs (each one a version up)."""
    for ch in changes:
        if not ch.protects_identity or ch.before is None or ch.before.person_id is None:
            continue
        person_id = ch.before.person_id
        conn.execute(
            update(CASES)
            .where(CASES.c.person_id == person_id)
            .values(person_id=None, protected=True, version=CASES.c.version + 1, updated_at=ch.now)
        )
        conn.execute(delete(PERSONS).where(PERSONS.c.id == person_id))


def recipients(event: Event, old: CaseState | None) -> list[str]:
    """Who hears of an event: its `notify`; a meeting task that moves or is cancelled goes to its
    responsible too, so the calendar invitation can be updated."""
    found = list(dict.fromkeys(event.notify))
    if not found and event.type in ("TaskDueChanged", "TaskCancelled") and old is not None:
        task = old.tasks.get(str(event.data.get("task")))
        if task is not None and task.meeting:
            found = [task.responsible]
    return found


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _event_rows(changes: Sequence[CaseChange]) -> tuple[list[dict[str, Any]], list[tuple[int, dict[str, Any]]]]:
    """The events rows, and the outbox rows (each with the index of its event in the first list)."""
    events: list[dict[str, Any]] = []
    notes: list[tuple[int, dict[str, Any]]] = []  # (index into events, outbox row without event_id)
    for ch in changes:
        case_id = ch.after.id
        seq = ch.before.last_event_seq if ch.before is not None else 0
        old = ch.before.state if ch.before is not None else None
        for event in ch.events:
            seq += 1
            data = _jsonable(event.data)
            routing = _assignee(ch.after.state, data)
            for recipient in recipients(event, old):
                notes.append(
                    (
                        len(events),
                        {
                            "case_id": case_id,
                            "kind": event.type,
                            "recipient": recipient,
                            "payload": {**data, "case_id": case_id, "type": event.type, "at": event.at.isoformat(),
                                        **routing},  # fmt: skip
                            "idempotency_key": f"{case_id}:{seq}:{recipient}",
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": event.at,
                            "created_at": ch.now,
                        },
                    )
                )
            events.append(
                {"case_id": case_id, "seq": seq, "type": event.type, "at": event.at, "data": data,
                 "actor": event.data.get("actor", ch.actor)}
            )  # fmt: skip
        if seq != ch.after.last_event_seq:
            raise ValueError(f"case {case_id}: last_event_seq does not match the events appended")
    return events, notes


def _assignee(state: CaseState, data: dict[str, Any]) -> dict[str, Any]:
    """An event about an assigned task goes to its assignee (the dispatcher routes by it)."""
    task = state.tasks.get(str(data.get("task"))) if "task" in data else None
    if task is None or task.assignee is None:
        return {}
    return {"assignee": task.assignee}


def _insert_events(conn: Connection, events: list[dict[str, Any]], notes: list[tuple[int, dict[str, Any]]]) -> None:
    if not events:
        return
    if not notes:
        conn.execute(insert(EVENTS), events)
        return
    ids = conn.execute(_INSERT_EVENTS_RETURNING, events).scalars().all()
    conn.execute(insert(OUTBOX), [{**row, "event_id": ids[i]} for i, row in notes])


_CONSENT_EVENTS = frozenset({"ConsentRecorded", "ConsentWithdrawn", "ConsentEnded"})


def _consents(conn: Connection, changes: Sequence[CaseChange]) -> None:
    """The consent records (kept apart from the state, never deleted by a command)."""
    for ch in changes:
        if ch.now is None or not any(e.type in _CONSENT_EVENTS for e in ch.events):
            continue
        open_ = (CONSENTS.c.withdrawn_on.is_(None), CONSENTS.c.ended_on.is_(None))
        case_id, today = ch.after.id, local_date(ch.now)
        for event in ch.events:
            if event.type == "ConsentRecorded":
                consent = ch.after.state.consent
                assert consent is not None
                conn.execute(update(CONSENTS).where(CONSENTS.c.case_id == case_id, *open_).values(ended_on=today))
                conn.execute(
                    insert(CONSENTS),
                    {"case_id": case_id, "parties": list(consent.parties), "given_on": consent.given_on,
                     "form": consent.form, "recorded_by": consent.recorded_by, "withdrawn_parties": [],
                     "created_at": ch.now},
                )  # fmt: skip
            elif event.type in ("ConsentWithdrawn", "ConsentEnded"):
                current = conn.execute(
                    select(CONSENTS.c.id, CONSENTS.c.withdrawn_parties)
                    .where(CONSENTS.c.case_id == case_id, *open_)
                    .order_by(CONSENTS.c.id.desc())
                    .limit(1)
                ).first()
                if current is None:
                    continue
                where = CONSENTS.c.id == current.id
                if event.type == "ConsentEnded":
                    conn.execute(update(CONSENTS).where(where).values(ended_on=today))
                else:
                    values: dict[str, Any] = {
                        "withdrawn_parties": [*current.withdrawn_parties, *event.data.get("parties", [])]
                    }
                    if not event.data.get("remaining"):
                        values["withdrawn_on"] = today
                    conn.execute(update(CONSENTS).where(where).values(values))


def _task_rows(groups: list[list[CaseChange]]) -> list[dict[str, Any]]:
    """The net effect of the chain on each task: one upsert of every task that changed."""
    rows: list[dict[str, Any]] = []
    for chain in groups:
        first = chain[0].before
        old_tasks = first.state.tasks if first is not None else {}
        final = chain[-1].after
        for task in final.state.tasks.values():
            if old_tasks.get(task.id) != task:
                rows.append(
                    {"case_id": final.id, "task_id": task.id, **{k: getattr(task, k) for k in TASK_COLUMNS}}
                )
    return rows


@dataclass(frozen=True, slots=True)
class TeamRows:
    """The `case_members` and `case_refs` projections of the cases whose team or references changed:
    each such case's rows are replaced by these (its current members and references)."""

    member_cases: list[str]
    members: list[dict[str, Any]]
    ref_cases: list[str]
    refs: list[dict[str, Any]]


def team_rows(groups: list[list[CaseChange]]) -> TeamRows:
    rows = TeamRows([], [], [], [])
    for chain in groups:
        first, final = chain[0].before, chain[-1].after
        old = first.state if first is not None else None
        state, case_id = final.state, final.id
        if old is None or old.team != state.team:
            rows.member_cases.append(case_id)
            rows.members.extend(
                {"case_id": case_id, "party": party, "user_id": m.user_id, "name": m.name, "role": m.role,
                 "added_on": m.added_on}
                for party, members in state.team.items()
                for m in members
            )  # fmt: skip
        if old is None or old.external_refs != state.external_refs:
            rows.ref_cases.append(case_id)
            rows.refs.extend(
                {"case_id": case_id, "party": party, "reference": ref} for party, ref in state.external_refs.items()
            )
    return rows


def _write_team(conn: Connection, team: TeamRows) -> None:
    """SQLite: the changed cases' rows go, their current ones come in (PostgreSQL: in `writer_pg`)."""
    if team.member_cases:
        conn.execute(delete(MEMBERS).where(MEMBERS.c.case_id.in_(team.member_cases)))
        if team.members:
            conn.execute(insert(MEMBERS), team.members)
    if team.ref_cases:
        conn.execute(delete(REFS).where(REFS.c.case_id.in_(team.ref_cases)))
        if team.refs:
            conn.execute(insert(REFS), team.refs)


def _timer_rows(groups: list[list[CaseChange]]) -> tuple[list[Key], list[dict[str, Any]]]:
    """The timers to delete, and the rows to upsert (a key is in one list at most)."""
    timers: dict[Key, dict[str, Any] | None] = {}  # None: delete
    for chain in groups:
        for ch in chain:
            case_id = ch.after.id
            for timer_id in ch.cancel_timers:  # cancelled timers go, then set ones are upserted
                timers[(case_id, timer_id)] = None
            for t in ch.set_timers:
                timers[(case_id, t.id)] = {
                    "case_id": case_id, "timer_id": t.id, "due_at": t.at, "kind": t.kind, "ref": t.ref,
                    "claimed_until": None, "owner": None,
                }  # fmt: skip
    return [key for key, row in timers.items() if row is None], [row for row in timers.values() if row is not None]


def delete_timers(conn: Connection, keys: Sequence[Key]) -> None:
    """By primary key, one row per parameter set (psycopg pipelines executemany): a (case_id,
    timer_id) IN list of hundreds of pairs plans as a long OR on PostgreSQL, many times slower."""
    if keys:
        conn.execute(_DELETE_TIMER, [{"b_case": c, "b_timer": t} for c, t in keys])


def delete_owned_timers(conn: Connection, keys: Sequence[Key], owner: str) -> None:
    """`delete_timers`, only of the rows `owner`'s claim still holds."""
    if keys:
        conn.execute(_DELETE_OWNED_TIMER, [{"b_case": c, "b_timer": t, "b_owner": owner} for c, t in keys])


def release_timers(conn: Connection, keys: Sequence[Key], owner: str) -> None:
    """End `owner`'s claim; a row another sweep has claimed since (our lease ran out) stays theirs."""
    if keys:
        conn.execute(_RELEASE_TIMER, [{"b_case": c, "b_timer": t, "b_owner": owner} for c, t in keys])


def upsert(conn: Connection, table: Table, rows: list[dict[str, Any]], keys: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE (SQLite and PostgreSQL both have it): one statement, no read."""
    if not rows:
        return
    columns = [c for c in rows[0] if c not in keys]
    stmt = postgresql_insert(table) if conn.dialect.name == "postgresql" else sqlite_insert(table)
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in columns}), rows)
