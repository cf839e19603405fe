"""`CaseService`: the case use cases the API and pages call — commands (engine/service/case_commands.py)
and consent-scoped reads (engine/service/case_queries.py) over one case store port."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from engine.core import commands as c
from engine.service.access import Caller
from engine.service.case_commands import CaseCommands, normalise_personnummer
from engine.service.case_lists import MAX_LIMIT, CaseLists
from engine.service.case_queries import CaseQueries
from engine.service.case_views import case_out, event_out, task_out, task_state_out
from engine.service.definitions import DefinitionCache
from engine.service.list_filters import CaseQuery, TaskQuery
from engine.service.ports import CaseStore
from engine.service.views import CaseOut, EventOut, Page, ReferralIn, TaskOut

__all__ = [
    "MAX_LIMIT", "CaseService", "case_out", "event_out", "normalise_personnummer", "task_out",
    "task_state_out",
]  # fmt: skip
"""`event_out`, `task_out` & co. live in engine/service/case_views.py; importable from here too."""


class CaseService:
    def __init__(
        self, store: CaseStore, clock: Callable[[], datetime], ids: Callable[[], str], definitions: DefinitionCache
    ) -> None:
        self.store = store
        self._commands = CaseCommands(store, clock, ids, definitions)
        self._queries = CaseQueries(store, clock, definitions)
        self._lists = CaseLists(store, clock, definitions)

    # --- commands: one `execute` for every case command, one for referral ------------------------

    def refer(self, caller: Caller, referral: ReferralIn, idempotency_key: str | None = None) -> CaseOut:
        return self._commands.refer(caller, referral, idempotency_key)

    def execute(
        self,
        caller: Caller,
        case_id: str,
        command: c.Command,
        expected_version: int | None,
        idempotency_key: str | None = None,
    ) -> CaseOut:
        return self._commands.execute(caller, case_id, command, expected_version, idempotency_key)

    def set_protected_identity(
        self, caller: Caller, case_id: str, expected_version: int | None = None, idempotency_key: str | None = None
    ) -> CaseOut:
        """Skyddade personuppgifter: name and personnummer go at once, from every case of the person."""
        return self._commands.execute(caller, case_id, c.ProtectIdentity(), expected_version, idempotency_key)

    # --- reads -----------------------------------------------------------------------------------

    def get_case(self, caller: Caller, case_id: str, purpose: str = "get_case") -> CaseOut:
        return self._queries.get_case(caller, case_id, purpose)

    def case_with_actions(
        self, caller: Caller, case_id: str, purpose: str = "get_case"
    ) -> tuple[CaseOut, dict[str, str | None]]:
        """The case, and what the caller may do on it (None, or the reason in words): for pages."""
        return self._queries.case_with_actions(caller, case_id, purpose)

    def timeline(
        self, caller: Caller, case_id: str, limit: int = 20, page: int = 1, purpose: str = "timeline"
    ) -> Page[EventOut]:
        return self._queries.timeline(caller, case_id, limit, page, purpose)

    def tasks(
        self, caller: Caller, query: TaskQuery | None = None, limit: int = 20, page: int = 1, purpose: str = "inbox"
    ) -> Page[TaskOut]:
        """The inbox: the caller's tasks, filtered and sorted (engine/service/case_lists.py)."""
        return self._lists.tasks(caller, query, limit, page, purpose)

    def cases(
        self, caller: Caller, query: CaseQuery | None = None, limit: int = 20, page: int = 1, purpose: str = "cases"
    ) -> Page[CaseOut]:
        return self._lists.cases(caller, query, limit, page, purpose)

    def search_person(self, caller: Caller, personnummer: str, purpose: str = "search_person") -> list[CaseOut]:
        return self._queries.search_person(caller, personnummer, purpose)
