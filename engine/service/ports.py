"""The ports the service layer writes and reads the store through (implemented in engine/adapters/store,
doubled by `Fake*` in tests/fakes.py).

**The one writer.** Every row of a decided command — the case (with its version guard), events,
tasks, timers, outbox, consents, access log, the idempotent answer — is written by
`CaseUnit.append(changes)`, whoever decided it: commands, referral, the timer sweep, migration,
gallring, protected identity. An optimisation (fewer statements, several cases at once) lives
inside that one implementation, never in a second route.

**Invariant: every change to a case row bumps its version.** A `CaseChange` carries the case as
loaded (`before`) and as it will be (`after`) with `after.version == before.version + 1`; the writer
refuses anything else and writes `UPDATE cases ... WHERE id = :id AND version = :before`, so a
change decided on a case that changed meanwhile writes nothing (`VersionConflict`). Protecting an
identity unlinks the person from all their cases: the writer bumps every one of them too.

**Lock order.** A unit that writes takes the event-append advisory lock (shared) before any case
row lock (the feed's `committed_event_horizon` relies on it); `load_for_command` and `lock_cases`
take it first, and `append` takes it if neither did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from engine.core.events import Event
from engine.core.state import CaseState, Timer


@dataclass(frozen=True, slots=True)
class PersonRecord:
    id: str
    personnummer: str | None
    name: str | None
    protected: bool = False


@dataclass(frozen=True, slots=True)
class StoredCase:
    """A case row as loaded (state parsed), with its person when it has one."""

    id: str
    person_id: str | None
    definition_id: str
    definition_version: int
    state: CaseState
    status: str
    phase: str | None
    version: int
    last_event_seq: int
    anonymous: bool
    protected: bool
    referred_by: str | None
    gender: str | None
    birth_year: int | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    outcome: str | None
    person: PersonRecord | None = None


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One access_log row: who read what about whom, when and why."""

    at: datetime
    user_id: str
    caller_kind: str
    party: str | None
    person_id: str | None
    case_id: str | None
    resource: str
    purpose: str


@dataclass(frozen=True, slots=True)
class IdempotentAnswer:
    caller: str
    key: str
    request_hash: str
    response: dict[str, Any]
    status_code: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewPerson:
    """The person a named referral writes: inserted when new, renamed when `name` changed."""

    id: str
    personnummer: str
    name: str | None
    gender: str | None
    birth_year: int | None
    new: bool


@dataclass(frozen=True, slots=True)
class CaseChange:
    """Everything one decided command (or migration, gallring step) writes about one case."""

    before: StoredCase | None
    """As loaded; None for a referral (the case row is inserted)."""
    after: StoredCase
    events: Sequence[Event] = ()
    set_timers: Sequence[Timer] = ()
    cancel_timers: Sequence[str] = ()
    actor: str = ""
    now: datetime | None = None
    access_log: Sequence[AccessEntry] = ()
    idempotency: IdempotentAnswer | None = None
    person: NewPerson | None = None

    @property
    def protects_identity(self) -> bool:
        return any(e.type == "ProtectedIdentitySet" for e in self.events)

    def with_idempotency(self, answer: IdempotentAnswer) -> CaseChange:
        return dataclasses.replace(self, idempotency=answer)


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    case_id: str
    seq: int
    type: str
    at: datetime
    data: dict[str, Any]
    actor: str | None


@dataclass(frozen=True, slots=True)
class TaskRecord:
    case_id: str
    task_id: str
    label: str
    kind: str
    phase: str | None
    responsible: str
    party: str
    status: str
    due: date | None
    blocking: bool
    meeting: bool
    escalated_to: str | None
    created_on: date
    closed_on: date | None
    assignee: str | None = None
    assignee_name: str | None = None
    priority: str = "normal"
    follow_up: date | None = None


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """The rows of `CaseUnit.tasks`: the party's tasks or its roles' (`roles`), narrowed by the rest.
    `assignees`: assigned to one of these people (the caller and whom they stand in for);
    `unassigned`: to nobody; `responsible`: the responsible role is one of these. Dates are
    inclusive except `due_before` (strictly before)."""

    party: str
    roles: tuple[str, ...]
    statuses: tuple[str, ...] | None = None
    due_before: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    assignees: tuple[str, ...] | None = None
    unassigned: bool = False
    responsible: tuple[str, ...] | None = None
    case_id: str | None = None
    phase: str | None = None
    priority: str | None = None
    sort: str = "due"
    """due | -due | priority | follow_up | created"""


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """The rows of `CaseUnit.cases`. `members`: the case's team has one of these people (scope mine:
    the caller and whom they stand in for); else the cases of `party`: a task of it, a member
    of it, or referred by it. `overdue_on`: has an open task due before that day."""

    party: str
    members: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    phase: str | None = None
    overdue_on: date | None = None
    external_ref: str | None = None


