"""Test doubles (`Fake*`): the clock and the id source the service layer takes as arguments, and
in-memory implementations of the service layer's ports (ports.py, query_ports.py, outbox_ports.py)."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from engine.core.definition import Definition
from engine.service.access import Caller
from engine.service.outbox_ports import (
    CHANNELS,
    DELIVERY_KINDS,
    SENDABLE,
    DeliveryError,
    DueTask,
    NewOutboxMessage,
    OutboxMessage,
    TaskFacts,
)
from engine.service.ports import (
    AccessEntry,
    CaseChange,
    CaseFilter,
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
from engine.service.preferences import AccountPreference
from engine.service.query_ports import (
    AccessLogFilter,
    AccessLogRecord,
    AccountRecord,
    CaseFacts,
    FeedCase,
    ReportCase,
    ReportEvent,
    ReportFacts,
    TaskSpan,
)
from engine.service.views import EventOut
from tests import fake_lists


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


# --- read-side ports (engine/service/query_ports.py) -------------------------------------------


class FakeFeedRead:
    def __init__(self, feed: FakeEventFeed) -> None:
        self._feed = feed
        self._logged: list[dict[str, Any]] = []

    def events_after(self, cursor: int, horizon: int | None, limit: int) -> list[EventOut]:
        rows = [e for e in self._feed.events if e.id > cursor and (horizon is None or e.id <= horizon)]
        return sorted(rows, key=lambda e: e.id)[:limit]

    def newest_event_id(self) -> int:
        return max((e.id for e in self._feed.events), default=0)

    def case(self, case_id: str) -> FeedCase:
        return self._feed.cases[case_id]

    def log_access(
        self, caller: Caller, at: datetime, *, resource: str, purpose: str, case_id: str, person_id: str | None
    ) -> None:
        self._logged.append(
            {"user_id": caller.user_id, "at": at, "resource": resource, "purpose": purpose, "case_id": case_id,
             "person_id": person_id}
        )  # fmt: skip

    def commit(self) -> None:
        self._feed.access_log.extend(self._logged)
        self._logged = []


class FakeEventFeed:
    """`EventFeedStore` over lists; `horizon_at` plays an unfinished transaction holding an id."""

    def __init__(self) -> None:
        self.events: list[EventOut] = []
        self.cases: dict[str, FeedCase] = {}
        self.access_log: list[dict[str, Any]] = []
        self.horizon_at: int | None = None

    def add_case(self, case_id: str, case: FeedCase) -> None:
        self.cases[case_id] = case

    def add_event(self, case_id: str, type_: str, data: dict[str, Any], at: datetime) -> EventOut:
        seq = sum(1 for e in self.events if e.case_id == case_id) + 1
        event = EventOut(id=len(self.events) + 1, case_id=case_id, seq=seq, type=type_, at=at, data=data, actor="x")
        self.events.append(event)
        return event

    def horizon(self) -> int | None:
        return self.horizon_at

    @contextmanager
    def transaction(self) -> Iterator[FakeFeedRead]:
        yield FakeFeedRead(self)  # leaving without commit drops the access log rows


class FakeAccessLog:
    """`AccessLogReader` over a list of entries and the tasks' spans."""

    def __init__(self, entries: Iterable[AccessLogRecord] = (), spans: Iterable[TaskSpan] = ()) -> None:
        self.entries = list(entries)
        self.spans = list(spans)

    def page(self, where: AccessLogFilter, *, limit: int, offset: int) -> tuple[int, list[AccessLogRecord]]:
        f = where

        def keep(r: AccessLogRecord) -> bool:
            return (
                all(want is None or got == want for got, want in (
                    (r.person_id, f.person_id), (r.user_id, f.user_id), (r.case_id, f.case_id), (r.party, f.party)))
                and (f.case_prefix is None or (r.case_id or "").startswith(f.case_prefix))
                and (f.purpose is None or f.purpose.lower() in r.purpose.lower())
                and (f.start is None or r.at >= f.start) and (f.end is None or r.at < f.end)
            )  # fmt: skip

        rows = [r for r in sorted(self.entries, key=lambda r: r.id) if keep(r)]
        return len(rows), rows[offset : offset + limit]

    def period(self, start: datetime, end: datetime) -> tuple[list[AccessLogRecord], list[TaskSpan]]:
        rows = sorted((r for r in self.entries if start <= r.at < end), key=lambda r: r.id)
        named = {r.case_id for r in rows if r.case_id}
        return rows, [s for s in self.spans if s.case_id in named]


