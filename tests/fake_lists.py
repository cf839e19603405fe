"""The lists' queries on the fakes' rows (tests/fakes.py): the same rows, filters and order as
engine/adapters/store/list_queries.py, which tests/integration/test_list_queries.py checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from engine.service.ports import CaseFilter, StoredCase, TaskFilter, TaskRecord


def task_matches(t: TaskRecord, where: TaskFilter) -> bool:
    if where.assignees is not None:
        mine = t.assignee in where.assignees
    else:
        mine = t.party == where.party or t.responsible in where.roles or t.escalated_to in where.roles
    return (
        mine
        and (not where.unassigned or (t.party == where.party and t.assignee is None))
        and (where.responsible is None or t.responsible in where.responsible)
        and (where.statuses is None or t.status in where.statuses)
        and (where.due_before is None or (t.due is not None and t.due < where.due_before))
        and (where.due_from is None or (t.due is not None and t.due >= where.due_from))
        and (where.due_to is None or (t.due is not None and t.due <= where.due_to))
        and (where.case_id is None or t.case_id == where.case_id)
        and (where.phase is None or t.phase == where.phase)
        and (where.priority is None or t.priority == where.priority)
    )


def _day(d: date | None, descending: bool = False) -> tuple[bool, int]:
    """No day last; days ascending (or descending)."""
    if d is None:
        return (True, 0)
    return (False, -d.toordinal() if descending else d.toordinal())


def task_key(t: TaskRecord, sort: str) -> tuple[Any, ...]:
    due = _day(t.due, descending=sort == "-due")
    lead: tuple[Any, ...] = ()
    if sort == "priority":
        lead = (0 if t.priority == "high" else 1,)
    elif sort == "follow_up":
        lead = (t.follow_up is None, t.follow_up.toordinal() if t.follow_up else 0)
    elif sort == "created":
        lead = (-t.created_on.toordinal(),)
    return (*lead, *due, t.case_id, t.task_id)


def task_page(rows: Iterable[TaskRecord], where: TaskFilter, limit: int, offset: int) -> tuple[list[TaskRecord], int]:
    found = sorted((t for t in rows if task_matches(t, where)), key=lambda t: task_key(t, where.sort))
    return found[offset : offset + limit], len(found)


def case_matches(c: StoredCase, where: CaseFilter) -> bool:
    team = c.state.team
    if where.members is not None:
        seen = any(m.user_id in where.members for members in team.values() for m in members)
    else:
        seen = (
            c.referred_by == where.party
            or bool(team.get(where.party))
            or any(t.party == where.party for t in c.state.tasks.values())
        )
    overdue = where.overdue_on is None or any(
        t.is_open and t.due is not None and t.due < where.overdue_on for t in c.state.tasks.values()
    )
    return (
        seen
        and overdue
        and (where.statuses is None or c.status in where.statuses)
        and (where.phase is None or c.phase == where.phase)
        and (where.external_ref is None or c.state.external_refs.get(where.party) == where.external_ref)
    )


def case_ids(rows: Iterable[StoredCase], where: CaseFilter, limit: int, offset: int) -> tuple[list[str], int]:
    found = sorted((c for c in rows if case_matches(c, where)), key=lambda c: (-c.updated_at.timestamp(), c.id))
    return [c.id for c in found[offset : offset + limit]], len(found)
