"""The lists people work from: `tasks` (the inbox: mine, unassigned, my roles', my party's) and
`cases` (mine, my party's). Each list asks the store for one page, then the access rules for every
row (a list never shows what a GET of the case would answer 404 to), and writes the access log for
every case whose personal data it shows, in the same unit of work, as a single-case read does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

from engine.core.decide import local_date
from engine.core.definition import Definition
from engine.core.state import OPEN_STATUSES, CaseState
from engine.service import access
from engine.service.access import Caller
from engine.service.case_views import case_out, person_out, task_out
from engine.service.definitions import DefinitionCache
from engine.service.errors import ServiceError
from engine.service.list_filters import CaseQuery, TaskQuery
from engine.service.ports import (
    AccessEntry,
    CaseFilter,
    CaseStore,
    StoredCase,
    TaskFilter,
    TaskRecord,
    new_access_entry,
)
from engine.service.views import CaseOut, Page, PersonOut, TaskOut, TeamMemberOut

MAX_LIMIT = 500
_OPEN = tuple(sorted(OPEN_STATUSES))
_CASE_STATUSES: dict[str, tuple[str, ...] | None] = {"active": ("active",), "closed": ("closed",), "all": None}


def paging(limit: int, page: int) -> tuple[int, int]:
    if limit < 1 or page < 1:
        raise ServiceError("validation_error", "limit och page ska vara minst 1", details={"field": "limit"})
    return min(limit, MAX_LIMIT), page


def task_filter(caller: Caller, party: str, query: TaskQuery, today: date) -> TaskFilter:
    """The store's filter of a task query (the caller's party and roles, the day for substitutes)."""
    statuses: tuple[str, ...] | None = _OPEN
    due_before = query.due_before
    due_from = None if query.due_after is None else query.due_after + timedelta(days=1)
    due_to = None
    if query.status == "overdue" or query.overdue:
        due_before = today if due_before is None else min(due_before, today)
    elif query.status == "due_today":
        due_from, due_to = today, today
    elif query.status == "due_this_week":
        monday = today - timedelta(days=today.weekday())
        due_from = monday if due_from is None else max(due_from, monday)
        due_to = monday + timedelta(days=6)
    elif query.status == "all":
        statuses = None
    base = TaskFilter(
        party, caller.roles, statuses, due_before=due_before, due_from=due_from, due_to=due_to,
        case_id=query.case, phase=query.phase, priority=query.priority, sort=query.sort,
    )  # fmt: skip
    if query.assignee == "me":  # and the tasks of whom I stand in for today (substitutes)
        return replace(base, assignees=(caller.user_id, *caller.stands_in_for))
    if query.assignee == "unassigned":
        return replace(base, unassigned=True)
    if query.assignee == "roles":
        return replace(base, unassigned=True, responsible=caller.roles)
    return base


def _shows(caller: Caller, t: TaskRecord, row: StoredCase, d: Definition, level: access.Level) -> bool:
    """The task is the caller's to see: its party's or escalated to its role, in a case the caller
    sees (need-to-know passed); or, outside the team, a task of the party's pool (unassigned, open)
    in a case the party may see, with no personal data."""
    if level != "none":
        return access.sees_task(caller, t, d)
    return access.pooled(caller, t) and access.party_level(caller, row.state, d, identified=False) != "none"


def _colleagues(state: CaseState, party: str) -> list[TeamMemberOut]:
    return [
        TeamMemberOut(party=party, user_id=m.user_id, name=m.name, role=m.role, added_on=m.added_on)
        for m in state.team.get(party, ())
    ]


class CaseLists:
    def __init__(self, store: CaseStore, clock: Callable[[], datetime], definitions: DefinitionCache) -> None:
        self._store = store
        self._clock = clock
        self._defs = definitions

    def tasks(
        self, caller: Caller, query: TaskQuery | None = None, limit: int = 20, page: int = 1, purpose: str = "inbox"
    ) -> Page[TaskOut]:
        query = query or TaskQuery()
        party = access.require_party(caller)
        limit, page = paging(limit, page)
        now = self._clock()
        today = local_date(now)
        where = task_filter(caller, party, query, today)
        with self._store.unit() as unit:
            tasks, total = unit.tasks(where, limit, (page - 1) * limit)
            persons: dict[str, PersonOut | None] = {}
            logged: list[AccessEntry] = []
            definitions: dict[str, Definition] = {}
            rows = unit.load_many(list(dict.fromkeys(t.case_id for t in tasks)))
            levels: dict[str, access.Level] = {}
            for case_id, row in rows.items():
                d = definitions[case_id] = self._defs.get(unit, row.definition_id, row.definition_version)
                level = levels[case_id] = access.case_level(caller, row.state, d, identified=row.person_id is not None,
                                                            now=now)  # fmt: skip
                persons[case_id] = None
                if level == "full":
                    persons[case_id] = person_out(row.person)
                    logged.append(self._entry(caller, row, "inbox", purpose, now))
            # A role counts only within the caller's party (the store matched role names only).
            # Need-to-know: a person outside a case's team sees only its party's pool.
            mine = [t for t in tasks if t.case_id in rows and _shows(caller, t, rows[t.case_id], definitions[t.case_id],
                                                                      levels[t.case_id])]  # fmt: skip
            total -= len(tasks) - len(mine)
            unit.log_access([e for e in logged if any(t.case_id == e.case_id for t in mine)])
            items = [
                task_out(t, today, persons.get(t.case_id), caller).model_copy(
                    update={"colleagues": _colleagues(rows[t.case_id].state, t.party) if t.party == party else []}
                )
                for t in mine
            ]
            unit.commit()
            return Page[TaskOut](items=items, limit=limit, page=page, total=total)

    def cases(
        self, caller: Caller, query: CaseQuery | None = None, limit: int = 20, page: int = 1, purpose: str = "cases"
    ) -> Page[CaseOut]:
        query = query or CaseQuery()
        party = access.require_party(caller)
        limit, page = paging(limit, page)
        now = self._clock()
        today = local_date(now)
        where = CaseFilter(
            party,
            members=(caller.user_id, *caller.stands_in_for) if query.scope == "mine" else None,
            statuses=_CASE_STATUSES[query.status],
            phase=query.phase,
            overdue_on=today if query.overdue else None,
            external_ref=query.external_ref,
        )
        with self._store.unit() as unit:
            rows, total = unit.cases(where, limit, (page - 1) * limit)
            items: list[CaseOut] = []
            logged: list[AccessEntry] = []
            for row in rows:
                d = self._defs.get(unit, row.definition_id, row.definition_version)
                if access.case_level(caller, row.state, d, identified=row.person_id is not None, now=now) == "none":
                    total -= 1  # a GET would answer 404: the list does not show it either
                    continue
                out, log = case_out(caller, row, row.state, d, now)
                items.append(out)
                if log:
                    logged.append(self._entry(caller, row, "cases", purpose, now))
            unit.log_access(logged)
            unit.commit()
            return Page[CaseOut](items=items, limit=limit, page=page, total=total)

    @staticmethod
    def _entry(caller: Caller, row: StoredCase, resource: str, purpose: str, now: datetime) -> AccessEntry:
        return new_access_entry(caller, now, resource=resource, purpose=purpose, case_id=row.id,
                                person_id=row.person_id)  # fmt: skip
