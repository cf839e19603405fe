"""Substitutes (issue 14): a person names a colleague of their own party to stand in for them for
a period. During it the substitute sees the absent person's cases and tasks ("för Anna A.": the
caller's `stands_in_for`, engine/service/access.py) and gets the notifications meant for them
(engine/service/dispatch.py)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel

from engine.core.decide import local_date
from engine.service.access import PERSON_KINDS, Caller
from engine.service.errors import ServiceError, forbidden
from engine.service.query_ports import AccountStore

MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class SubstituteRecord:
    id: int | None
    user_id: str
    party: str
    substitute_id: str
    substitute_name: str
    starts_on: date
    ends_on: date
    created_at: datetime


class Substitutes(Protocol):
    """One transaction over the substitutes."""

    def of(self, user_id: str) -> list[SubstituteRecord]: ...

    def acting_for(self, substitute_id: str, on: date) -> list[SubstituteRecord]:
        """The periods `substitute_id` stands in during `on`."""
        ...

    def standing_in(self, user_ids: list[str], on: date) -> list[SubstituteRecord]:
        """The periods during `on` in which someone stands in for one of `user_ids`."""
        ...

    def add(self, record: SubstituteRecord) -> SubstituteRecord: ...

    def delete(self, user_id: str, substitute: int) -> bool: ...

    def commit(self) -> None: ...


class SubstituteStore(Protocol):
    def transaction(self) -> AbstractContextManager[Substitutes]: ...


class SubstituteOut(BaseModel):
    id: int
    user_id: str
    party: str
    substitute_id: str
    substitute_name: str
    starts_on: date
    ends_on: date


def _out(r: SubstituteRecord) -> SubstituteOut:
    assert r.id is not None
    return SubstituteOut(id=r.id, user_id=r.user_id, party=r.party, substitute_id=r.substitute_id,
                         substitute_name=r.substitute_name, starts_on=r.starts_on, ends_on=r.ends_on)  # fmt: skip


def _person(caller: Caller) -> str:
    if caller.kind not in PERSON_KINDS or caller.party is None:
        raise forbidden("Ersättare utses av handläggare och samordnare")
    return caller.party


class SubstituteService:
    def __init__(self, store: SubstituteStore, accounts: AccountStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._accounts = accounts
        self._clock = clock

    def mine(self, caller: Caller) -> list[SubstituteOut]:
        _person(caller)
        with self._store.transaction() as tx:
            return [_out(r) for r in tx.of(caller.user_id)]

    def add(self, caller: Caller, substitute_id: str, starts_on: date, ends_on: date) -> SubstituteOut:
        party = _person(caller)
        if ends_on < starts_on or (ends_on - starts_on).days > MAX_DAYS:
            raise ServiceError(
                "substitute_period_invalid", f"Perioden ska sluta samma dag eller efter att den börjar, högst "
                f"{MAX_DAYS} dagar", details={"field": "ends_on"},
            )  # fmt: skip
        if ends_on < local_date(self._clock()):
            raise ServiceError("substitute_period_invalid", "Perioden har redan passerat", details={"field": "ends_on"})
        if substitute_id == caller.user_id:
            raise ServiceError("substitute_unknown", "Du kan inte vara din egen ersättare",
                               details={"field": "substitute_id"})  # fmt: skip
        with self._accounts.transaction() as accounts:
            account = accounts.get(substitute_id)
        if account is None or not account.active or account.party != party or account.kind not in PERSON_KINDS:
            raise ServiceError(
                "substitute_unknown", "Ersättaren ska vara en aktiv handläggare eller samordnare i din egen part",
                details={"field": "substitute_id"},
            )  # fmt: skip
        record = SubstituteRecord(None, caller.user_id, party, substitute_id, account.name or substitute_id,
                                  starts_on, ends_on, self._clock())  # fmt: skip
        with self._store.transaction() as tx:
            same = [r for r in tx.of(caller.user_id) if (r.substitute_id, r.starts_on, r.ends_on)
                    == (substitute_id, starts_on, ends_on)]  # fmt: skip
            if same:  # idempotent by content: the same period is stored once
                return _out(same[0])
            stored = tx.add(record)
            tx.commit()
        return _out(stored)

    def remove(self, caller: Caller, substitute: int) -> None:
        _person(caller)
        with self._store.transaction() as tx:
            if not tx.delete(caller.user_id, substitute):
                raise ServiceError("not_found", "Ersättaren finns inte")
            tx.commit()

    def with_stand_ins(self, caller: Caller) -> Caller:
        """The caller with the absent people of their party they stand in for today."""
        if caller.kind not in PERSON_KINDS or caller.party is None:
            return caller
        with self._store.transaction() as tx:
            found = tx.acting_for(caller.user_id, local_date(self._clock()))
        absent = tuple(dict.fromkeys(r.user_id for r in found if r.party == caller.party))
        return replace(caller, stands_in_for=absent) if absent else caller

    def stand_ins(self, user_ids: list[str], on: date) -> dict[str, list[str]]:
        """Absent person → who stands in for them on `on` (notifications go to them too)."""
        if not user_ids:
            return {}
        with self._store.transaction() as tx:
            found = tx.standing_in(user_ids, on)
        out: dict[str, list[str]] = {}
        for r in found:
            out.setdefault(r.user_id, []).append(r.substitute_id)
        return out
