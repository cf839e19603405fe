"""A case command on PostgreSQL in two statements, neither inside an explicit transaction.

The general command path (`CaseService._execute`) spends seven round trips: BEGIN, read the case,
UPDATE it, INSERT the events, the outbox rows, the task and timer rows, the access log, COMMIT. On a
two-core machine the client-side cost of each (SQLAlchemy, psycopg, the socket) is most of a
command's CPU. Here:

1. one autocommit `SELECT` reads the case row and its person;
2. the pure core decides;
3. one autocommit statement writes everything: a guarded `UPDATE cases ... WHERE version = <read>`
   and, chained on it in data-modifying CTEs, the events, outbox, tasks, timers and access-log rows.
   A single statement is a transaction of its own: all of it or none. If the guard finds the case
   changed (a concurrent command won), the UPDATE touches no row and nothing chained on it is
   written; the general path then reads the case again and answers (412 for a stale If-Match).

Both run on psycopg's own cursor over the pooled connection. Rows travel as one JSON document per
table, expanded by `json_to_recordset` into typed columns. The guard compares the version and the
identity read (person, protected); the shared event-append advisory lock (see
`store.db.EVENT_APPEND_LOCK`) is taken in the UPDATE's WHERE as an InitPlan, before the case row is
locked and before any event id is drawn — the order the general path and the timer sweep use. With
an Idempotency-Key the read also tells whether the caller used the key before, and the write stores
the answer under it. Whenever this path cannot finish alone — a used key, a lost race (0 rows
updated), a unique violation or deadlock (the statement rolled back whole), a command that writes
consents (ORM rows) — it returns None and the general path, in one transaction, answers.

A case this process wrote last is remembered with its new version (`RecentCases`): the next command
on it that names that version in If-Match skips step 1, one statement in all. The guard makes this
safe (see `RecentCases`).

On the API's event loop, commands decided while a write is in flight are written together, in one
`WRITE` statement for all of them (`GroupWriter`, group commit): the statement's cost — the round
trip, the wake-up of the backend, the commit and its WAL flush — is shared. Each command keeps its
own guard: the rows of a command whose guard fails are not written, and the others are. If the
statement fails as a whole, each of its commands is written alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
import psycopg
from psycopg import pq
from sqlalchemy import Connection

from engine.adapters.store.db import EVENT_APPEND_LOCK, idle_connection_closed
from engine.core.events import Decision, Event

CONSENT_EVENTS = frozenset({"ConsentRecorded", "ConsentWithdrawn", "ConsentEnded"})

CASE_COLUMNS = (
    "id",
    "person_id",
    "definition_id",
    "definition_version",
    "state",
    "status",
    "phase",
    "version",
    "last_event_seq",
    "anonymous",
    "protected",
    "gender",
    "birth_year",
    "created_at",
    "updated_at",
    "closed_at",
    "outcome",
)
_TIMESTAMPS = {CASE_COLUMNS.index(name) for name in ("created_at", "updated_at", "closed_at")}

_READ = (
    "SELECT "
    + ", ".join(f"c.{name}" for name in CASE_COLUMNS)
    + ", p.personnummer, p.name, p.protected{used} FROM cases c LEFT JOIN persons p ON p.id = c.person_id"
    " WHERE c.id = %(case_id)s"
)
READ_CASE = _READ.format(used="")
READ_CASE_AND_KEY = _READ.format(
    used=", EXISTS (SELECT 1 FROM idempotency i WHERE i.caller = %(caller)s AND i.key = %(key)s)"
)
GIVE_WAY_ERRORS = (
    psycopg.errors.UniqueViolation,  # the same Idempotency-Key, concurrently
    psycopg.errors.DeadlockDetected,  # with a general-path transaction that took its locks the other way
    psycopg.errors.SerializationFailure,
)
"""Failures of the write statement after which the general path takes the command: a single
autocommit statement, it was rolled back whole."""


def read_case(key: str | None) -> str:
    """The case row and its person; with an Idempotency-Key, also whether the caller used it before
    (then the last column is true, and the general path replays the first answer)."""
    return READ_CASE if key is None else READ_CASE_AND_KEY


def read_params(case_id: str, caller: str, key: str | None) -> dict[str, Any]:
    return {"case_id": case_id} if key is None else {"case_id": case_id, "caller": caller, "key": key}


def cursor(conn: Connection) -> Any:
    """A psycopg cursor on the pooled connection: SQLAlchemy's execution layer around these two
    statements cost more CPU than psycopg and the database together (measured: ~150 µs each)."""
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def case_values(found: Sequence[Any]) -> tuple[list[Any], tuple[str | None, str | None, bool] | None]:
    """The case columns (timestamps in UTC, as the store's UTCDateTime gives them) and the person
    (personnummer, name, protected) when the case has one."""
    values = list(found[: len(CASE_COLUMNS)])
    for i in _TIMESTAMPS:
        if values[i] is not None:
            values[i] = values[i].astimezone(UTC)
    n = len(CASE_COLUMNS)
    person = None if values[1] is None else (found[n], found[n + 1], bool(found[n + 2]))
    return values, person


def _json(rows: list[dict[str, Any]]) -> str:
    return orjson.dumps(rows, default=_default).decode()


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


_CASE_FIELDS = (
    ("id", "text"),
    ("state", "text"),
    ("version", "integer"),
    ("phase", "text"),
    ("status", "text"),
    ("outcome", "text"),
    ("last_event_seq", "integer"),
    ("updated_at", "timestamptz"),
    ("closed_at", "timestamptz"),
    ("where_version", "integer"),
    ("where_person_id", "text"),
    ("where_protected", "boolean"),
    ("where_personnummer", "text"),
    ("where_name", "text"),
)
_TASK_FIELDS = (
    ("task_id", "text"),
    ("kind", "text"),
    ("label", "text"),
    ("phase", "text"),
    ("responsible", "text"),
    ("party", "text"),
    ("status", "text"),
    ("due", "date"),
    ("blocking", "boolean"),
    ("meeting", "boolean"),
    ("escalated_to", "text"),
    ("created_on", "date"),
    ("closed_on", "date"),
)


def _columns(fields: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in fields)


WRITE = (
    """WITH lk AS (
    SELECT c.id FROM cases AS c
    WHERE c.id IN (SELECT x.id FROM json_to_recordset(%(cases)s::json) AS x(id text))
        AND (SELECT pg_advisory_xact_lock_shared(%(lock)s)) IS NOT NULL
    ORDER BY c.id
    FOR UPDATE SKIP LOCKED
), u AS (
    UPDATE cases AS c SET """
    + ", ".join(f"{name} = x.{name}" for name, _ in _CASE_FIELDS[1:9])
    + """
    FROM json_to_recordset(%(cases)s::json) AS x("""
    + _columns(_CASE_FIELDS)
    + """)
    WHERE c.id = x.id AND c.id IN (SELECT id FROM lk) AND c.version = x.where_version
        AND c.person_id IS NOT DISTINCT FROM x.where_person_id AND c.protected = x.where_protected
        AND NOT EXISTS (SELECT 1 FROM persons AS p WHERE p.id = c.person_id
            AND (p.personnummer, p.name) IS DISTINCT FROM (x.where_personnummer, x.where_name))
    RETURNING c.id
), ev AS (
    INSERT INTO events (case_id, seq, type, at, data, actor)
    SELECT x.case_id, x.seq, x.type, x.at, x.data, x.actor
    FROM json_to_recordset(%(events)s::json)
        AS x(n integer, case_id text, seq integer, type text, at timestamptz, data json, actor text)
    WHERE x.case_id IN (SELECT id FROM u)
    ORDER BY x.n
    RETURNING id, case_id, seq
), ob AS (
    INSERT INTO outbox (case_id, event_id, kind, recipient, payload, idempotency_key, status, attempts,
        next_attempt_at, created_at)
    SELECT ev.case_id, ev.id, o.kind, o.recipient, o.payload, o.idempotency_key, 'pending', 0, o.next_attempt_at,
        o.created_at
    FROM ev JOIN json_to_recordset(%(outbox)s::json) AS o(case_id text, seq integer, kind text, recipient text,
        payload json, idempotency_key text, next_attempt_at timestamptz, created_at timestamptz)
        ON o.case_id = ev.case_id AND o.seq = ev.seq
), tk AS (
    INSERT INTO tasks (case_id, """
    + ", ".join(name for name, _ in _TASK_FIELDS)
    + """)
    SELECT t.case_id, """
    + ", ".join(f"t.{name}" for name, _ in _TASK_FIELDS)
    + """
    FROM json_to_recordset(%(tasks)s::json) AS t(case_id text, """
    + _columns(_TASK_FIELDS)
    + """)
    WHERE t.case_id IN (SELECT id FROM u)
    ON CONFLICT (case_id, task_id) DO UPDATE SET """
    + ", ".join(f"{name} = EXCLUDED.{name}" for name, _ in _TASK_FIELDS[1:])
    + """
), tc AS (
    DELETE FROM timers AS m USING json_to_recordset(%(cancel)s::json) AS x(case_id text, timer_id text)
    WHERE m.case_id = x.case_id AND m.timer_id = x.timer_id AND x.case_id IN (SELECT id FROM u)
), ts AS (
    INSERT INTO timers (case_id, timer_id, due_at, kind, ref, claimed_until)
    SELECT m.case_id, m.timer_id, m.due_at, m.kind, m.ref, NULL
    FROM json_to_recordset(%(timers)s::json)
        AS m(case_id text, timer_id text, due_at timestamptz, kind text, ref text)
    WHERE m.case_id IN (SELECT id FROM u)
    ON CONFLICT (case_id, timer_id) DO UPDATE SET due_at = EXCLUDED.due_at, kind = EXCLUDED.kind,
        ref = EXCLUDED.ref, claimed_until = NULL
), al AS (
    INSERT INTO access_log (at, user_id, caller_kind, party, person_id, case_id, resource, purpose)
    SELECT a.at, a.user_id, a.caller_kind, a.party, a.person_id, a.case_id, a.resource, a.purpose
    FROM json_to_recordset(%(access_log)s::json) AS a(at timestamptz, user_id text, caller_kind text, party text,
        person_id text, case_id text, resource text, purpose text)
    WHERE a.case_id IN (SELECT id FROM u)
), ik AS (
    INSERT INTO idempotency (caller, key, request_hash, response, status_code, created_at)
    SELECT i.caller, i.key, i.request_hash, i.response, i.status_code, i.created_at
    FROM json_to_recordset(%(idempotency)s::json) AS i(case_id text, caller text, key text, request_hash text,
        response json, status_code integer, created_at timestamptz)
    WHERE i.case_id IN (SELECT id FROM u)
)
SELECT id FROM u"""
)
"""The one statement that writes decided commands, one or several (each on its own case): a guarded
UPDATE of the case rows and, chained on the rows it updated, everything else. It returns the ids of
the cases it updated; a command whose case is missing failed its guard, and nothing of it was
written. Its text never changes, so the connection prepares it once.

`lk` takes the shared event-append lock first (an InitPlan), then locks the case rows in id order,
skipping rows another transaction holds (the timer sweep, a general-path command): the statement
never waits for a row lock, so one busy case cannot hold up the commands written with it, and
statements cannot deadlock on row locks. A skipped case counts as a failed guard. The guard: the
version, the identity (person, protected) and the person's personnummer and name as answered."""

_TABLES = ("cases", "events", "outbox", "tasks", "cancel", "timers", "access_log", "idempotency")


@dataclass(slots=True)
class Write:
    """One decided command's rows for `WRITE`, by table (see `write_rows`)."""

    case_id: str
    rows: dict[str, list[dict[str, Any]]]


def write_rows(
    case_id: str,
    loaded_version: int,
    read_person_id: str | None,
    read_protected: bool,
    read_person: tuple[str | None, str | None, bool] | None,
    values: dict[str, Any],
    decision: Decision,
    events: list[dict[str, Any]],
    recipients: list[list[str]],
    tasks: list[dict[str, Any]],
    access_log: dict[str, Any] | None,
    now: datetime,
    idempotency: dict[str, Any] | None = None,
) -> Write:
    """The rows a decided command writes, guarded by the version and identity read."""
    if now.tzinfo is None:
        raise ValueError("naive datetime: the store keeps aware UTC datetimes only")
    case = {
        **values,
        "id": case_id,
        "where_version": loaded_version,
        "where_person_id": read_person_id,
        "where_protected": read_protected,
        "where_personnummer": None if read_person is None else read_person[0],
        "where_name": None if read_person is None else read_person[1],
    }
    set_ids = {t.id for t in decision.set_timers}
    return Write(
        case_id,
        {
            "cases": [case],
            "events": events,
            "outbox": _outbox_rows(case_id, decision.events, events, recipients, now),
            "tasks": tasks,
            # setting a timer again moves it: only the others are cancelled
            "cancel": [{"case_id": case_id, "timer_id": t} for t in decision.cancel_timers if t not in set_ids],
            "timers": [
                {"case_id": case_id, "timer_id": t.id, "due_at": t.at, "kind": t.kind, "ref": t.ref}
                for t in decision.set_timers
            ],
            "access_log": [] if access_log is None else [{**access_log, "case_id": case_id}],
            "idempotency": [] if idempotency is None else [{**idempotency, "case_id": case_id}],
        },
    )


def write_statement(writes: Sequence[Write]) -> tuple[str, dict[str, Any]]:
    """`WRITE` and its parameters for commands on distinct cases."""
    if len({w.case_id for w in writes}) != len(writes):
        raise ValueError("one command per case in one statement")
    params: dict[str, Any] = {"lock": EVENT_APPEND_LOCK}
    for table in _TABLES:
        rows = [row for w in writes for row in w.rows[table]]
        if table == "events":
            rows = [{**row, "n": n} for n, row in enumerate(rows)]
        params[table] = _json(rows)
    return WRITE, params


def updated_ids(rows: Sequence[Sequence[Any]]) -> set[str]:
    """The cases `WRITE` updated (its result rows)."""
    return {str(row[0]) for row in rows}


def _outbox_rows(
    case_id: str, decided: Sequence[Event], events: list[dict[str, Any]], recipients: list[list[str]], now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "case_id": case_id,
            "seq": er["seq"],
            "kind": event.type,
            "recipient": recipient,
            "payload": {**er["data"], "case_id": case_id, "type": event.type, "at": event.at.isoformat()},
            "idempotency_key": f"{case_id}:{er['seq']}:{recipient}",
            "next_attempt_at": event.at,
            "created_at": now,
        }
        for event, er, to in zip(decided, events, recipients, strict=True)
        for recipient in to
    ]