@dataclass(frozen=True, slots=True)
class DefinitionRecord:
    id: str
    version: int
    name: str
    yaml: str
    published: bool
    created_at: datetime
    created_by: str
    labels: dict[str, Any] | None = None
    """`stored_labels` of the parsed definition, written with the row (None: a row that no longer loads)."""


class VersionConflict(Exception):
    """A case changed after it was loaded: nothing was written."""

    def __init__(self, case_id: str) -> None:
        super().__init__(case_id)
        self.case_id = case_id


class ReferenceTaken(Exception):
    """A party's own reference (diarienummer) is already on another case of that party: the unique
    index (party, reference) refused the write (a race the service's check did not see)."""

    def __init__(self, party: str, reference: str) -> None:
        super().__init__(f"{party}: {reference}")
        self.party = party
        self.reference = reference


class TryAgain(Exception):
    """The transaction lost to another one (deadlock, serialisation failure, a unique key such as an
    Idempotency-Key or a personnummer inserted meanwhile): nothing was written, run the unit again."""


Key = tuple[str, str]
"""(case_id, timer_id)"""


class DefinitionRows(Protocol):
    """Stored definition versions, read in the caller's unit of work (`ctx`: a unit or session)."""

    def yaml(self, ctx: object, definition_id: str, version: int) -> str | None: ...
    def latest_published(self, ctx: object, definition_id: str) -> int | None: ...
    def exists(self, ctx: object, definition_id: str) -> bool: ...


class CaseUnit(Protocol):
    """One transaction on the case store. Leaving the `with` block without `commit()` rolls back."""

    # --- reading -------------------------------------------------------------------------
    def load(self, case_id: str) -> StoredCase | None: ...
    def load_for_command(self, case_id: str) -> StoredCase | None:
        """`load`, taking the event-append lock first (this unit will write)."""
        ...

    def lock_cases(self, case_ids: Sequence[str]) -> dict[str, StoredCase]:
        """The cases locked for update, in id order (after the event-append lock)."""
        ...

    def load_many(self, case_ids: Sequence[str]) -> dict[str, StoredCase]:
        """The cases of these ids that exist, in one read (a list's page)."""
        ...

    def cases_of_person(self, person_id: str) -> list[StoredCase]: ...
    def cases_on(self, definition_id: str, version: int, status: str) -> list[StoredCase]: ...
    def person_by_number(self, personnummer: str) -> PersonRecord | None: ...
    def idempotent_answer(self, caller: str, key: str) -> IdempotentAnswer | None: ...
    def case_with_reference(self, party: str, reference: str) -> str | None:
        """The id of the case on which `party` stored `reference` as its own case number, if any."""
        ...

    def save_answer(self, answer: IdempotentAnswer) -> None:
        """Store an idempotent answer that no case change carries (a migration's report);
        `TryAgain` when another transaction stored one under the key meanwhile."""
        ...

    def events(self, case_id: str, limit: int, offset: int) -> tuple[list[EventRecord], int]: ...
    def tasks(self, where: TaskFilter, limit: int, offset: int) -> tuple[list[TaskRecord], int]: ...
    def cases(self, where: CaseFilter, limit: int, offset: int) -> tuple[list[StoredCase], int]:
        """One page of the cases that match (newest change first) and how many match in all."""
        ...


    # --- writing -------------------------------------------------------------------------
    def append(self, changes: Sequence[CaseChange]) -> None:
        """Write decided changes (several of one case in sequence allowed). Raises
        `VersionConflict`, `ReferenceTaken` or `TryAgain`, having written nothing that will be committed."""
        ...

    def log_access(self, entries: Sequence[AccessEntry]) -> None: ...

    # --- timers --------------------------------------------------------------------------
    def claim_due_timers(self, now: datetime, batch: int, owner: str, at: datetime, until: datetime) -> list[Key]:
        """Up to `batch` timers due at `now` and unclaimed at `at` (no lease, or one that ended by
        then), marked as `owner`'s until `until`."""
        ...

    def release_timers(self, keys: Sequence[Key], owner: str) -> None:
        """End `owner`'s claim of these timers; a timer another owner holds now is left alone."""
        ...

    def delete_timers(self, keys: Sequence[Key], owner: str) -> None:
        """Delete these timers while `owner`'s claim still holds them."""
        ...

    def commit(self) -> None: ...


