"""Gallring: personal data is removed a set time after avslut; the aggregates stay.

The rule (socialtjänst's, the default): a case's personal data goes `retention_years` (5) after the
case's *last entry* (its newest event), and must be gone by the end of the calendar year after the
one in which that time ran out (`deadline`). A nightly run removes everything that is due, so the
deadline is met with a year to spare; a dry run lists what would go and which deadlines have passed.

What a run removes from a due (closed) case:
- the link to the person (`cases.person_id`), and the `persons` row (name, personnummer) once no
  case within its retention refers to it;
- the consent records of the case;
- from every event and outbox payload, everything but the structural facts (type, time, phase,
  task, party, decision, outcome, avbrott, dates of the process): notes, comments, free-text
  reasons, recorded fact values (a sick-leave start is health data) go;
- from the case state: recorded facts, free-text reasons and the consent;
- stored idempotent responses of the case (they may hold the name).
What stays: the case row (definition, gender, birth year, status, outcome, dates), the events and
tasks with their facts, so every report gives the same figures before and after.

The access log has its own retention (`access_log_retention_years`, 5): entries older than that
go, whatever the case; younger entries stay even when their case was cleared.
Each run (dry or not) is logged in `gallring_runs`; cleared cases are listed in `gallrade_cases`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from msgspec.structs import replace
from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from engine.adapters.store.gallring_models import GallradCaseRow, GallringRunRow
from engine.adapters.store.models import (
    AccessLogRow,
    CaseRow,
    ConsentRow,
    EventRow,
    IdempotencyRow,
    OutboxRow,
    PersonRow,
)
from engine.core.decide import TZ, local_date
from engine.core.state import CaseState
from engine.service.access import Caller
from engine.service.errors import ServiceError, forbidden
from engine.service.uow import UowFactory

DEFAULT_RETENTION_YEARS = 5
DEFAULT_ACCESS_LOG_RETENTION_YEARS = 5

EVENT_FIELDS = frozenset({
    "actor", "anonymous", "avbrott", "channel", "checkpoint_on", "day", "decision", "definition", "due",
    "ends_on", "fact", "form", "given_on", "kind", "label", "last_contact_on", "on", "outcome", "parties",
    "party", "phase", "referred_by", "remaining", "started_on", "task", "to",
})  # fmt: skip
"""What an event keeps after gallring: the structure of the process, never free text or values."""
OUTBOX_FIELDS = EVENT_FIELDS | {"case_id", "type", "at", "parent", "items", "meeting", "blocking", "responsible"}
_CODE = re.compile(r"^[a-z_åäö]{1,64}$")
Progress = Callable[[int, int], None]


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def deadline_for(last_entry: date, years: int) -> date:
    """Gone by the end of the calendar year after the year in which the retention ran out."""
    return date(add_years(last_entry, years).year + 1, 12, 31)


def scrub_event_data(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k in EVENT_FIELDS}
    reason = data.get("reason")
    enumerated = isinstance(reason, str) and _CODE.match(reason) is not None
    if enumerated and (type_ == "TaskCancelled" or (type_ == "CaseClosed" and data.get("avbrott"))):
        out["reason"] = reason  # a code from the definition (avbrott_reasons), not free text
    return out


def scrub_state(state: CaseState) -> CaseState:
    s = state.clone()
    s.facts = {}
    s.consent = None
    if not (s.aborted and s.outcome_reason and _CODE.match(s.outcome_reason)):
        s.outcome_reason = None
    s.tasks = {k: replace(t, reason=None) if t.reason else t for k, t in s.tasks.items()}
    return s


class GallringCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    closed_on: date | None
    last_entry_on: date
    deadline: date
    overdue: bool
    """The deadline has passed: the case should have been cleared already."""
    identified: bool
    """The case still refers to a person (name, personnummer)."""


class GallringReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: int
    dry_run: bool
    today: date
    retention_years: int
    cutoff: date
    access_log_cutoff: date
    cases: list[GallringCase]
    persons: int
    events: int
    access_log: int


def require_gallring(caller: Caller) -> None:
    if caller.kind not in ("forbund_admin", "system"):
        raise forbidden("Gallring körs av systemet eller en administratör")


class GallringService:
    def __init__(self, uow: UowFactory, clock: Callable[[], datetime]) -> None:
        self._uow = uow
        self._clock = clock

    def due_cases(self, s: Session, cutoff: date, today: date, years: int) -> list[GallringCase]:
        """Closed cases not yet cleared whose last entry is before `cutoff`."""
        cleared = select(GallradCaseRow.case_id)
        last = (
            select(EventRow.case_id, func.max(EventRow.at).label("last_at"))
            .join(CaseRow, CaseRow.id == EventRow.case_id)
            .where(CaseRow.status == "closed", CaseRow.id.not_in(cleared))
            .group_by(EventRow.case_id)
            .subquery()
        )
        limit = datetime.combine(cutoff, time(0), TZ).astimezone(UTC)
        q = (
            select(CaseRow.id, CaseRow.closed_at, CaseRow.person_id, last.c.last_at)
            .join(last, last.c.case_id == CaseRow.id)
            .where(last.c.last_at < limit)
            .order_by(last.c.last_at, CaseRow.id)
        )
        out = []
        for case_id, closed_at, person_id, last_at in s.execute(q):
            last_on = local_date(last_at)
            deadline = deadline_for(last_on, years)
            out.append(
                GallringCase(
                    case_id=case_id,
                    closed_on=local_date(closed_at) if closed_at else None,
                    last_entry_on=last_on,
                    deadline=deadline,
                    overdue=deadline < today,
                    identified=person_id is not None,
                )
            )
        return out

    def run(
        self,
        caller: Caller,
        *,
        dry_run: bool = True,
        retention_years: int = DEFAULT_RETENTION_YEARS,
        access_log_retention_years: int = DEFAULT_ACCESS_LOG_RETENTION_YEARS,
        batch: int = 100,
        progress: Progress | None = None,
    ) -> GallringReport:
        require_gallring(caller)
        if retention_years < 1 or access_log_retention_years < 1:
            raise ServiceError("validation_error", "Gallringsfristen ska vara minst ett år", details={"field": "years"})
        started = self._clock()
        today = local_date(started)
        cutoff = add_years(today, -retention_years)
        log_cutoff = add_years(today, -access_log_retention_years)
        log_limit = datetime.combine(log_cutoff, time(0), TZ).astimezone(UTC)
        with self._uow() as uow:
            s = uow.session
            due = self.due_cases(s, cutoff, today, retention_years)
            old_log = s.scalar(select(func.count()).select_from(AccessLogRow).where(AccessLogRow.at < log_limit)) or 0
            run = GallringRunRow(
                started_at=started, run_by=caller.user_id, dry_run=dry_run, retention_years=retention_years,
                cutoff=cutoff, access_log_cutoff=log_cutoff, cases=len(due), persons=0, events=0,
                access_log=old_log, details={},
            )  # fmt: skip
            s.add(run)
            s.flush()
            run_id = run.id
            if dry_run:
                run.persons = self._persons_to_delete(s, [c.case_id for c in due])
                run.details = _details(due)
                run.finished_at = self._clock()
                uow.commit()
                return _report(run, due, today)
            uow.commit()
        persons = events = 0
        total = len(due)
        for i in range(0, total, batch):
            chunk = due[i : i + batch]
            with self._uow() as uow:
                p, e = self._clear(uow.session, chunk, run_id, started)
                uow.commit()
            persons += p
            events += e
            if progress is not None:
                progress(min(i + batch, total), total)
        with self._uow() as uow:
            s = uow.session
            deleted = s.execute(delete(AccessLogRow).where(AccessLogRow.at < log_limit))
            done = s.get(GallringRunRow, run_id)
            assert done is not None
            run = done
            run.persons, run.events = persons, events
            run.access_log = int(deleted.rowcount)  # type: ignore[attr-defined]
            run.details = _details(due)
            run.finished_at = self._clock()
            uow.commit()
            return _report(run, due, today)

    def runs(self, caller: Caller, limit: int = 20) -> list[dict[str, Any]]:
        """The run log, newest first (no personal data: case ids and counts)."""
        require_gallring(caller)
        with self._uow() as uow:
            rows = uow.session.scalars(select(GallringRunRow).order_by(GallringRunRow.id.desc()).limit(limit)).all()
            return [
                {
                    "id": r.id,
                    "started_at": r.started_at,
                    "finished_at": r.finished_at,
                    "run_by": r.run_by,
                    "dry_run": r.dry_run,
                    "retention_years": r.retention_years,
                    "cutoff": r.cutoff,
                    "cases": r.cases,
                    "persons": r.persons,
                    "events": r.events,
                    "access_log": r.access_log,
                }  # fmt: skip
                for r in rows
            ]

    # --- internals -----------------------------------------------------------------------

    def _persons_to_delete(self, s: Session, case_ids: Sequence[str]) -> int:
        if not case_ids:
            return 0
        persons = set(
            s.scalars(select(CaseRow.person_id).where(CaseRow.id.in_(case_ids), CaseRow.person_id.is_not(None)))
        )
        if not persons:
            return 0
        kept = set(
            s.scalars(select(CaseRow.person_id).where(CaseRow.person_id.in_(persons), CaseRow.id.not_in(case_ids)))
        )
        return len(persons - kept)

    def _clear(self, s: Session, chunk: Sequence[GallringCase], run_id: int, now: datetime) -> tuple[int, int]:
        ids = [c.case_id for c in chunk]
        persons = {
            pid
            for pid in s.scalars(select(CaseRow.person_id).where(CaseRow.id.in_(ids), CaseRow.person_id.is_not(None)))
            if pid is not None
        }
        changed_events = 0
        for ev in s.scalars(select(EventRow).where(EventRow.case_id.in_(ids))):
            clean = scrub_event_data(ev.type, ev.data)
            if clean != ev.data:
                ev.data = clean
                changed_events += 1
        for ob in s.scalars(select(OutboxRow).where(OutboxRow.case_id.in_(ids))):
            clean = {k: v for k, v in ob.payload.items() if k in OUTBOX_FIELDS}
            if clean != ob.payload:
                ob.payload = clean
        for case in s.scalars(select(CaseRow).where(CaseRow.id.in_(ids))):
            case.state = scrub_state(CaseState.from_json(case.state)).to_json()
            case.person_id = None
        s.execute(delete(ConsentRow).where(ConsentRow.case_id.in_(ids)))
        idem = [
            (r.caller, r.key)
            for r in s.scalars(select(IdempotencyRow))
            if isinstance(r.response, dict) and r.response.get("id") in set(ids)
        ]
        for caller_id, key in idem:
            s.execute(delete(IdempotencyRow).where(IdempotencyRow.caller == caller_id, IdempotencyRow.key == key))
        s.flush()
        deleted_persons = 0
        if persons:
            still = set(s.scalars(select(CaseRow.person_id).where(CaseRow.person_id.in_(persons))))
            gone = persons - still
            if gone:
                deleted_persons = int(
                    s.execute(delete(PersonRow).where(PersonRow.id.in_(gone))).rowcount  # type: ignore[attr-defined]
                )
        for c in chunk:
            s.add(
                GallradCaseRow(
                    case_id=c.case_id, run_id=run_id, last_entry_on=c.last_entry_on, deadline=c.deadline, purged_at=now
                )
            )
        s.execute(
            update(CaseRow)
            .where(CaseRow.id.in_(ids))
            .values(updated_at=now, version=CaseRow.version + 1)  # a changed case: a new ETag (and see RecentCases)
            .execution_options(synchronize_session=False)
        )
        return deleted_persons, changed_events


def _details(due: Sequence[GallringCase]) -> dict[str, Any]:
    return {
        "cases": [c.case_id for c in due],
        "overdue": [c.case_id for c in due if c.overdue],
    }


def _report(run: GallringRunRow, due: list[GallringCase], today: date) -> GallringReport:
    return GallringReport(
        run_id=run.id,
        dry_run=run.dry_run,
        today=today,
        retention_years=run.retention_years,
        cutoff=run.cutoff,
        access_log_cutoff=run.access_log_cutoff,
        cases=due,
        persons=run.persons,
        events=run.events,
        access_log=run.access_log,
    )