@dataclass(frozen=True, slots=True)
class Recent:
    """A case as this process last wrote it: the row (with its new version), the decided state and
    the person read with it (personnummer, name, protected)."""

    row: Any
    state: Any
    person: tuple[str | None, str | None, bool] | None


class RecentCases:
    """Per process: the last write of each case this process made, so that the next command on it,
    carrying that version in If-Match, needs no read (one statement instead of two).

    Safe because the write that follows is guarded by the version and the identity as they were
    read: every change to a case row bumps its version (commands, the timer sweep, migration,
    protecting identity, gallring), except clearing the identity on a person's other cases when it
    is protected, which the identity guard catches. If the guard fails nothing is written, the entry
    is dropped and the general path reads the case again. Bounded: the oldest entry goes first."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._entries: dict[str, Recent] = {}
        self._lock = threading.Lock()

    def get(self, case_id: str, version: int | None) -> Recent | None:
        if version is None:
            return None
        entry = self._entries.get(case_id)
        return entry if entry is not None and entry.row.version == version else None

    def put(self, case_id: str, entry: Recent) -> None:
        with self._lock:
            old = self._entries.pop(case_id, None)  # to the end: the newest
            if old is not None and old.row.version > entry.row.version:
                entry = old  # a slower thread's write of an older version: keep the newer
            self._entries[case_id] = entry
            if len(self._entries) > self._size:
                del self._entries[next(iter(self._entries))]

    def drop(self, case_id: str) -> None:
        with self._lock:
            self._entries.pop(case_id, None)

    def __len__(self) -> int:
        return len(self._entries)


class AsyncConnections:
    """Autocommit asyncio psycopg connections for `CaseService.execute_async`, kept for reuse.

    Deliberately small: a connection is only ever used by one coroutine at a time, so it needs no
    lock of its own and can serve whichever event loop runs the request. At most `size` are open;
    when all are busy a request waits its turn (`release` hands the connection straight to the
    oldest waiter, on the waiter's own loop), up to `wait_seconds`, after which the caller falls back
    to the threaded path. An idle connection the server has closed is noticed the way the
    synchronous pool notices it (`store.db.idle_connection_closed`) and replaced."""

    def __init__(self, url: str, size: int = 10, wait_seconds: float = 5.0) -> None:
        self._url = url
        self._size = size
        self._wait = wait_seconds
        self._idle: list[Any] = []
        self._open = 0
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = deque()
        self._lock = threading.Lock()

    async def acquire(self) -> Any | None:
        """A connection, or None when none could be had (database down, or busy past the wait)."""
        while True:
            waiter: asyncio.Future[Any] | None = None
            with self._lock:
                conn = self._idle.pop() if self._idle else None
                if conn is None:
                    if self._open < self._size:
                        self._open += 1
                    else:
                        loop = asyncio.get_running_loop()
                        waiter = loop.create_future()
                        self._waiters.append((loop, waiter))
            if waiter is not None:
                try:
                    conn = await asyncio.wait_for(waiter, self._wait)
                except TimeoutError:
                    return None
                except asyncio.CancelledError:  # the request went away; a connection handed over stays ours
                    if waiter.done() and not waiter.cancelled():
                        self._give_back(waiter.result())
                    raise
                if conn is _OPEN_ONE:  # a connection was discarded: its place is ours
                    conn = None
            if conn is None:
                try:
                    return await psycopg.AsyncConnection.connect(self._url, autocommit=True)
                except psycopg.OperationalError:  # database down, too many clients: the threads try
                    self._discard(None)
                    return None
                except BaseException:
                    self._discard(None)
                    raise
            if not idle_connection_closed(conn):
                return conn
            self._discard(conn)

    def release(self, conn: Any) -> None:
        """To the oldest waiter, or the idle list; closed if it is broken or in the middle of something."""
        if conn.closed or conn.broken or conn.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            self._discard(conn)
            return
        self._hand_over(conn)

    def _give_back(self, conn: Any) -> None:
        if conn is _OPEN_ONE:
            self._hand_over(conn)
        else:
            self.release(conn)

    def _hand_over(self, conn: Any) -> None:
        with self._lock:
            while self._waiters:
                loop, waiter = self._waiters.popleft()
                if not waiter.done() and not loop.is_closed():
                    loop.call_soon_threadsafe(self._deliver, waiter, conn)
                    return
            if conn is _OPEN_ONE:
                self._open -= 1
            else:
                self._idle.append(conn)

    def _deliver(self, waiter: asyncio.Future[Any], conn: Any) -> None:
        if waiter.done():  # timed out or cancelled meanwhile: to the next one
            self._hand_over(conn)
        else:
            waiter.set_result(conn)

    def _discard(self, conn: Any) -> None:
        """Close `conn` (if any) and give its place to a waiter, who then opens a new one."""
        if conn is not None:
            conn.pgconn.finish()  # closes the socket; needs no event loop
        self._hand_over(_OPEN_ONE)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
        for conn in idle:
            conn.pgconn.finish()


_OPEN_ONE = object()
"""Handed to a waiter instead of a connection: a place became free, open a new connection."""


class GroupWriter:
    """Group commit for the commands decided on one event loop: the first is written on the loop's
    next turn, and those decided while a write is in flight wait for it and then go together, as one `WRITE`
    statement (each command still all or nothing; at most one command per case in a statement).

    One statement at a time per loop: a command waits for the write in flight, then for its own (at
    most `max_batch` commands a statement). If a statement of several fails as a whole (a unique
    violation on one Idempotency-Key, a deadlock), each command in it is tried again alone, so one
    command's failure is its own."""

    def __init__(self, connections: AsyncConnections, max_batch: int = 64) -> None:
        self._connections = connections
        self._max_batch = max_batch
        self._pending: list[tuple[Write, asyncio.Future[str]]] = []
        self._draining: asyncio.Task[None] | None = None
        self.statements = 0  # statements sent, and the commands in them (for tests and measurements)
        self.commands = 0

    async def write(self, write: Write) -> str:
        """WRITTEN, CHANGED (the guard failed: nothing written), GIVE_WAY (the statement failed with
        this command alone in it: nothing written) or NO_CONNECTION. Raises what the statement raised
        when this command alone failed it otherwise, or the connection broke (outcome unknown)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._pending.append((write, future))
        if self._draining is None or self._draining.done():
            self._draining = loop.create_task(self._drain())
        return await future

    def _take(self) -> list[tuple[Write, asyncio.Future[str]]]:
        batch: list[tuple[Write, asyncio.Future[str]]] = []
        rest: list[tuple[Write, asyncio.Future[str]]] = []
        cases: set[str] = set()
        for item in self._pending:
            if item[1].done():  # the request went away before its write was sent
                continue
            if len(batch) < self._max_batch and item[0].case_id not in cases:
                cases.add(item[0].case_id)
                batch.append(item)
            else:
                rest.append(item)
        self._pending = rest
        return batch

    async def _drain(self) -> None:
        batch: list[tuple[Write, asyncio.Future[str]]] = []
        try:
            while self._pending:
                batch = self._take()
                try:
                    await self._flush(batch)
                except Exception as exc:  # the connection broke: the outcome of this batch is unknown
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
        except BaseException:  # cancelled (the loop is closing): nobody is left waiting forever
            for _, future in batch + self._pending:
                future.cancel()
            self._pending = []
            raise
        finally:
            self._draining = None

    async def _flush(self, batch: list[tuple[Write, asyncio.Future[str]]]) -> None:
        if not batch:
            return
        conn = await self._connections.acquire()
        if conn is None:
            _answer(batch, NO_CONNECTION)
            return
        try:
            if len(batch) > 1:
                results = await self._execute(conn, [w for w, _ in batch], alone=False)
                if results is not None:
                    for item, result in zip(batch, results, strict=True):
                        _answer([item], result)
                    return
            for write, future in batch:  # alone: one command's failure is its own
                try:
                    alone = await self._execute(conn, [write], alone=True)
                except Exception as exc:
                    if not future.done():
                        future.set_exception(exc)
                    if conn.closed or conn.broken:
                        raise
                    continue
                _answer([(write, future)], GIVE_WAY if alone is None else alone[0])
        finally:
            self._connections.release(conn)

    async def _execute(self, conn: Any, writes: list[Write], alone: bool) -> list[str] | None:
        """WRITTEN or CHANGED for each command; None if the statement failed and wrote nothing
        (GIVE_WAY_ERRORS; with several commands, any error but a broken connection)."""
        self.statements += 1
        self.commands += len(writes)
        try:
            cur = await conn.execute(*write_statement(writes))
            done = updated_ids(await cur.fetchall())
        except GIVE_WAY_ERRORS:
            return None
        except (psycopg.OperationalError, psycopg.InterfaceError):
            raise  # the connection: whether it committed is unknown, so nobody tries again
        except Exception:
            if alone:
                raise
            return None
        return [WRITTEN if w.case_id in done else CHANGED for w in writes]


WRITTEN, CHANGED, GIVE_WAY, NO_CONNECTION = "written", "changed", "give_way", "no_connection"


def _answer(items: list[tuple[Write, asyncio.Future[str]]], result: str) -> None:
    for _, future in items:
        if not future.done():  # a request that went away
            future.set_result(result)