class CaseStore(Protocol):
    def unit(self) -> AbstractContextManager[CaseUnit]: ...


@dataclass(frozen=True, slots=True)
class ClosedCase:
    """A closed case not yet cleared by gallring, with the time of its last event."""

    case_id: str
    closed_at: datetime | None
    person_id: str | None
    last_at: datetime


@dataclass(frozen=True, slots=True)
class ClearedCase:
    case_id: str
    last_entry_on: date
    deadline: date


class GallringUnit(CaseUnit, Protocol):
    """The case unit plus what gallring alone does: its case rows still change through `append`."""

    def closed_cases_before(self, limit: datetime) -> list[ClosedCase]: ...
    def access_log_before(self, limit: datetime) -> int: ...
    def delete_access_log_before(self, limit: datetime) -> int: ...
    def persons_only_in(self, case_ids: Sequence[str]) -> set[str]:
        """Persons of these cases that no other case refers to."""
        ...

    def redact_history(
        self,
        case_ids: Sequence[str],
        event_data: Callable[[str, dict[str, Any]], dict[str, Any]],
        payload: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> int:
        """Rewrite the cases' event data and outbox payloads; drop their consent records and stored
        idempotent answers. Returns how many events changed."""
        ...

    def delete_persons(self, person_ids: set[str]) -> int:
        """Those of the persons no case refers to any more."""
        ...

    def start_run(self, values: dict[str, Any]) -> int: ...
    def finish_run(self, run_id: int, values: dict[str, Any]) -> None: ...
    def runs(self, limit: int) -> list[dict[str, Any]]: ...
    def record_cleared(self, run_id: int, cases: Sequence[ClearedCase], at: datetime) -> None: ...


class GallringStore(Protocol):
    def unit(self) -> AbstractContextManager[GallringUnit]: ...


class DefinitionUnit(Protocol):
    def all(self) -> list[DefinitionRecord]: ...
    def get(self, definition_id: str, version: int) -> DefinitionRecord | None: ...
    def labels(self, definition_id: str, version: int) -> dict[str, Any] | None:
        """The stored labels of that version alone (neither its YAML nor a parse)."""
        ...

    def latest_labels(self) -> dict[str, dict[str, Any]]:
        """Per definition id, the stored labels of its newest version."""
        ...

    def max_version(self, definition_id: str, *, published: bool = False) -> int | None: ...
    def add(self, record: DefinitionRecord) -> bool:
        """False (nothing written) when that version is stored already."""
        ...

    def publish(self, definition_id: str, version: int) -> DefinitionRecord | None: ...
    def idempotent_answer(self, caller: str, key: str) -> IdempotentAnswer | None: ...
    def save_answer(self, answer: IdempotentAnswer) -> None:
        """As `CaseUnit.save_answer`, in this unit's transaction (the same `idempotency` table)."""
        ...

    def commit(self) -> None: ...


class DefinitionStore(Protocol):
    def unit(self) -> AbstractContextManager[DefinitionUnit]: ...


def new_access_entry(caller: Any, at: datetime, *, resource: str, purpose: str, case_id: str | None,
                     person_id: str | None) -> AccessEntry:  # fmt: skip
    return AccessEntry(
        at=at, user_id=caller.user_id, caller_kind=caller.kind, party=caller.party, person_id=person_id,
        case_id=case_id, resource=resource, purpose=purpose[:300] or resource,
    )  # fmt: skip
