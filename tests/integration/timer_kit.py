"""Many cases with due timers, fast: one case made through the service, then copied row by row.

Only for volume tests and the sweep benchmark, where making 10,000 cases through commands would
take minutes. Every copy is the template case with its own id (in the row and in the state).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import insert, select

from engine.adapters.store.models import CaseRow, TaskRow, TimerRow
from engine.bootstrap import Services
from engine.service.views import ReferralIn


def template_case(svc: Services) -> str:
    from tests.integration.service_kit import AF_HANDLAGGARE

    out = svc.cases.refer(AF_HANDLAGGARE, ReferralIn(anonymous=True, gender="kvinna", birth_year=1985,
                                                      sick_period_start=None))
    return out.id


def clone_cases(svc: Services, template_id: str, n: int, prefix: str = "k") -> list[str]:
    with svc.uow() as uow:
        s = uow.session
        case = s.get(CaseRow, template_id)
        assert case is not None
        timers = list(s.scalars(select(TimerRow).where(TimerRow.case_id == template_id)))
        tasks = list(s.scalars(select(TaskRow).where(TaskRow.case_id == template_id)))
        base = {col.key: getattr(case, col.key) for col in CaseRow.__table__.columns}
        ids = [f"{prefix}{i:08d}" for i in range(n)]
        case_rows: list[dict[str, Any]] = []
        timer_rows: list[dict[str, Any]] = []
        task_rows: list[dict[str, Any]] = []
        for cid in ids:
            case_rows.append({**base, "id": cid, "state": case.state.replace(template_id, cid)})
            for t in timers:
                timer_rows.append({"case_id": cid, "timer_id": t.timer_id, "due_at": t.due_at, "kind": t.kind,
                                   "ref": t.ref, "claimed_until": None})
            for k in tasks:
                task_rows.append({**{c.key: getattr(k, c.key) for c in TaskRow.__table__.columns}, "case_id": cid})
        for start in range(0, n, 2000):
            s.execute(insert(CaseRow), case_rows[start : start + 2000])
        per = max(1, len(timers))
        for start in range(0, len(timer_rows), 2000 * per):
            s.execute(insert(TimerRow), timer_rows[start : start + 2000 * per])
        for start in range(0, len(task_rows), 5000):
            s.execute(insert(TaskRow), task_rows[start : start + 5000])
        uow.commit()
    return ids


def local_day(svc: Services) -> date:
    from engine.core.decide import local_date

    return local_date(svc.clock())
