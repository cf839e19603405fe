"""Ports of the read side: what the feed, the audit pages, the overview, the reports, loggkontroll
and the accounts read from the store (Protocols; the `SqlAlchemy*` implementations live in
engine/adapters/store/queries.py and accounts_store.py, the `Fake*` ones in tests/fakes.py).

The outbox's ports (dispatcher, digest) are in engine/service/outbox_ports.py.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from engine.core.definition import Definition
from engine.core.state import CaseState
from engine.service.access import Caller
from engine.service.views import EventOut

# --- the event feed ------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedCase:
    definition: Definition
    state: CaseState
    person_id: str | None


class FeedRead(Protocol):
    """One transaction of the feed: events in id order, their cases, and the access log."""

    def events_after(self, cursor: int, horizon: int | None, limit: int) -> list[EventOut]: ...

    def newest_event_id(self) -> int:
        """The highest committed event id (0 with no events); events are never deleted."""
        ...

    def case(self, case_id: str) -> FeedCase: ...

    def log_access(
        self, caller: Caller, at: datetime, *, resource: str, purpose: str, case_id: str, person_id: str | None
    ) -> None: ...

    def commit(self) -> None: ...


class EventFeedStore(Protocol):
    def horizon(self) -> int | None:
        """The highest event id no unfinished transaction may still go below (PostgreSQL), or None
        where ids are in commit order already; read in a transaction of its own."""
        ...

    def transaction(self) -> AbstractContextManager[FeedRead]: ...


# --- the access log (audit pages, loggkontroll) ----------------------------------------------


@dataclass(frozen=True)
class AccessLogRecord:
    id: int
    at: datetime
    user_id: str
    caller_kind: str
    party: str | None
    person_id: str | None
    case_id: str | None
    resource: str
    purpose: str


@dataclass(frozen=True)
class AccessLogFilter:
    """What an auditor narrows the access log to; None is no condition. `case_prefix` matches the
    start of a case id (a case reference `INS-3F2A9C0D` is its first eight characters), `purpose`
    any part of the purpose, case-insensitively; `start <= at < end`."""

    person_id: str | None = None
    user_id: str | None = None
    case_id: str | None = None
    case_prefix: str | None = None
    party: str | None = None
    purpose: str | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class TaskSpan:
    """When a party had a task in a case: created on, closed on, status (the tasks projection)."""

    case_id: str
    party: str
    created_on: date
    closed_on: date | None
    status: str


class AccessLogReader(Protocol):
    def page(self, where: AccessLogFilter, *, limit: int, offset: int) -> tuple[int, list[AccessLogRecord]]:
        """The total that matches and one page of it, in id order (one transaction)."""
        ...

    def period(self, start: datetime, end: datetime) -> tuple[list[AccessLogRecord], list[TaskSpan]]:
        """Entries with start <= at < end in id order, and the tasks of the cases they name."""
        ...


# --- aggregates: overview and reports ------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    status: str
    phase: str | None
    outcome: str | None
    gender: str | None
    anonymous: bool


class CaseCounts(Protocol):
    def running_per_version(self, definition_id: str | None) -> dict[tuple[str, int], int]: ...

    def case_facts(self, definition_id: str | None) -> list[CaseFacts]: ...


@dataclass(frozen=True)
class ReportCase:
    definition_id: str
    gender: str | None
    birth_year: int | None


@dataclass(frozen=True)
class ReportEvent:
    case_id: str
    type: str
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class ReportFacts:
    """What a report reads: cases (no person), their admissions and closings, definition names."""

    cases: dict[str, ReportCase]
    events: list[ReportEvent]
    """`ParticipationDecided` and `CaseClosed`, per case in order."""
    names: dict[str, str]
    """Definition id → the newest version's name."""


class ReportSource(Protocol):
    def facts(self, definition_id: str | None) -> ReportFacts:
        """Everything in one transaction; with `definition_id`, that definition's cases only."""
        ...


# --- accounts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRecord:
    user_id: str
    kind: str
    party: str | None
    created_at: datetime
    roles: tuple[str, ...] = ()
    name: str = ""
    email: str | None = None
    notify_mode: str = "event"
    active: bool = True
    password_hash: str | None = None
    last_login_at: datetime | None = None


class Accounts(Protocol):
    """One transaction over the web accounts."""

    def count(self) -> int: ...

    def get(self, user_id: str) -> AccountRecord | None: ...

    def of_party(self, party: str) -> list[AccountRecord]:
        """The active accounts of handläggare and samordnare of `party`, by name."""
        ...

    def put(self, account: AccountRecord) -> None: ...

    def commit(self) -> None: ...


class AccountStore(Protocol):
    def transaction(self) -> AbstractContextManager[Accounts]: ...


# --- saved views of the lists ----------------------------------------------------------------


@dataclass(frozen=True)
class SavedViewRecord:
    id: int
    user_id: str
    kind: str
    name: str
    filters: dict[str, Any]
    created_at: datetime


class SavedViewStore(Protocol):
    """A person's named filters of the task and case lists (`saved_views`), each call one transaction."""

    def list(self, user_id: str, kind: str | None) -> list[SavedViewRecord]:
        """In name order; with `kind`, that list's views only."""
        ...

    def add(self, user_id: str, kind: str, name: str, filters: dict[str, Any], at: datetime) -> SavedViewRecord | None:
        """None (nothing written) when the person has a view of that kind and name already."""
        ...

    def delete(self, user_id: str, view_id: int) -> bool:
        """False when the person has no view with that id."""
        ...
