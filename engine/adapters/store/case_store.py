"""`SqlAlchemyCaseStore`: the case store port (engine/service/ports.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, bindparam, func, insert, or_, select, tuple_, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from engine.adapters.store import list_queries, writer, writer_pg
from engine.adapters.store.db import EVENT_APPEND_LOCK, EVENT_APPEND_LOCK_SHARED
from engine.adapters.store.writer import CASES, EVENTS, IDEMPOTENCY, PERSONS, TASKS, TIMERS
from engine.core.state import CaseState
from engine.service.ports import (
    AccessEntry,
    CaseChange,
    CaseFilter,
    EventRecord,
    IdempotentAnswer,
    Key,
    PersonRecord,
    ReferenceTaken,
    StoredCase,
    TaskFilter,
    TaskRecord,
    TryAgain,
)

_CASE_FIELDS = (
    "id", "person_id", "definition_id", "definition_version", "state", "status", "phase", "version",
    "last_event_seq", "anonymous", "protected", "referred_by", "gender", "birth_year", "created_at",
    "updated_at", "closed_at", "outcome",
)  # fmt: skip
_CASES = (
    select(*(CASES.c[name] for name in _CASE_FIELDS), PERSONS.c.personnummer, PERSONS.c.name, PERSONS.c.protected)
    .select_from(CASES.outerjoin(PERSONS, PERSONS.c.id == CASES.c.person_id))
)  # fmt: skip
_CASE_BY_ID = _CASES.where(CASES.c.id == bindparam("case_id"))
_CASE_BY_ID_LOCKED = _CASE_BY_ID.add_columns(EVENT_APPEND_LOCK_SHARED)
_LOCKED_SQL: str | None = None
_LOCK_KEY = {"pg_advisory_xact_lock_shared_1": EVENT_APPEND_LOCK}
_TASK_FIELDS = tuple(c.key for c in TASKS.columns)
RETRY_SQLSTATES = frozenset({"40P01", "40001"})
"""Deadlock, serialisation failure: the transaction lost and can run again."""


def _driver_sql(statement: Any, dialect: Any) -> str:
    """The statement as the driver takes it (named `%(name)s` parameters, constants inlined), compiled once."""
    return str(statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))


_UTC_FIELDS = tuple(i for i, name in enumerate(_CASE_FIELDS) if name in ("created_at", "updated_at", "closed_at"))


def stored_case_from_driver(row: tuple[Any, ...]) -> StoredCase:
    """`stored_case` of a row as psycopg gives it (timestamps in the session's time zone)."""
    values = list(row)
    for i in _UTC_FIELDS:
        if values[i] is not None:
            values[i] = values[i].astimezone(UTC)
    return stored_case(values)


def stored_case(row: Row[Any] | Any) -> StoredCase:
    values = dict(zip(_CASE_FIELDS, row[: len(_CASE_FIELDS)], strict=True))
    values["state"] = CaseState.from_json(values["state"])
    pnr, name, protected = row[len(_CASE_FIELDS) : len(_CASE_FIELDS) + 3]
    person_id = values["person_id"]
    person = None if person_id is None else PersonRecord(person_id, pnr, name, bool(protected))
    return StoredCase(**values, person=person)


class SqlAlchemyCaseUnit:
    """One transaction on one Core connection (no ORM session: nothing here needs its bookkeeping)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._postgresql = connection.dialect.name == "postgresql"
        self._append_lock = not self._postgresql  # SQLite: one writer at a time anyway

    def _conn(self) -> Connection:
        return self.connection

    def _hold_append_lock(self) -> None:
        if not self._append_lock:
            self.connection.execute(select(EVENT_APPEND_LOCK_SHARED))
            self._append_lock = True

    # --- reading -------------------------------------------------------------------------

    def load(self, case_id: str) -> StoredCase | None:
        found = self._conn().execute(_CASE_BY_ID, {"case_id": case_id}).first()
        return None if found is None else stored_case(found)

    def load_for_command(self, case_id: str) -> StoredCase | None:
        if self._append_lock:
            return self.load(case_id)
        # The hot read of every command: the driver's SQL, compiled once (no per-call compilation
        # or result processing), the event-append lock taken in the same statement.
        global _LOCKED_SQL
        if _LOCKED_SQL is None:
            _LOCKED_SQL = _driver_sql(_CASE_BY_ID_LOCKED, self.connection.dialect)
        found = writer_pg.fetch_one(self.connection, _LOCKED_SQL, {"case_id": case_id, **_LOCK_KEY})
        if found is None:
            return None
        self._append_lock = True  # taken with the row, in the same statement
        return stored_case_from_driver(found)

    def lock_cases(self, case_ids: Sequence[str]) -> dict[str, StoredCase]:
        self._hold_append_lock()
        q: Select[Any] = _CASES.where(CASES.c.id.in_(list(case_ids))).order_by(CASES.c.id)
        if self._postgresql:
            q = q.with_for_update(of=CASES)  # in id order: concurrent batches cannot deadlock
        return {case.id: case for case in map(stored_case, self._conn().execute(q))}

    def cases_of_person(self, person_id: str) -> list[StoredCase]:
        q = _CASES.where(CASES.c.person_id == person_id).order_by(CASES.c.created_at)
        return [stored_case(r) for r in self._conn().execute(q)]

    def cases_on(self, definition_id: str, version: int, status: str) -> list[StoredCase]:
        q = _CASES.where(
            CASES.c.definition_id == definition_id, CASES.c.definition_version == version, CASES.c.status == status
        ).order_by(CASES.c.id)
        return [stored_case(r) for r in self._conn().execute(q)]

    def person_by_number(self, personnummer: str) -> PersonRecord | None:
        q = select(PERSONS.c.id, PERSONS.c.personnummer, PERSONS.c.name, PERSONS.c.protected).where(
            PERSONS.c.personnummer == personnummer
        )
        found = self._conn().execute(q).first()
        return None if found is None else PersonRecord(found[0], found[1], found[2], bool(found[3]))

    def case_with_reference(self, party: str, reference: str) -> str | None:
        q = select(writer.REFS.c.case_id).where(writer.REFS.c.party == party, writer.REFS.c.reference == reference)
        found = self._conn().execute(q).first()
        return None if found is None else str(found[0])

    def idempotent_answer(self, caller: str, key: str) -> IdempotentAnswer | None:
        q = select(IDEMPOTENCY).where(IDEMPOTENCY.c.caller == caller, IDEMPOTENCY.c.key == key)
        found = self._conn().execute(q).mappings().first()
        return None if found is None else IdempotentAnswer(**found)

    def save_answer(self, answer: IdempotentAnswer) -> None:
        if not writer.save_answer(self._conn(), answer):
            raise TryAgain(f"Idempotency-Key {answer.key!r} stored meanwhile")

    def events(self, case_id: str, limit: int, offset: int) -> tuple[list[EventRecord], int]:
        conn = self._conn()
        total = conn.execute(select(func.count()).select_from(EVENTS).where(EVENTS.c.case_id == case_id)).scalar()
        q = select(EVENTS).where(EVENTS.c.case_id == case_id).order_by(EVENTS.c.seq).limit(limit).offset(offset)
        return [EventRecord(**r) for r in conn.execute(q).mappings()], int(total or 0)

    def tasks(self, where: TaskFilter, limit: int, offset: int) -> tuple[list[TaskRecord], int]:
        rows, total = list_queries.tasks(self._conn(), where, limit, offset)
        return [TaskRecord(**r) for r in rows], total

    def load_many(self, case_ids: Sequence[str]) -> dict[str, StoredCase]:
        if not case_ids:
            return {}
        return {r[0]: stored_case(r) for r in self._conn().execute(_CASES.where(CASES.c.id.in_(list(case_ids))))}

    def cases(self, where: CaseFilter, limit: int, offset: int) -> tuple[list[StoredCase], int]:
        ids, total = list_queries.case_ids(self._conn(), where, limit, offset)
        found = self.load_many(ids)
        return [found[i] for i in ids if i in found], total

    # --- writing -------------------------------------------------------------------------

    def append(self, changes: Sequence[CaseChange]) -> None:
        self._hold_append_lock()  # before any case row lock (the feed's horizon relies on it)
        try:
            writer.append(self._conn(), changes)
        except IntegrityError as exc:
            taken = reference_taken(exc, changes)
            if taken is None:
                raise
            raise taken from exc

    def log_access(self, entries: Sequence[AccessEntry]) -> None:
        if entries:
            self.connection.execute(insert(writer.ACCESS_LOG), [writer.vars_of(e) for e in entries])

    # --- timers --------------------------------------------------------------------------

    def claim_due_timers(self, now: datetime, batch: int, owner: str, at: datetime, until: datetime) -> list[Key]:
        unclaimed = or_(TIMERS.c.claimed_until.is_(None), TIMERS.c.claimed_until <= at)
        due = (
            select(TIMERS.c.case_id, TIMERS.c.timer_id)
            .where(TIMERS.c.due_at <= now, unclaimed)
            .order_by(TIMERS.c.due_at)
            .limit(batch)
        )
        if self._postgresql:
            due = due.with_for_update(skip_locked=True)
        claimed = list(
            self._conn().execute(
                update(TIMERS)
                .where(tuple_(TIMERS.c.case_id, TIMERS.c.timer_id).in_(due.scalar_subquery()), unclaimed)
                .values(claimed_until=until, owner=owner)
                .returning(TIMERS.c.case_id, TIMERS.c.timer_id, TIMERS.c.due_at)
            )
        )
        claimed.sort(key=lambda r: (r[2], r[0], r[1]))
        return [(r[0], r[1]) for r in claimed]

    def release_timers(self, keys: Sequence[Key], owner: str) -> None:
        writer.release_timers(self._conn(), keys, owner)

    def delete_timers(self, keys: Sequence[Key], owner: str) -> None:
        writer.delete_owned_timers(self._conn(), keys, owner)

    def commit(self) -> None:
        self.connection.commit()


def log_access_in_session(session: Session, entries: Sequence[AccessEntry]) -> None:
    if entries:
        session.connection().execute(insert(writer.ACCESS_LOG), [writer.vars_of(e) for e in entries])


def reference_taken(exc: IntegrityError, changes: Sequence[CaseChange]) -> ReferenceTaken | None:
    """The unique index (party, reference) of `case_refs` refused a reference another case took
    meanwhile (SQLite names the columns, PostgreSQL the index): the reference the changes set."""
    text = str(exc.orig)
    if "ix_case_refs_party_reference" not in text and "case_refs.reference" not in text:
        return None
    for ch in changes:
        before = ch.before.state.external_refs if ch.before is not None else {}
        for party, ref in ch.after.state.external_refs.items():
            if before.get(party) != ref:
                return ReferenceTaken(party, ref)
    return ReferenceTaken("", "")


def retryable(exc: DBAPIError) -> bool:
    """A lost race the unit can run again: deadlock / serialisation failure, or a unique key another
    transaction inserted meanwhile (an Idempotency-Key, a personnummer)."""
    if getattr(exc.orig, "sqlstate", None) in RETRY_SQLSTATES:
        return True
    if isinstance(exc, IntegrityError):
        text = str(exc.orig)
        return any(name in text for name in ("idempotency", "personnummer"))
    return False


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction, rolled back unless committed; a lost race is `TryAgain`."""
    with engine.connect() as connection:
        connection.begin()
        try:
            yield connection
        except DBAPIError as exc:
            if retryable(exc):
                raise TryAgain(str(exc.orig)) from exc
            raise
        finally:
            if connection.in_transaction():
                connection.rollback()


class SqlAlchemyCaseStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def unit(self) -> Iterator[SqlAlchemyCaseUnit]:
        with transaction(self._engine) as connection:
            yield SqlAlchemyCaseUnit(connection)
