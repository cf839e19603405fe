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

from engine.core.decide import TZ, local_date
from engine.core.state import CaseState
from engine.service.access import Caller
from engine.service.changes import restated
from engine.service.errors import ServiceError, forbidden
from engine.service.ports import ClearedCase, GallringStore, GallringUnit

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
    def __init__(self, store: GallringStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def due_cases(self, unit: GallringUnit, cutoff: date, today: date, years: int) -> list[GallringCase]:
        """Closed cases not yet cleared whose last entry is before `cutoff`."""
        out = []
        for case in unit.closed_cases_before(datetime.combine(cutoff, time(0), TZ).astimezone(UTC)):
            last_on = local_date(case.last_at)
            deadline = deadline_for(last_on, years)
            out.append(
                GallringCase(
                    case_id=case.case_id,
                    closed_on=local_date(case.closed_at) if case.closed_at else None,
                    last_entry_on=last_on,
                    deadline=deadline,
                    overdue=deadline < today,
                    identified=case.person_id is not None,
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
        with self._store.unit() as unit:
            due = self.due_cases(unit, cutoff, today, retention_years)
            run: dict[str, Any] = {
                "started_at": started, "run_by": caller.user_id, "dry_run": dry_run,
                "retention_years": retention_years, "cutoff": cutoff, "access_log_cutoff": log_cutoff,
                "cases": len(due), "persons": 0, "events": 0, "access_log": unit.access_log_before(log_limit),
                "details": {},
            }  # fmt: skip
            run_id = unit.start_run(run)
            if dry_run:
                run.update(persons=len(unit.persons_only_in([c.case_id for c in due])), details=_details(due),
                           finished_at=self._clock())  # fmt: skip
                unit.finish_run(run_id, run)
                unit.commit()
                return _report(run_id, run, due, today)
            unit.commit()
        persons = events = 0
        total = len(due)
        for i in range(0, total, batch):
            chunk = due[i : i + batch]
            with self._store.unit() as unit:
                p, e = self._clear(unit, chunk, run_id, started, caller.user_id)
                unit.commit()
            persons += p
            events += e
            if progress is not None:
                progress(min(i + batch, total), total)
        with self._store.unit() as unit:
            run.update(persons=persons, events=events, access_log=unit.delete_access_log_before(log_limit),
                       details=_details(due), finished_at=self._clock())  # fmt: skip
            unit.finish_run(run_id, run)
            unit.commit()
            return _report(run_id, run, due, today)

    def runs(self, caller: Caller, limit: int = 20) -> list[dict[str, Any]]:
        """The run log, newest first (no personal data: case ids and counts)."""
        require_gallring(caller)
        with self._store.unit() as unit:
            return unit.runs(limit)

    # --- internals -----------------------------------------------------------------------

    def _clear(
        self, unit: GallringUnit, chunk: Sequence[GallringCase], run_id: int, now: datetime, actor: str
    ) -> tuple[int, int]:
        """One chunk: the history redacted, and each case row (state scrubbed, person unlinked, one
        version up) through the store's one writer; then the persons no case refers to any more."""
        ids = [c.case_id for c in chunk]
        cases = unit.lock_cases(ids)  # no command changes them until this commits
        persons = unit.persons_only_in(ids)
        changed_events = unit.redact_history(ids, scrub_event_data, _scrub_payload)
        scrubbed = [restated(case, scrub_state(case.state), now, actor, person_id=None, person=None)
                    for case in cases.values()]  # fmt: skip
        unit.append(scrubbed)
        deleted_persons = unit.delete_persons(persons)
        unit.record_cleared(run_id, [ClearedCase(c.case_id, c.last_entry_on, c.deadline) for c in chunk], now)
        return deleted_persons, changed_events


def _scrub_payload(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k in OUTBOX_FIELDS}


def _details(due: Sequence[GallringCase]) -> dict[str, Any]:
    return {
        "cases": [c.case_id for c in due],
        "overdue": [c.case_id for c in due if c.overdue],
    }


def _report(run_id: int, run: dict[str, Any], due: list[GallringCase], today: date) -> GallringReport:
    return GallringReport(
        run_id=run_id,
        dry_run=run["dry_run"],
        today=today,
        retention_years=run["retention_years"],
        cutoff=run["cutoff"],
        access_log_cutoff=run["access_log_cutoff"],
        cases=due,
        persons=run["persons"],
        events=run["events"],
        access_log=run["access_log"],
    )
