"""Test doubles (`Fake*`): the clock and the id source the service layer takes as arguments."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta


class FakeClock:
    """An aware-UTC clock that only moves when a test moves it. Thread-safe to read."""

    def __init__(self, start: datetime = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self.now = self.now + timedelta(**delta)
            return self.now

    def set(self, when: datetime) -> None:
        with self._lock:
            self.now = when


class FakeIds:
    """Readable, unique, deterministic ids: c000001, c000002, ... (thread-safe)."""

    def __init__(self, prefix: str = "id") -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._prefix = prefix

    def __call__(self) -> str:
        with self._lock:
            return f"{self._prefix}{next(self._counter):06d}"


# --- the case store in memory (the port in engine/service/ports.py) -------------------------------

import copy  # noqa: E402
import dataclasses  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from typing import Any  # noqa: E402

from engine.service.ports import (  # noqa: E402
    AccessEntry,
    CaseChange,
    EventRecord,
    IdempotentAnswer,
    Key,
    PersonRecord,
    StoredCase,
    TaskFilter,
    TaskRecord,
    TryAgain,
    VersionConflict,
)


@dataclasses.dataclass
class _Tables:
    cases: dict[str, StoredCase] = dataclasses.field(default_factory=dict)
    persons: dict[str, PersonRecord] = dataclasses.field(default_factory=dict)
    events: list[EventRecord] = dataclasses.field(default_factory=list)
    tasks: dict[Key, TaskRecord] = dataclasses.field(default_factory=dict)
    timers: dict[Key, tuple[datetime, datetime | None]] = dataclasses.field(default_factory=dict)
    outbox: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    access_log: list[AccessEntry] = dataclasses.field(default_factory=list)
    idempotency: dict[Key, IdempotentAnswer] = dataclasses.field(default_factory=dict)
    definitions: dict[tuple[str, int], tuple[str, bool]] = dataclasses.field(default_factory=dict)


class FakeCaseUnit:
    """One transaction: works on a copy of the tables, which `commit` puts in place."""

    def __init__(self, store: FakeCaseStore) -> None:
        self._store = store
        self._base = store.tables
        self.t = copy.deepcopy(store.tables)

    def load(self, case_id: str) -> StoredCase | None:
        case = self.t.cases.get(case_id)
        if case is None:
            return None
        person = self.t.persons.get(case.person_id) if case.person_id else None
        return dataclasses.replace(case, person=person)

    load_for_command = load

    def lock_cases(self, case_ids: Sequence[str]) -> dict[str, StoredCase]:
        return {i: c for i in sorted(case_ids) if (c := self.load(i)) is not None}

    def cases_of_person(self, person_id: str) -> list[StoredCase]:
        return [self.load(c.id) for c in self.t.cases.values() if c.person_id == person_id]  # type: ignore[misc]

    def cases_on(self, definition_id: str, version: int, status: str) -> list[StoredCase]:
        found = [c for c in self.t.cases.values()
                 if (c.definition_id, c.definition_version, c.status) == (definition_id, version, status)]  # fmt: skip
        return sorted(found, key=lambda c: c.id)

    def person_by_number(self, personnummer: str) -> PersonRecord | None:
        return next((p for p in self.t.persons.values() if p.personnummer == personnummer), None)

    def idempotent_answer(self, caller: str, key: str) -> IdempotentAnswer | None:
        return self.t.idempotency.get((caller, key))

    def events(self, case_id: str, limit: int, offset: int) -> tuple[list[EventRecord], int]:
        mine = sorted((e for e in self.t.events if e.case_id == case_id), key=lambda e: e.seq)
        return mine[offset : offset + limit], len(mine)

    def tasks(self, where: TaskFilter, limit: int, offset: int) -> tuple[list[TaskRecord], int]:
        def matches(t: TaskRecord) -> bool:
            mine = t.party == where.party or t.responsible in where.roles or t.escalated_to in where.roles
            return (
                mine
                and (where.statuses is None or t.status in where.statuses)
                and (where.due_before is None or (t.due is not None and t.due < where.due_before))
                and (where.due_from is None or (t.due is not None and t.due >= where.due_from))
                and (where.due_to is None or (t.due is not None and t.due <= where.due_to))
            )

        found = sorted(filter(matches, self.t.tasks.values()),
                       key=lambda t: (t.due is None, t.due or datetime.min.date(), t.case_id, t.task_id))  # fmt: skip
        return found[offset : offset + limit], len(found)

    def append(self, changes: Sequence[CaseChange]) -> None:
        t = self.t
        for ch in changes:
            if ch.idempotency is not None:
                key = (ch.idempotency.caller, ch.idempotency.key)
                if key in t.idempotency or key in self._store.tables.idempotency:
                    raise TryAgain("idempotency key taken")
                t.idempotency[key] = ch.idempotency
            if ch.person is not None:
                p = ch.person
                old = t.persons.get(p.id)
                t.persons[p.id] = PersonRecord(p.id, p.personnummer, p.name or (old.name if old else None))
            before, after = ch.before, ch.after
            current = t.cases.get(after.id)
            if before is None:
                assert current is None
                assert after.version == 1
            elif current is None or current.version != before.version:
                raise VersionConflict(after.id)
            assert before is None or after.version == before.version + 1, "every change bumps the version"
            t.cases[after.id] = dataclasses.replace(after, person=None)
            if ch.protects_identity and before is not None and before.person_id is not None:
                for other in list(t.cases.values()):
                    if other.person_id == before.person_id:
                        t.cases[other.id] = dataclasses.replace(other, person_id=None, protected=True,
                                                                version=other.version + 1)  # fmt: skip
                t.persons.pop(before.person_id, None)
            seq = before.last_event_seq if before is not None else 0
            for event in ch.events:
                seq += 1
                record = EventRecord(len(t.events) + 1, after.id, seq, event.type, event.at, dict(event.data),
                                     str(event.data.get("actor", ch.actor)))  # fmt: skip
                t.events.append(record)
                for recipient in event.notify:
                    t.outbox.append({"case_id": after.id, "event_id": record.id, "recipient": recipient,
                                     "kind": event.type})  # fmt: skip
            old_tasks = before.state.tasks if before is not None else {}
            for task in after.state.tasks.values():
                if old_tasks.get(task.id) != task:
                    t.tasks[(after.id, task.id)] = TaskRecord(
                        after.id, task.id, task.label, task.kind, task.phase, task.responsible, task.party,
                        task.status, task.due, task.blocking, task.meeting, task.escalated_to, task.created_on,
                        task.closed_on,
                    )  # fmt: skip
            for timer_id in ch.cancel_timers:
                t.timers.pop((after.id, timer_id), None)
            for timer in ch.set_timers:
                t.timers[(after.id, timer.id)] = (timer.at, None)
            t.access_log.extend(ch.access_log)

    def log_access(self, entries: Sequence[AccessEntry]) -> None:
        self.t.access_log.extend(entries)

    def claim_due_timers(self, now: datetime, batch: int, until: datetime) -> list[Key]:
        due = sorted((at, k) for k, (at, claimed) in self.t.timers.items() if at <= now and (claimed is None
                     or claimed <= now))[:batch]  # fmt: skip
        for at, k in due:
            self.t.timers[k] = (at, until)
        return [k for _, k in due]

    def release_timers(self, keys: Sequence[Key]) -> None:
        for k in keys:
            if k in self.t.timers:
                self.t.timers[k] = (self.t.timers[k][0], None)

    def delete_timers(self, keys: Sequence[Key]) -> None:
        for k in keys:
            self.t.timers.pop(k, None)

    def commit(self) -> None:
        if self._store.tables is not self._base:
            raise TryAgain("another unit committed meanwhile")  # the fake serialises units
        self._store.tables = self.t
        self._base = self.t


class FakeCaseStore:
    """The case store port in memory: each unit a snapshot, committed whole or not at all."""

    def __init__(self) -> None:
        self.tables = _Tables()
        self.units = 0

    @contextmanager
    def unit(self) -> Iterator[FakeCaseUnit]:
        self.units += 1
        yield FakeCaseUnit(self)

    def add_definition(self, yaml_text: str, definition_id: str, version: int, published: bool = True) -> None:
        self.tables.definitions[(definition_id, version)] = (yaml_text, published)


class FakeDefinitionRows:
    """Definition rows of a `FakeCaseStore`, read in a unit (`ctx`)."""

    def __init__(self, store: FakeCaseStore) -> None:
        self._store = store

    def yaml(self, ctx: object, definition_id: str, version: int) -> str | None:
        found = self._store.tables.definitions.get((definition_id, version))
        return None if found is None else found[0]

    def latest_published(self, ctx: object, definition_id: str) -> int | None:
        versions = [v for (i, v), (_, pub) in self._store.tables.definitions.items() if i == definition_id and pub]
        return max(versions, default=None)

    def exists(self, ctx: object, definition_id: str) -> bool:
        return any(i == definition_id for i, _ in self._store.tables.definitions)