class FakeCaseCounts:
    """`CaseCounts` over (definition id, version, facts) per case."""

    def __init__(self) -> None:
        self.cases: list[tuple[str, int, CaseFacts]] = []

    def add(self, definition_id: str, version: int, facts: CaseFacts) -> None:
        self.cases.append((definition_id, version, facts))

    def running_per_version(self, definition_id: str | None) -> dict[tuple[str, int], int]:
        out: dict[tuple[str, int], int] = {}
        for did, version, f in self.cases:
            if f.status == "active" and definition_id in (None, did):
                out[(did, version)] = out.get((did, version), 0) + 1
        return out

    def case_facts(self, definition_id: str | None) -> list[CaseFacts]:
        return [f for did, _, f in self.cases if definition_id in (None, did)]


class FakeReportSource:
    """`ReportSource` over cases, events (in the order given per case) and definition names."""

    def __init__(self, names: dict[str, str] | None = None) -> None:
        self.cases: dict[str, ReportCase] = {}
        self.events: list[ReportEvent] = []
        self.names = dict(names or {})

    def facts(self, definition_id: str | None) -> ReportFacts:
        cases = {k: v for k, v in self.cases.items() if definition_id in (None, v.definition_id)}
        events = sorted(
            (e for e in self.events if definition_id is None or e.case_id in cases), key=lambda e: e.case_id
        )  # stable: each case's events keep their order
        return ReportFacts(cases=cases, events=events, names=dict(self.names))


class FakeAccountsTransaction:
    def __init__(self, store: FakeAccounts) -> None:
        self._store = store
        self._pending = dict(store.rows)

    def count(self) -> int:
        return len(self._pending)

    def get(self, user_id: str) -> AccountRecord | None:
        return self._pending.get(user_id)

    def of_party(self, party: str) -> list[AccountRecord]:
        found = [a for a in self._pending.values()
                 if a.party == party and a.active and a.kind in ("handlaggare", "samordnare")]  # fmt: skip
        return sorted(found, key=lambda a: (a.name, a.user_id))

    def put(self, account: AccountRecord) -> None:
        self._pending[account.user_id] = account

    def commit(self) -> None:
        self._store.rows = dict(self._pending)
        self._store.commits += 1


class FakeAccounts:
    """`AccountStore` in a dict; a transaction left without `commit` changes nothing."""

    def __init__(self) -> None:
        self.rows: dict[str, AccountRecord] = {}
        self.commits = 0

    @contextmanager
    def transaction(self) -> Iterator[FakeAccountsTransaction]:
        yield FakeAccountsTransaction(self)


# --- the outbox and the transports (engine/service/outbox_ports.py) ----------------------------


class FakeOutboxBatch:
    def __init__(self, outbox: FakeOutbox) -> None:
        self._o = outbox
        self._added: list[NewOutboxMessage] = []
        self._status: dict[int, str] = {}

    def pending_notifications(self, limit: int) -> list[OutboxMessage]:
        rows = [m for m in self._o.rows.values() if m.status == "pending" and m.kind not in DELIVERY_KINDS]
        return sorted(rows, key=lambda m: m.id)[:limit]

    def due_digest_items(self, now: datetime) -> list[OutboxMessage]:
        rows = [m for m in self._o.rows.values() if m.status == "digest" and (m.next_attempt_at or now) <= now]
        return sorted(rows, key=lambda m: m.id)

    def set_status(self, message_id: int, status: str) -> None:
        self._status[message_id] = status

    def existing_keys(self, keys: Sequence[str]) -> set[str]:
        return set(keys) & self._keys()

    def has_key(self, idempotency_key: str) -> bool:
        return idempotency_key in self._keys()

    def _keys(self) -> set[str]:
        return {m.idempotency_key for m in self._o.rows.values()} | {m.idempotency_key for m in self._added}

    def add(self, messages: Iterable[NewOutboxMessage]) -> None:
        self._added.extend(messages)

    def messages(self, ids: Sequence[int]) -> list[OutboxMessage]:
        return [self._o.rows[i] for i in sorted(ids) if i in self._o.rows]

    def account_preferences(self) -> list[AccountPreference]:
        return list(self._o.preferences)

    def stand_ins(self, user_ids: Sequence[str], on: date) -> dict[str, list[str]]:
        return {u: list(self._o.substitutes[u]) for u in user_ids if u in self._o.substitutes}

    def definition(self, case_id: str) -> Definition | None:
        return self._o.definitions.get(case_id)

    def task(self, case_id: str, task_id: str) -> TaskFacts | None:
        return self._o.tasks.get((case_id, task_id))

    def event_seq(self, event_id: int) -> int | None:
        return self._o.event_seqs.get(event_id)

    def notifications_to(self, recipients: Sequence[str], limit: int) -> list[OutboxMessage]:
        rows = [m for m in self._o.rows.values() if m.recipient in recipients and m.kind not in DELIVERY_KINDS]
        return sorted(rows, key=lambda m: -m.id)[:limit]

    def read_marks(self, user_id: str, ids: Sequence[int]) -> set[int]:
        return {i for i in ids if (user_id, i) in self._o.reads}

    def mark_read(self, user_id: str, ids: Sequence[int], at: datetime) -> None:
        self._o.reads.update((user_id, i) for i in ids)

    def open_tasks_due_by(self, day: date) -> list[DueTask]:
        return sorted((t for t in self._o.due_tasks if t.due <= day), key=lambda t: (t.due, t.case_id, t.task_id))

    def last_event_id(self, case_id: str) -> int:
        return self._o.last_event_ids.get(case_id, 0)

    def commit(self) -> None:
        for message_id, status in self._status.items():
            self._o.rows[message_id] = replace(self._o.rows[message_id], status=status)
        for m in self._added:
            self._o.insert(m)
        self._added, self._status = [], {}


