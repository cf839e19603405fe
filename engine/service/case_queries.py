"""Case queries: consent-scoped reads, each logged in the access log of the same unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from engine.core.decide import local_date
from engine.service import access
from engine.service.access import Caller
from engine.service.case_commands import normalise_personnummer
from engine.service.case_lists import paging
from engine.service.case_views import case_out, event_at, event_out
from engine.service.definitions import DefinitionCache
from engine.service.errors import ServiceError
from engine.service.ports import AccessEntry, CaseStore, CaseUnit, StoredCase, new_access_entry
from engine.service.views import CaseOut, EventOut, Page


class CaseQueries:
    def __init__(self, store: CaseStore, clock: Callable[[], datetime], definitions: DefinitionCache) -> None:
        self._store = store
        self._clock = clock
        self._defs = definitions

    def get_case(self, caller: Caller, case_id: str, purpose: str = "get_case") -> CaseOut:
        with self._store.unit() as unit:
            row = _found(unit.load(case_id))
            out = self._out(unit, caller, row, resource="case", purpose=purpose)
            unit.commit()
            return out

    def case_with_actions(
        self, caller: Caller, case_id: str, purpose: str = "get_case"
    ) -> tuple[CaseOut, dict[str, str | None]]:
        """The case as `get_case` reads it, and what the caller may do on it (`access.may_act`)."""
        with self._store.unit() as unit:
            row = _found(unit.load(case_id))
            out = self._out(unit, caller, row, resource="case", purpose=purpose)
            unit.commit()
            d = self._defs.get(unit, row.definition_id, row.definition_version)
            return out, access.may_act(caller, row.state, d, self._clock())

    def timeline(
        self, caller: Caller, case_id: str, limit: int = 20, page: int = 1, purpose: str = "timeline"
    ) -> Page[EventOut]:
        limit, page = paging(limit, page)
        with self._store.unit() as unit:
            row = _found(unit.load(case_id))
            d = self._defs.get(unit, row.definition_id, row.definition_version)
            level = access.case_level(caller, row.state, d, identified=row.person_id is not None, now=self._clock())
            access.require_case_data(caller, level)
            events, total = unit.events(case_id, limit, (page - 1) * limit)
            unit.log_access([self._entry(caller, row, "timeline", purpose)])
            unit.commit()
            items = [event_at(event_out(e), level, d) for e in events]
            return Page[EventOut](items=items, limit=limit, page=page, total=total)

    def search_person(self, caller: Caller, personnummer: str, purpose: str = "search_person") -> list[CaseOut]:
        """Cases of a person whose consent covers the caller's party. Personnummer only ever in a body."""
        access.require_party(caller)
        number = normalise_personnummer(personnummer, local_date(self._clock())).number
        with self._store.unit() as unit:
            person = unit.person_by_number(number)
            out: list[CaseOut] = []
            if person is not None:
                for row in unit.cases_of_person(person.id):
                    d = self._defs.get(unit, row.definition_id, row.definition_version)
                    if access.case_level(caller, row.state, d, identified=True, now=self._clock()) != "full":
                        continue  # do not reveal a case the consent does not cover
                    out.append(self._out(unit, caller, row, resource="search", purpose=purpose))
            unit.commit()
            return out

    def _out(self, unit: CaseUnit, caller: Caller, row: StoredCase, *, resource: str, purpose: str) -> CaseOut:
        d = self._defs.get(unit, row.definition_id, row.definition_version)
        now = self._clock()
        out, logged = case_out(caller, row, row.state, d, now)
        if logged:
            unit.log_access([self._entry(caller, row, resource, purpose, now)])
        return out

    def _entry(
        self, caller: Caller, row: StoredCase, resource: str, purpose: str, now: datetime | None = None
    ) -> AccessEntry:
        return new_access_entry(caller, now or self._clock(), resource=resource, purpose=purpose, case_id=row.id,
                                person_id=row.person_id)  # fmt: skip


def _found(row: StoredCase | None) -> StoredCase:
    if row is None:
        raise ServiceError("not_found", "Ärendet finns inte")
    return row
