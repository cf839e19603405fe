"""The store's queries of the lists people work from (`CaseUnit.tasks`, `CaseUnit.cases`), on one
Core connection. Each list starts from an index: a person's tasks from `ix_tasks_assignee_status_due`,
a party's from `ix_tasks_party_status_due`, a person's cases from `ix_case_members_user_id_case_id`,
an external reference from `ix_case_refs_party_reference` (`bench/read_bench.py` shows the plans)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Table, and_, case, exists, func, or_, select

from engine.adapters.store.team_models import CaseMemberRow, CaseRefRow
from engine.adapters.store.writer import CASES, TASKS
from engine.core.state import OPEN_STATUSES
from engine.service.ports import CaseFilter, TaskFilter

MEMBERS = cast(Table, CaseMemberRow.__table__)
REFS = cast(Table, CaseRefRow.__table__)
_OPEN = tuple(sorted(OPEN_STATUSES))


def task_clauses(where: TaskFilter) -> list[Any]:
    if where.assignees is not None:
        clauses: list[Any] = [TASKS.c.assignee.in_(where.assignees)]
    else:
        mine = [TASKS.c.party == where.party]
        if where.roles:
            mine += [TASKS.c.responsible.in_(where.roles), TASKS.c.escalated_to.in_(where.roles)]
        clauses = [or_(*mine)]
    if where.unassigned:
        clauses += [TASKS.c.party == where.party, TASKS.c.assignee.is_(None)]
    if where.responsible is not None:
        clauses.append(TASKS.c.responsible.in_(where.responsible))
    if where.statuses is not None:
        clauses.append(TASKS.c.status.in_(where.statuses))
    if where.due_before is not None:
        clauses.append(TASKS.c.due < where.due_before)
    if where.due_from is not None:
        clauses.append(TASKS.c.due >= where.due_from)
    if where.due_to is not None:
        clauses.append(TASKS.c.due <= where.due_to)
    if where.case_id is not None:
        clauses.append(TASKS.c.case_id == where.case_id)
    if where.phase is not None:
        clauses.append(TASKS.c.phase == where.phase)
    if where.priority is not None:
        clauses.append(TASKS.c.priority == where.priority)
    return clauses


def task_order(sort: str) -> list[Any]:
    """By due day (no day last), then the key: the order of `ix_tasks_open_party_due`, so a party's
    open tasks are read from it in order; the other sorts sort the rows that match."""
    by_due: list[Any] = [TASKS.c.due.asc().nulls_last()]
    if sort == "-due":
        by_due = [TASKS.c.due.desc().nulls_last()]
    elif sort == "priority":
        by_due = [case((TASKS.c.priority == "high", 0), else_=1), *by_due]
    elif sort == "follow_up":
        by_due = [TASKS.c.follow_up.is_(None), TASKS.c.follow_up, *by_due]
    elif sort == "created":
        by_due = [TASKS.c.created_on.desc(), *by_due]
    return [*by_due, TASKS.c.case_id, TASKS.c.task_id]


def tasks(conn: Connection, where: TaskFilter, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    clauses = task_clauses(where)
    total = conn.execute(select(func.count()).select_from(TASKS).where(*clauses)).scalar()
    q = select(TASKS).where(*clauses).order_by(*task_order(where.sort)).limit(limit).offset(offset)
    return [dict(r) for r in conn.execute(q).mappings()], int(total or 0)


def case_clauses(where: CaseFilter, postgresql: bool = False) -> list[Any]:
    cid = CASES.c.id
    if where.members is not None:
        team = select(MEMBERS.c.case_id).where(MEMBERS.c.user_id.in_(where.members))
        # PostgreSQL: `id = ANY(ARRAY(team))`, the team's cases first and then each by its key (an
        # `IN (team)` it may plan as a scan of every case in the phase, which grows with the cases)
        mine = cid == func.any(func.array(team.scalar_subquery())) if postgresql else cid.in_(team.scalar_subquery())
        clauses: list[Any] = [mine]
    else:
        party = where.party
        seen = [
            exists().where(TASKS.c.case_id == cid, TASKS.c.party == party),
            exists().where(MEMBERS.c.case_id == cid, MEMBERS.c.party == party),
            CASES.c.referred_by == party,
        ]
        clauses = [or_(*seen)]
    if where.statuses is not None:
        clauses.append(CASES.c.status.in_(where.statuses))
    if where.phase is not None:
        clauses.append(CASES.c.phase == where.phase)
    if where.overdue_on is not None:
        clauses.append(
            exists().where(TASKS.c.case_id == cid, TASKS.c.status.in_(_OPEN), TASKS.c.due < where.overdue_on)
        )
    if where.external_ref is not None:
        ref = select(REFS.c.case_id).where(REFS.c.party == where.party, REFS.c.reference == where.external_ref)
        clauses.append(cid.in_(ref.scalar_subquery()))
    return clauses


def case_order() -> list[Any]:
    return [CASES.c.updated_at.desc(), CASES.c.id]


def case_ids(conn: Connection, where: CaseFilter, limit: int, offset: int) -> tuple[list[str], int]:
    """The page's case ids, newest change first, and the total."""
    clauses = case_clauses(where, conn.dialect.name == "postgresql")
    total = conn.execute(select(func.count()).select_from(CASES).where(*clauses)).scalar()
    q = select(CASES.c.id).where(and_(*clauses)).order_by(*case_order())
    ids = [r[0] for r in conn.execute(q.limit(limit).offset(offset))]
    return ids, int(total or 0)