class FakeOutbox:
    """`OutboxStore` (and `DigestOutbox`) in memory: rows by id, plus what a batch may look up
    (the case's definition, its tasks, event sequence numbers, the accounts' e-mail choices)."""

    def __init__(self) -> None:
        self.rows: dict[int, OutboxMessage] = {}
        self.definitions: dict[str, Definition] = {}
        self.tasks: dict[tuple[str, str], TaskFacts] = {}
        self.event_seqs: dict[int, int] = {}
        self.last_event_ids: dict[str, int] = {}
        self.due_tasks: list[DueTask] = []
        self.preferences: list[AccountPreference] = []
        self.reads: set[tuple[str, int]] = set()
        """(user_id, message id) marked as read on the notifications page."""
        self.substitutes: dict[str, list[str]] = {}
        """Absent person → who stands in for them (today, whatever the day)."""

    def insert(self, m: NewOutboxMessage) -> OutboxMessage:
        row = OutboxMessage(
            id=len(self.rows) + 1, case_id=m.case_id, event_id=m.event_id, kind=m.kind, recipient=m.recipient,
            payload=dict(m.payload), idempotency_key=m.idempotency_key, status=m.status, attempts=m.attempts,
            next_attempt_at=m.next_attempt_at, sent_at=None, last_error=None, created_at=m.created_at,
        )  # fmt: skip
        self.rows[row.id] = row
        return row

    def notify(
        self, case_id: str, event_id: int, seq: int, recipient: str, payload: dict[str, Any], at: datetime
    ) -> None:
        """A notification as `CaseService.execute` writes it with the case change."""
        self.insert(
            NewOutboxMessage(
                case_id=case_id,
                event_id=event_id,
                kind=str(payload["type"]),
                recipient=recipient,
                payload=payload,
                idempotency_key=f"{case_id}:{seq}:{recipient}",
                status="pending",
                next_attempt_at=at,
                created_at=at,
            )  # fmt: skip
        )

    def of_kind(self, *kinds: str) -> list[OutboxMessage]:
        return [m for m in self.rows.values() if m.kind in kinds]

    @contextmanager
    def transaction(self) -> Iterator[FakeOutboxBatch]:
        yield FakeOutboxBatch(self)

    def claim(self, now: datetime, limit: int, owner: str, lease_until: datetime) -> list[OutboxMessage]:
        due = sorted(
            (m for m in self.rows.values() if m.status in SENDABLE and m.kind in CHANNELS
             and m.next_attempt_at is not None and m.next_attempt_at <= now),
            key=lambda m: (m.next_attempt_at, m.id),
        )[:limit]  # fmt: skip
        for m in due:
            self.rows[m.id] = replace(
                m, status="sending", owner=owner, attempts=m.attempts + 1, next_attempt_at=lease_until
            )
        return [self.rows[m.id] for m in sorted(due, key=lambda m: m.id)]

    def _mark(self, message_id: int, owner: str, **values: Any) -> bool:
        row = self.rows[message_id]
        if row.status != "sending" or row.owner != owner:
            return False  # the lease ran out and another run holds the row
        self.rows[message_id] = replace(row, **values)
        return True

    def mark_sent(self, message_id: int, owner: str, at: datetime) -> bool:
        return self._mark(message_id, owner, status="sent", sent_at=at, last_error=None)

    def mark_retry(self, message_id: int, owner: str, at: datetime, error: str) -> bool:
        return self._mark(message_id, owner, status="queued", next_attempt_at=at, last_error=error)

    def mark_dead(self, message_id: int, owner: str, error: str) -> bool:
        return self._mark(message_id, owner, status="dead", last_error=error)

    def deliveries(self, *, status: str | None, case_id: str | None, limit: int, offset: int) -> list[OutboxMessage]:
        rows = [
            m for m in sorted(self.rows.values(), key=lambda m: m.id)
            if m.kind in CHANNELS and status in (None, m.status) and case_id in (None, m.case_id)
        ]  # fmt: skip
        return rows[offset : offset + limit]

    def status_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in self.rows.values():
            if m.kind in CHANNELS:
                out[m.status] = out.get(m.status, 0) + 1
        return out

    def redrive(self, ids: Sequence[int] | None, now: datetime) -> int:
        n = 0
        for m in list(self.rows.values()):
            if m.status == "dead" and m.kind in CHANNELS and (ids is None or m.id in ids):
                self.rows[m.id] = replace(m, status="queued", attempts=0, next_attempt_at=now)
                n += 1
        return n


