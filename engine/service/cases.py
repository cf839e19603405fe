"""Case use cases: refer, execute a command, and the consent-scoped reads."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import weakref
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from engine.adapters.store.db import EVENT_APPEND_LOCK_SHARED, event_append_lock_column, hold_event_append_lock
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
from engine.core import commands as c
from engine.core.decide import decide, local_date
from engine.core.definition import Definition
from engine.core.events import Decision, Event, Rejected
from engine.core.identity import PersonId, PersonnummerError, parse_personnummer
from engine.core.state import OPEN_STATUSES, CaseState, TaskState, Timer
from engine.service import access, pg_command
from engine.service.access import Caller
from engine.service.definitions import DefinitionCache
from engine.service.errors import ServiceError, forbidden
from engine.service.uow import UnitOfWork, UowFactory
from engine.service.views import CaseOut, ConsentOut, EventOut, Page, PersonOut, ReferralIn, TaskOut

InboxFilter = Literal["open", "overdue", "due_this_week", "all"]
MAX_LIMIT = 500

# The command path writes through these tables with Core statements: the ORM's unit of work
# (identity map, flush ordering, per-row bookkeeping) cost more CPU than the database did.
_CASES: Table = CaseRow.__table__  # type: ignore[assignment]
_EVENTS: Table = EventRow.__table__  # type: ignore[assignment]
_OUTBOX: Table = OutboxRow.__table__  # type: ignore[assignment]
_ACCESS_LOG: Table = AccessLogRow.__table__  # type: ignore[assignment]


@dataclasses.dataclass(slots=True)
class CaseView:
    """The case row as the command path reads it (Core): no ORM instance, no identity map."""

    id: str
    person_id: str | None
    definition_id: str
    definition_version: int
    state: str
    status: str
    phase: str | None
    version: int
    last_event_seq: int
    anonymous: bool
    protected: bool
    gender: str | None
    birth_year: int | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    outcome: str | None


# Built once: SQLAlchemy then reuses their compiled form without rebuilding them per command.
_CASE_BY_ID = select(*(_CASES.c[f.name] for f in dataclasses.fields(CaseView))).where(
    _CASES.c.id == bindparam("case_id")
)
_CASE_VIEW_FIELDS = tuple(f.name for f in dataclasses.fields(CaseView))
_CASE_BY_ID_LOCKED = _CASE_BY_ID.add_columns(EVENT_APPEND_LOCK_SHARED)
_CASE_COLUMNS_SET = ("state", "version", "phase", "status", "outcome", "last_event_seq", "updated_at", "closed_at")
_UPDATE_CASE = (
    update(_CASES)
    .where(_CASES.c.id == bindparam("where_id"), _CASES.c.version == bindparam("where_version"))
    .values({name: bindparam(name) for name in _CASE_COLUMNS_SET})
)
_INSERT_EVENTS = insert(_EVENTS)
_INSERT_EVENTS_RETURNING_IDS = insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True)
_INSERT_OUTBOX = insert(_OUTBOX)
_INSERT_ACCESS_LOG = insert(_ACCESS_LOG)


def normalise_personnummer(value: str, today: date) -> PersonId:
    """12 digits, ÅÅÅÅMMDDNNNN; samordningsnummer allowed. Raises person_invalid (Swedish message)."""
    try:
        return parse_personnummer(value, today)
    except PersonnummerError as exc:
        raise ServiceError("person_invalid", str(exc), details={"field": "personnummer"}) from None


def _request_hash(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _execute_request(case_id: str, command: c.Command, expected_version: int | None) -> dict[str, Any]:
    """What an Idempotency-Key stands for when it comes with a command (its hash is stored)."""
    return {"op": "execute", "case_id": case_id, "expected_version": expected_version, **_command_payload(command)}


def _usable_key(key: str | None) -> bool:
    """No key, or one the general path would accept (it reports the others)."""
    return key is None or (bool(key.strip()) and len(key) <= 200)


def _command_payload(command: c.Command) -> dict[str, Any]:
    data = {f.name: getattr(command, f.name) for f in dataclasses.fields(command) if f.name != "actor"}
    return {"type": type(command).__name__, **data}


def _paging(limit: int, page: int) -> tuple[int, int]:
    if limit < 1 or page < 1:
        raise ServiceError("validation_error", "limit och page ska vara minst 1", details={"field": "limit"})
    return min(limit, MAX_LIMIT), page


_Plan = tuple[CaseOut, pg_command.Write, pg_command.Recent]
"""The answer, the rows to write, and the case as it will be once written."""


class CaseService:
    def __init__(
        self,
        uow: UowFactory,
        clock: Callable[[], datetime],
        ids: Callable[[], str],
        definitions: DefinitionCache,
        autocommit_engine: Engine | None = None,
        async_connections: pg_command.AsyncConnections | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._defs = definitions
        # PostgreSQL: commands without an Idempotency-Key take the two-statement path (pg_command),
        # on an engine whose connections are in autocommit mode.
        self._autocommit = autocommit_engine
        self._async_connections = async_connections
        self._recent = pg_command.RecentCases()
        self._group_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, pg_command.GroupWriter] = (
            weakref.WeakKeyDictionary()
        )

    # --- commands ----------------------------------------------------------------------

    def refer(self, caller: Caller, referral: ReferralIn, idempotency_key: str | None = None) -> CaseOut:
        party = access.require_party(caller)
        personnummer = self._validate_referral(referral, local_date(self._clock()))
        request = {"op": "refer", **referral.model_dump(mode="json")}
        return self._idempotent(
            caller, idempotency_key, request, 201, lambda uow: self._refer(uow, caller, party, referral, personnummer)
        )

    def execute(
        self,
        caller: Caller,
        case_id: str,
        command: c.Command,
        expected_version: int | None,
        idempotency_key: str | None = None,
    ) -> CaseOut:
        if isinstance(command, c.Refer):
            raise forbidden("Använd remiss för att skapa ett ärende")
        if self._autocommit is not None and _usable_key(idempotency_key):
            out = self._execute_autocommit(caller, case_id, command, expected_version, idempotency_key)
            if out is not None:
                return out
        request = _execute_request(case_id, command, expected_version)
        return self._idempotent(
            caller,
            idempotency_key,
            request,
            200,
            lambda uow: self._execute(uow, caller, case_id, command, expected_version),
        )

    def set_protected_identity(self, caller: Caller, case_id: str, expected_version: int | None = None) -> CaseOut:
        """Skyddade personuppgifter: remove name and personnummer at once, from every case of the person."""
        with self._uow() as uow:
            s = uow.session
            row = self._case_row(s, case_id)
            d = self._defs.get(s, row.definition_id, row.definition_version)
            state = CaseState.from_json(row.state)
            if not access.is_member(caller, state, d):
                level = access.case_level(caller, state, d, identified=row.person_id is not None)
                access.require_case_read(caller, level)
                raise forbidden("Bara värdparten och parter som samtycket omfattar kan ändra ärendet")
            if expected_version is not None and expected_version != row.version:
                raise _version_conflict(case_id, expected_version, row.version)
            now = self._clock()
            person_id = row.person_id
            if person_id is not None:
                s.execute(
                    update(CaseRow)
                    .where(CaseRow.person_id == person_id)
                    .values(person_id=None, protected=True)
                    .execution_options(synchronize_session=False)
                )
                s.execute(delete(PersonRow).where(PersonRow.id == person_id))
            seq = row.last_event_seq + 1
            res = s.execute(
                update(CaseRow)
                .where(CaseRow.id == case_id, CaseRow.version == row.version)
                .values(version=row.version + 1, last_event_seq=seq, protected=True, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount != 1:  # type: ignore[attr-defined]
                raise _version_conflict(case_id, expected_version, None)
            hold_event_append_lock(s)
            s.add(
                EventRow(
                    case_id=case_id,
                    seq=seq,
                    type="ProtectedIdentitySet",
                    at=now,
                    data={"actor": caller.user_id},
                    actor=caller.user_id,
                )
            )
            s.flush()
            row = self._case_row(s, case_id, refresh=True)
            out = self._case_out(s, caller, row, state, d, now, resource="case", purpose="set_protected_identity")
            uow.commit()
            return out

    # --- reads -------------------------------------------------------------------------

    def get_case(self, caller: Caller, case_id: str, purpose: str = "get_case") -> CaseOut:
        with self._uow() as uow:
            s = uow.session
            row = self._case_row(s, case_id)
            d = self._defs.get(s, row.definition_id, row.definition_version)
            state = CaseState.from_json(row.state)
            out = self._case_out(s, caller, row, state, d, self._clock(), resource="case", purpose=purpose)
            uow.commit()
            return out

    def timeline(
        self, caller: Caller, case_id: str, limit: int = 20, page: int = 1, purpose: str = "timeline"
    ) -> Page[EventOut]:
        limit, page = _paging(limit, page)
        with self._uow() as uow:
            s = uow.session
            row = self._case_row(s, case_id)
            d = self._defs.get(s, row.definition_id, row.definition_version)
            state = CaseState.from_json(row.state)
            level = access.case_level(caller, state, d, identified=row.person_id is not None)
            access.require_case_data(caller, level)
            total = s.scalar(select(func.count()).select_from(EventRow).where(EventRow.case_id == case_id)) or 0
            rows = s.scalars(
                select(EventRow)
                .where(EventRow.case_id == case_id)
                .order_by(EventRow.seq)
                .limit(limit)
                .offset((page - 1) * limit)
            ).all()
            access.log_access(
                s, caller, self._clock(), resource="timeline", purpose=purpose, case_id=case_id, person_id=row.person_id
            )
            uow.commit()
            return Page[EventOut](items=[event_out(r) for r in rows], limit=limit, page=page, total=total)

    def inbox(
        self,
        caller: Caller,
        status: InboxFilter = "open",
        limit: int = 20,
        page: int = 1,
        purpose: str = "inbox",
    ) -> Page[TaskOut]:
        party = access.require_party(caller)
        limit, page = _paging(limit, page)
        now = self._clock()
        today = local_date(now)
        mine = [TaskRow.party == party]
        if caller.roles:
            mine += [TaskRow.responsible.in_(caller.roles), TaskRow.escalated_to.in_(caller.roles)]
        where: list[Any] = [or_(*mine)]
        open_ = TaskRow.status.in_(sorted(OPEN_STATUSES))
        if status == "open":
            where.append(open_)
        elif status == "overdue":
            where += [open_, TaskRow.due < today]
        elif status == "due_this_week":
            monday = today - timedelta(days=today.weekday())
            where += [open_, TaskRow.due >= monday, TaskRow.due <= monday + timedelta(days=6)]
        elif status != "all":
            raise ServiceError("validation_error", f"Okänt filter '{status}'", details={"field": "status"})
        with self._uow() as uow:
            s = uow.session
            total = s.scalar(select(func.count()).select_from(TaskRow).where(*where)) or 0
            rows = s.scalars(
                select(TaskRow)
                .where(*where)
                .order_by(TaskRow.due.is_(None), TaskRow.due, TaskRow.case_id, TaskRow.task_id)
                .limit(limit)
                .offset((page - 1) * limit)
            ).all()
            persons: dict[str, PersonOut | None] = {}
            for case_id in dict.fromkeys(r.case_id for r in rows):
                case = self._case_row(s, case_id)
                d = self._defs.get(s, case.definition_id, case.definition_version)
                state = CaseState.from_json(case.state)
                level = access.case_level(caller, state, d, identified=case.person_id is not None)
                persons[case_id] = None
                if level == "full":
                    persons[case_id] = self._person_out(s, case.person_id)
                    access.log_access(
                        s, caller, now, resource="inbox", purpose=purpose, case_id=case_id, person_id=case.person_id
                    )
            items = [task_out(r, today, persons.get(r.case_id)) for r in rows]
            uow.commit()
            return Page[TaskOut](items=items, limit=limit, page=page, total=total)

    def search_person(self, caller: Caller, personnummer: str, purpose: str = "search_person") -> list[CaseOut]:
        """Cases of a person whose consent covers the caller's party. Personnummer only ever in a body."""
        access.require_party(caller)
        number = normalise_personnummer(personnummer, local_date(self._clock())).number
        with self._uow() as uow:
            s = uow.session
            person = s.scalar(select(PersonRow).where(PersonRow.personnummer == number))
            out: list[CaseOut] = []
            if person is not None:
                now = self._clock()
                rows = s.scalars(
                    select(CaseRow).where(CaseRow.person_id == person.id).order_by(CaseRow.created_at)
                ).all()
                for row in rows:
                    d = self._defs.get(s, row.definition_id, row.definition_version)
                    state = CaseState.from_json(row.state)
                    if access.case_level(caller, state, d, identified=True) != "full":
                        continue  # do not reveal a case the consent does not cover
                    out.append(self._case_out(s, caller, row, state, d, now, resource="search", purpose=purpose))
            uow.commit()
            return out

    # --- internals: commands ------------------------------------------------------------

    def _validate_referral(self, r: ReferralIn, today: date) -> PersonId | None:
        if r.anonymous or r.protected_identity:
            if r.personnummer or r.name:
                raise ServiceError(
                    "validation_error",
                    "Anonyma deltagare och deltagare med skyddade personuppgifter registreras utan namn "
                    "och personnummer",
                    details={"field": "personnummer" if r.personnummer else "name"},
                )
            return None
        if not r.personnummer:
            raise ServiceError(
                "validation_error",
                "Personnummer krävs (eller ange anonymt deltagande)",
                details={"field": "personnummer"},
            )
        return normalise_personnummer(r.personnummer, today)

    def _refer(self, uow: UnitOfWork, caller: Caller, party: str, r: ReferralIn, pid: PersonId | None) -> CaseOut:
        s = uow.session
        d = self._defs.latest_published(s, r.definition_id)
        now = self._clock()
        case_id = self._ids()
        facts: dict[str, Any] = {}
        if r.sick_period_start is not None:
            if d.rehabiliteringskedjan is None:
                raise ServiceError(
                    "validation_error",
                    f"{d.key} följer inte rehabiliteringskedjan",
                    details={"field": "sick_period_start"},
                )
            facts[d.rehabiliteringskedjan.fact] = r.sick_period_start
        anonymous = r.anonymous or r.protected_identity
        cmd = c.Refer(case_id=case_id, referred_by=party, anonymous=anonymous, facts=facts, actor=caller.user_id)
        result = decide(d, None, cmd, now)
        if isinstance(result, Rejected):
            raise ServiceError.from_rejection(result)
        person_id: str | None = None
        gender: str | None = r.gender
        birth_year = r.birth_year
        if pid is not None:
            gender, birth_year = pid.gender, pid.birth_year
            person = s.scalar(select(PersonRow).where(PersonRow.personnummer == pid.number))
            if person is None:
                person = PersonRow(
                    id=self._ids(), personnummer=pid.number, name=r.name, gender=gender, birth_year=birth_year
                )
                s.add(person)
                s.flush()  # the case row refers to it (no ORM relationships, so order the inserts here)
            elif r.name:
                person.name = r.name
            person_id = person.id
        row = CaseRow(
            id=case_id,
            person_id=person_id,
            definition_id=d.id,
            definition_version=d.version,
            state=result.state.to_json(),
            status=result.state.status,
            phase=result.state.phase,
            version=1,
            last_event_seq=0,
            anonymous=anonymous,
            protected=r.protected_identity,
            referred_by=party,
            gender=gender,
            birth_year=birth_year,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        self._write_effects(s, row.id, None, result, now, first_seq=1, actor=caller.user_id)
        row.last_event_seq = len(result.events)
        s.flush()
        return self._case_out(s, caller, row, result.state, d, now, resource="case", purpose="refer")

    def _execute(
        self, uow: UnitOfWork, caller: Caller, case_id: str, command: c.Command, expected_version: int | None
    ) -> CaseOut:
        s = uow.session
        row = self._case_row_for_command(s, case_id)
        loaded_version = row.version
        d = self._defs.get(s, row.definition_id, row.definition_version)
        state = CaseState.from_json(row.state)
        access.authorize_command(caller, state, d, command)
        # Only after access is settled: a 412 carries the current version, which a party that may
        # not see the case must not learn (nor that the case exists).
        if expected_version is not None and expected_version != row.version:
            raise _version_conflict(case_id, expected_version, row.version)
        now = self._clock()
        cmd = dataclasses.replace(command, actor=caller.user_id)
        result = decide(d, state, cmd, now)
        if isinstance(result, Rejected):
            raise ServiceError.from_rejection(result)
        new = result.state
        first_seq = row.last_event_seq + 1
        values = _case_values(row, result, now)
        res = s.connection().execute(_UPDATE_CASE, {"where_id": case_id, "where_version": loaded_version, **values})
        if res.rowcount != 1:
            raise _version_conflict(case_id, expected_version, None)
        row = dataclasses.replace(row, **values)  # what the guarded UPDATE wrote, without reading it back
        cached = s.identity_map.get(identity_key(CaseRow, case_id))
        if cached is not None:  # a CaseRow this session loaded earlier: keep it true
            for key, value in values.items():
                set_committed_value(cached, key, value)
        self._write_effects(s, case_id, state, result, now, first_seq=first_seq, actor=caller.user_id, lock_held=True)
        return self._case_out(
            s, caller, row, new, d, now, resource="case", purpose=type(command).__name__, after_command=True
        )

    def _execute_autocommit(
        self,
        caller: Caller,
        case_id: str,
        command: c.Command,
        expected_version: int | None,
        key: str | None = None,
    ) -> CaseOut | None:
        """`_execute` in two autocommit statements on PostgreSQL (see `pg_command`); None when the
        command needs the general path (a definition not parsed yet, consent rows to write, an
        Idempotency-Key already used or being used)."""
        assert self._autocommit is not None
        with self._autocommit.connect() as conn, pg_command.cursor(conn) as cur:
            plan = self._plan_recent(caller, case_id, command, expected_version, key)
            if plan is None:
                cur.execute(pg_command.read_case(key), pg_command.read_params(case_id, caller.user_id, key))
                plan = self._plan(cur.fetchone(), caller, case_id, command, expected_version, key)
                if plan is None:
                    return None
            out, write, recent = plan
            try:
                cur.execute(*pg_command.write_statement([write]))
                done = pg_command.updated_ids(cur.fetchall())
            except pg_command.GIVE_WAY_ERRORS:  # rolled back whole: the general path replays or runs it
                self._recent.drop(case_id)
                return None
            # Not updated: the case changed since it was read (a concurrent command, or its identity
            # was protected); nothing was written, and the general path reads it again and answers
            # (412 for a stale If-Match, the first answer for a used key, or the command itself).
            return self._written(case_id, out, recent, case_id in done)

    def close(self) -> None:
        if self._async_connections is not None:
            self._async_connections.close()

    @property
    def runs_async(self) -> bool:
        """Whether `execute_async` can take commands (PostgreSQL with an async connection source)."""
        return self._async_connections is not None

    async def execute_async(
        self,
        caller: Caller,
        case_id: str,
        command: c.Command,
        expected_version: int | None,
        idempotency_key: str | None = None,
    ) -> CaseOut | None:
        """The two-statement path on asyncio psycopg connections, for the API's event loop: the
        same statements and answers as `_execute_autocommit`, without a thread per command, the
        write going through the loop's `GroupWriter` (group commit). None when the command needs
        the general path (call `execute` then, in a thread)."""
        key = idempotency_key
        if isinstance(command, c.Refer) or self._async_connections is None or not _usable_key(key):
            return None
        plan = self._plan_recent(caller, case_id, command, expected_version, key)
        if plan is None:
            conn = await self._async_connections.acquire()
            if conn is None:  # all connections busy: the threads take it
                return None
            try:
                cur = await conn.execute(
                    pg_command.read_case(key), pg_command.read_params(case_id, caller.user_id, key)
                )
                found = await cur.fetchone()
            finally:
                self._async_connections.release(conn)
            plan = self._plan(found, caller, case_id, command, expected_version, key)
            if plan is None:
                return None
        out, write, recent = plan
        result = await self._group_writer().write(write)
        # CHANGED, GIVE_WAY (as in `_execute_autocommit`) or NO_CONNECTION: the general path, in a thread
        return self._written(case_id, out, recent, result == pg_command.WRITTEN)

    def _group_writer(self) -> pg_command.GroupWriter:
        """The running event loop's group writer (one statement in flight per loop)."""
        assert self._async_connections is not None
        loop = asyncio.get_running_loop()
        writer = self._group_writers.get(loop)
        if writer is None:
            writer = self._group_writers[loop] = pg_command.GroupWriter(self._async_connections)
        return writer

    def _written(self, case_id: str, out: CaseOut, recent: pg_command.Recent, written: bool) -> CaseOut | None:
        """After the write: the answer, remembering the case as written; or None (nothing was
        written) for the general path."""
        if not written:
            self._recent.drop(case_id)
            return None
        self._recent.put(case_id, recent)
        return out

    def _plan_recent(
        self, caller: Caller, case_id: str, command: c.Command, expected_version: int | None, key: str | None
    ) -> _Plan | None:
        """The plan without a read, when this process wrote the case last at the version the caller
        names (see `pg_command.RecentCases`); None to read it."""
        hit = self._recent.get(case_id, expected_version)
        if hit is None:
            return None
        try:
            return self._plan_case(hit.row, hit.person, hit.state, caller, case_id, command, expected_version, key)
        except ServiceError:  # a refusal must come from the case as it is now, not as remembered: read it
            self._recent.drop(case_id)
            return None

    def _plan(
        self,
        found: Any,
        caller: Caller,
        case_id: str,
        command: c.Command,
        expected_version: int | None,
        key: str | None = None,
    ) -> _Plan | None:
        """From the case row read (`pg_command.read_case`) to the answer and the write statement:
        access, version, the pure core, the response and its access-log row. No I/O."""
        if key is not None and (found is None or found[-1]):
            return None  # the key was used before (or the case is unknown): the general path answers
        if found is None:
            raise ServiceError("not_found", "Ärendet finns inte")
        columns, person = pg_command.case_values(found)
        row = CaseView(*columns)
        return self._plan_case(row, person, None, caller, case_id, command, expected_version, key)

    def _plan_case(
        self,
        row: CaseView,
        person: tuple[str | None, str | None, bool] | None,
        state: CaseState | None,
        caller: Caller,
        case_id: str,
        command: c.Command,
        expected_version: int | None,
        key: str | None,
    ) -> _Plan | None:
        """`_plan` from the case row and its person (and its state, when already parsed)."""
        d = self._defs.peek(row.definition_id, row.definition_version)
        if d is None:
            return None
        if state is None:
            state = CaseState.from_json(row.state)
        access.authorize_command(caller, state, d, command)
        if expected_version is not None and expected_version != row.version:
            raise _version_conflict(case_id, expected_version, row.version)
        now = self._clock()
        result = decide(d, state, dataclasses.replace(command, actor=caller.user_id), now)
        if isinstance(result, Rejected):
            raise ServiceError.from_rejection(result)
        if any(event.type in pg_command.CONSENT_EVENTS for event in result.events):
            return None
        values = _case_values(row, result, now)
        written = dataclasses.replace(row, **values)

        def person_out() -> PersonOut | None:
            if person is None or person[2] or row.person_id is None:
                return None
            return PersonOut(id=row.person_id, personnummer=person[0], name=person[1])

        out, logged = case_out(caller, written, result.state, d, now, person_out, after_command=True)
        log = (
            access.access_log_values(
                caller, now, resource="case", purpose=type(command).__name__, case_id=case_id,
                person_id=row.person_id,
            )
            if logged
            else None
        )  # fmt: skip
        write = pg_command.write_rows(
            case_id,
            row.version,
            row.person_id,
            row.protected,
            person,
            values,
            result,
            _event_rows(case_id, result, row.last_event_seq + 1, caller.user_id),
            [_recipients(event, state) for event in result.events],
            task_rows(case_id, state, result.state),
            log,
            now,
            idempotency=None
            if key is None
            else {
                "caller": caller.user_id,
                "key": key,
                "request_hash": _request_hash(_execute_request(case_id, command, expected_version)),
                "response": out.model_dump(mode="json"),
                "status_code": 200,
                "created_at": now,
            },
        )
        return out, write, pg_command.Recent(written, result.state, person)

    def _write_effects(
        self,
        s: Session,
        case_id: str,
        old: CaseState | None,
        decision: Decision,
        now: datetime,
        *,
        first_seq: int,
        actor: str,
        lock_held: bool = False,
    ) -> None:
        """Events, outbox, tasks and timers projections, consents: all in the caller's transaction.

        `lock_held`: the event append lock was taken with the case row (`_case_row_for_command`)."""
        if not lock_held:
            hold_event_append_lock(s)
        if decision.events:
            conn = s.connection()
            events = _event_rows(case_id, decision, first_seq, actor)
            recipients = [_recipients(event, old) for event in decision.events]
            if any(recipients):  # event ids for the outbox: one INSERT .. RETURNING, in parameter order
                ids = conn.execute(_INSERT_EVENTS_RETURNING_IDS, events).scalars().all()
                outbox = [
                    {
                        "case_id": case_id,
                        "event_id": event_id,
                        "kind": event.type,
                        "recipient": recipient,
                        "payload": {**er["data"], "case_id": case_id, "type": event.type, "at": event.at.isoformat()},
                        "idempotency_key": f"{case_id}:{er['seq']}:{recipient}",
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": event.at,
                        "created_at": now,
                    }
                    for event, er, event_id, to in zip(decision.events, events, ids, recipients, strict=True)
                    for recipient in to
                ]
                conn.execute(_INSERT_OUTBOX, outbox)
            else:
                conn.execute(_INSERT_EVENTS, events)
        _write_consents(s, case_id, decision, now)
        sync_projections(s, case_id, old, decision.state, decision.set_timers, decision.cancel_timers)

    # --- internals: idempotency -------------------------------------------------------

    def _idempotent(
        self,
        caller: Caller,
        key: str | None,
        request: dict[str, Any],
        status_code: int,
        action: Callable[[UnitOfWork], CaseOut],
    ) -> CaseOut:
        if key is None:
            with self._uow() as uow:
                out = action(uow)
                uow.commit()
                return out
        if not key.strip() or len(key) > 200:
            raise ServiceError("validation_error", "Ogiltig Idempotency-Key", details={"field": "Idempotency-Key"})
        digest = _request_hash(request)
        for _attempt in range(5):
            try:
                with self._uow() as uow:
                    s = uow.session
                    stored = s.get(IdempotencyRow, (caller.user_id, key))
                    if stored is not None:
                        out = self._replay(s, caller, stored, digest)
                        uow.commit()
                        return out
                    marker = IdempotencyRow(
                        caller=caller.user_id,
                        key=key,
                        request_hash=digest,
                        response=None,
                        status_code=status_code,
                        created_at=self._clock(),
                    )
                    s.add(marker)
                    # A concurrent request with the same key holds the same primary key: on
                    # PostgreSQL this insert waits for it and then fails, and we replay below.
                    s.flush()
                    out = action(uow)
                    marker.response = out.model_dump(mode="json")
                    uow.commit()
                    return out
            except IntegrityError:
                continue
            except DBAPIError as exc:  # a deadlock with another path's transaction: run it again
                if getattr(exc.orig, "sqlstate", None) not in ("40P01", "40001"):
                    raise
                continue
        raise ServiceError("idempotency_conflict", "Begäran med samma Idempotency-Key pågår; försök igen", status=409)

    def _replay(self, s: Session, caller: Caller, stored: IdempotencyRow, digest: str) -> CaseOut:
        if stored.request_hash != digest:
            raise ServiceError(
                "idempotency_conflict",
                "Idempotency-Key har redan använts för en annan begäran",
                details={"field": "Idempotency-Key"},
            )
        if stored.response is None:  # pragma: no cover - never committed without a response
            raise ServiceError("idempotency_conflict", "Begäran med samma Idempotency-Key pågår", status=409)
        out = CaseOut.model_validate(stored.response)
        if out.person is not None:
            # The stored response is replayed only while the consent still covers the caller.
            row = s.get(CaseRow, out.id)
            visible = False
            if row is not None and row.person_id is not None:
                d = self._defs.get(s, row.definition_id, row.definition_version)
                state = CaseState.from_json(row.state)
                visible = access.case_level(caller, state, d, identified=True) == "full"
            if not visible:
                return out.model_copy(update={"person": None})
            access.log_access(
                s, caller, self._clock(), resource="case", purpose="idempotent_replay", case_id=out.id,
                person_id=out.person.id,
            )  # fmt: skip
        return out

    # --- internals: views ---------------------------------------------------------------

    def _case_row(self, s: Session, case_id: str, *, refresh: bool = False) -> CaseRow:
        row = s.get(CaseRow, case_id, populate_existing=refresh)
        if row is None:
            raise ServiceError("not_found", "Ärendet finns inte")
        return row

    def _case_row_for_command(self, s: Session, case_id: str) -> CaseView:
        """The case row in one statement that also takes the event append lock (PostgreSQL)."""
        q = _CASE_BY_ID if event_append_lock_column(s) is None else _CASE_BY_ID_LOCKED
        found = s.connection().execute(q, {"case_id": case_id}).first()
        if found is None:
            raise ServiceError("not_found", "Ärendet finns inte")
        return CaseView(*found[: len(_CASE_VIEW_FIELDS)])

    def _person_out(self, s: Session, person_id: str | None) -> PersonOut | None:
        if person_id is None:
            return None
        p = s.get(PersonRow, person_id)
        if p is None or p.protected:
            return None
        return PersonOut(id=p.id, personnummer=p.personnummer, name=p.name)

    def _case_out(
        self,
        s: Session,
        caller: Caller,
        row: CaseRow | CaseView,
        state: CaseState,
        d: Definition,
        now: datetime,
        *,
        resource: str,
        purpose: str,
        after_command: bool = False,
    ) -> CaseOut:
        out, logged = case_out(
            caller, row, state, d, now, lambda: self._person_out(s, row.person_id), after_command=after_command
        )
        if logged:
            s.connection().execute(
                _INSERT_ACCESS_LOG,
                access.access_log_values(
                    caller, now, resource=resource, purpose=purpose, case_id=row.id, person_id=row.person_id
                ),
            )
        return out


def case_out(
    caller: Caller,
    row: CaseRow | CaseView,
    state: CaseState,
    d: Definition,
    now: datetime,
    person: Callable[[], PersonOut | None],
    *,
    after_command: bool = False,
) -> tuple[CaseOut, bool]:
    """The case as `caller` may see it, and whether that read must be in the access log. `person`
    is asked for the person only when the caller may see them (full access, identity not protected)."""
    level = access.case_level(caller, state, d, identified=row.person_id is not None)
    if after_command and level == "none" and caller.is_party:
        # The command was allowed, but took away the caller's own view (e.g. a party withdrew
        # the consent covering it): the receipt is the case reference, version and own tasks.
        level = "tasks"
    access.require_case_read(caller, level)
    today = local_date(now)
    if level == "tasks":
        own = [t for t in state.tasks.values() if access.owns_task(caller, t)]
        out = CaseOut(
            id=row.id,
            access="tasks",
            version=row.version,
            definition_id=row.definition_id,
            definition_version=row.definition_version,
            tasks=[task_state_out(row.id, t, today) for t in own],
        )
        return out, False
    consent = state.consent
    out = CaseOut(
        id=row.id,
        access="full" if level == "full" else "case",
        version=row.version,
        definition_id=row.definition_id,
        definition_version=row.definition_version,
        status=state.status,
        phase=state.phase,
        phase_label=d.phase_by_id[state.phase].label if state.phase in d.phase_by_id else None,
        anonymous=row.anonymous,
        protected_identity=row.protected,
        gender=row.gender,
        birth_year=row.birth_year,
        started_on=state.started_on,
        closed_on=state.closed_on,
        decision=state.decision,
        outcome=state.outcome,
        person=person() if level == "full" and not row.protected else None,
        consent=None
        if consent is None
        else ConsentOut(
            parties=list(consent.parties),
            given_on=consent.given_on,
            form=consent.form,
            recorded_by=consent.recorded_by,
            withdrawn_on=consent.withdrawn_on,
            active=consent.active,
        ),
        facts=_jsonable(state.facts),
        tasks=[task_state_out(row.id, t, today) for t in state.tasks.values()],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
    return out, caller.kind != "system"


# --- helpers shared with the definition service (migration) and the worker --------------------


def sync_projections(
    s: Session,
    case_id: str,
    old: CaseState | None,
    new: CaseState,
    set_timers: Sequence[Timer],
    cancel_timers: Sequence[str],
) -> None:
    """Make the tasks and timers tables agree with the new state (changed rows only)."""
    changed = task_rows(case_id, old, new)
    _upsert(s, TaskRow, changed, ("case_id", "task_id"))
    if cancel_timers:
        s.execute(delete(TimerRow).where(TimerRow.case_id == case_id, TimerRow.timer_id.in_(list(cancel_timers))))
    timers = [
        {"case_id": case_id, "timer_id": t.id, "due_at": t.at, "kind": t.kind, "ref": t.ref, "claimed_until": None}
        for t in set_timers
    ]
    _upsert(s, TimerRow, timers, ("case_id", "timer_id"))


def task_rows(case_id: str, old: CaseState | None, new: CaseState) -> list[dict[str, Any]]:
    """The tasks table rows of the tasks that changed from `old` to `new`."""
    old_tasks = old.tasks if old is not None else {}
    return [
        {
            "case_id": case_id,
            "task_id": task.id,
            "kind": task.kind,
            "label": task.label,
            "phase": task.phase,
            "responsible": task.responsible,
            "party": task.party,
            "status": task.status,
            "due": task.due,
            "blocking": task.blocking,
            "meeting": task.meeting,
            "escalated_to": task.escalated_to,
            "created_on": task.created_on,
            "closed_on": task.closed_on,
        }
        for task in new.tasks.values()
        if old_tasks.get(task.id) != task
    ]


def _upsert(
    s: Session, model: type[TaskRow] | type[TimerRow], rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> None:
    """INSERT ... ON CONFLICT DO UPDATE (SQLite and PostgreSQL both have it): one statement, no read."""
    if not rows:
        return
    columns = [c for c in rows[0] if c not in keys]
    if s.get_bind().dialect.name == "postgresql":
        pg = postgresql_insert(model)
        s.execute(pg.on_conflict_do_update(index_elements=keys, set_={c: pg.excluded[c] for c in columns}), rows)
    else:
        lite = sqlite_insert(model)
        s.execute(lite.on_conflict_do_update(index_elements=keys, set_={c: lite.excluded[c] for c in columns}), rows)


def _recipients(event: Event, old: CaseState | None) -> list[str]:
    """Who hears of an event: its `notify`; a meeting task that moves or is cancelled goes to its
    responsible too, so the calendar invitation can be updated."""
    recipients = list(dict.fromkeys(event.notify))
    if not recipients and event.type in ("TaskDueChanged", "TaskCancelled") and old is not None:
        task = old.tasks.get(str(event.data.get("task")))
        if task is not None and task.meeting:
            recipients = [task.responsible]
    return recipients


def _write_consents(s: Session, case_id: str, decision: Decision, now: datetime) -> None:
    today = local_date(now)
    for event in decision.events:
        if event.type == "ConsentRecorded":
            consent = decision.state.consent
            assert consent is not None
            s.execute(
                update(ConsentRow)
                .where(ConsentRow.case_id == case_id, ConsentRow.withdrawn_on.is_(None), ConsentRow.ended_on.is_(None))
                .values(ended_on=today)
                .execution_options(synchronize_session=False)
            )
            s.add(
                ConsentRow(
                    case_id=case_id,
                    parties=list(consent.parties),
                    given_on=consent.given_on,
                    form=consent.form,
                    recorded_by=consent.recorded_by,
                    withdrawn_parties=[],
                    created_at=now,
                )
            )
        elif event.type in ("ConsentWithdrawn", "ConsentEnded"):
            s.flush()
            current = s.scalar(
                select(ConsentRow)
                .where(ConsentRow.case_id == case_id, ConsentRow.withdrawn_on.is_(None), ConsentRow.ended_on.is_(None))
                .order_by(ConsentRow.id.desc())
                .limit(1)
            )
            if current is None:
                continue
            if event.type == "ConsentEnded":
                current.ended_on = today
            else:
                current.withdrawn_parties = [*current.withdrawn_parties, *event.data.get("parties", [])]
                if not event.data.get("remaining"):
                    current.withdrawn_on = today


def _case_values(row: CaseView, decision: Decision, now: datetime) -> dict[str, Any]:
    """The case columns a decided command writes (guarded by the version it read)."""
    new = decision.state
    return {
        "state": new.to_json(),
        "version": row.version + 1,
        "phase": new.phase,
        "status": new.status,
        "outcome": new.outcome,
        "last_event_seq": row.last_event_seq + len(decision.events),
        "updated_at": now,
        "closed_at": now if new.closed and row.closed_at is None else row.closed_at,
    }


def _event_rows(case_id: str, decision: Decision, first_seq: int, actor: str) -> list[dict[str, Any]]:
    return [
        {
            "case_id": case_id,
            "seq": first_seq + i,
            "type": event.type,
            "at": event.at,
            "data": _jsonable(event.data),
            "actor": event.data.get("actor", actor),
        }
        for i, event in enumerate(decision.events)
    ]


def _version_conflict(case_id: str, expected: int | None, current: int | None) -> ServiceError:
    return ServiceError(
        "version_conflict",
        "Ärendet har ändrats sedan du läste det: läs om det och försök igen",
        details={"case_id": case_id, "expected_version": expected, "current_version": current},
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def event_out(r: EventRow) -> EventOut:
    return EventOut(id=r.id, case_id=r.case_id, seq=r.seq, type=r.type, at=r.at, data=r.data, actor=r.actor)


def task_out(r: TaskRow, today: date, person: PersonOut | None) -> TaskOut:
    is_open = r.status in OPEN_STATUSES
    return TaskOut(
        case_id=r.case_id,
        task_id=r.task_id,
        label=r.label,
        kind=r.kind,
        phase=r.phase,
        responsible=r.responsible,
        party=r.party,
        status=r.status,
        due=r.due,
        blocking=r.blocking,
        meeting=r.meeting,
        escalated_to=r.escalated_to,
        created_on=r.created_on,
        closed_on=r.closed_on,
        overdue=is_open and r.due is not None and r.due < today,
        person=person,
    )


def task_state_out(case_id: str, t: TaskState, today: date) -> TaskOut:
    return TaskOut(
        case_id=case_id,
        task_id=t.id,
        label=t.label,
        kind=t.kind,
        phase=t.phase,
        responsible=t.responsible,
        party=t.party,
        status=t.status,
        due=t.due,
        blocking=t.blocking,
        meeting=t.meeting,
        escalated_to=t.escalated_to,
        created_on=t.created_on,
        closed_on=t.closed_on,
        overdue=t.is_open and t.due is not None and t.due < today,
    )