class FakeMailTransport:
    """`MailTransport` that keeps what it was given; `down` makes it fail the way SMTP does."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.down: DeliveryError | None = None

    def send(self, message: EmailMessage) -> None:
        if self.down is not None:
            raise self.down
        self.messages.append(message)


class FakeWebhookTransport:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.down: DeliveryError | None = None

    def send(self, url: str, secret: str, msg_id: str, payload: Mapping[str, Any]) -> object:
        if self.down is not None:
            raise self.down
        self.sent.append((url, msg_id, dict(payload)))
        return 200


# --- the case store in memory (the port in engine/service/ports.py) -------------------------------


@dataclasses.dataclass
class _Tables:
    cases: dict[str, StoredCase] = dataclasses.field(default_factory=dict)
    persons: dict[str, PersonRecord] = dataclasses.field(default_factory=dict)
    events: list[EventRecord] = dataclasses.field(default_factory=list)
    tasks: dict[Key, TaskRecord] = dataclasses.field(default_factory=dict)
    timers: dict[Key, tuple[datetime, datetime | None, str | None]] = dataclasses.field(default_factory=dict)
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

    def load_many(self, case_ids: Sequence[str]) -> dict[str, StoredCase]:
        return {i: row for i in case_ids if (row := self.load(i)) is not None}

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

    def case_with_reference(self, party: str, reference: str) -> str | None:
        return next((c.id for c in self.t.cases.values() if c.state.external_refs.get(party) == reference), None)

    def save_answer(self, answer: IdempotentAnswer) -> None:
        if (answer.caller, answer.key) in self.t.idempotency:
            raise TryAgain("Idempotency-Key stored meanwhile")
        self.t.idempotency[(answer.caller, answer.key)] = answer

    def events(self, case_id: str, limit: int, offset: int) -> tuple[list[EventRecord], int]:
        mine = sorted((e for e in self.t.events if e.case_id == case_id), key=lambda e: e.seq)
        return mine[offset : offset + limit], len(mine)

    def tasks(self, where: TaskFilter, limit: int, offset: int) -> tuple[list[TaskRecord], int]:
        return fake_lists.task_page(self.t.tasks.values(), where, limit, offset)

    def cases(self, where: CaseFilter, limit: int, offset: int) -> tuple[list[StoredCase], int]:
        ids, total = fake_lists.case_ids(self.t.cases.values(), where, limit, offset)
        page = self.load_many(ids)
        return [page[i] for i in ids if i in page], total

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
                        task.closed_on, task.assignee, task.assignee_name, task.priority, task.follow_up,
                    )  # fmt: skip
            for timer_id in ch.cancel_timers:
                t.timers.pop((after.id, timer_id), None)
            for timer in ch.set_timers:
                t.timers[(after.id, timer.id)] = (timer.at, None, None)
            t.access_log.extend(ch.access_log)

    def log_access(self, entries: Sequence[AccessEntry]) -> None:
        self.t.access_log.extend(entries)

    def claim_due_timers(self, now: datetime, batch: int, owner: str, at: datetime, until: datetime) -> list[Key]:
        due = sorted((due_at, k) for k, (due_at, claimed, _) in self.t.timers.items() if due_at <= now
                     and (claimed is None or claimed <= at))[:batch]  # fmt: skip
        for due_at, k in due:
            self.t.timers[k] = (due_at, until, owner)
        return [k for _, k in due]

    def release_timers(self, keys: Sequence[Key], owner: str) -> None:
        for k in keys:
            if k in self.t.timers and self.t.timers[k][2] == owner:
                self.t.timers[k] = (self.t.timers[k][0], None, None)

    def delete_timers(self, keys: Sequence[Key], owner: str) -> None:
        for k in keys:
            if k in self.t.timers and self.t.timers[k][2] == owner:
                del self.t.timers[k]

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


class FakeDiagramRenderer:
    """The diagram renderer port without Graphviz: a fixed drawing, the DOT texts it was given."""

    def __init__(self) -> None:
        self.inputs: list[str] = []

    def render_svg(self, dot: str) -> str:
        self.inputs.append(dot)
        return '<svg width="10pt" height="10pt" viewBox="0.00 0.00 10.00 10.00"><title>n0</title><g/></svg>'
