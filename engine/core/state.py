"""A case's state: plain data that round-trips through JSON without loss.

The state records the definition version it runs on (spec apart from instance, as in
SpiffWorkflow); `decide()` never mutates a state it is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

OPEN_STATUSES = frozenset({"open", "accepted"})


@dataclass(frozen=True, slots=True)
class Consent:
    parties: tuple[str, ...]
    given_on: date
    form: str
    recorded_by: str
    withdrawn_on: date | None = None

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None and bool(self.parties)

    def covers(self, party: str) -> bool:
        return self.active and party in self.parties


@dataclass(frozen=True, slots=True)
class TaskState:
    id: str
    spec: str | None
    kind: str  # task, follow_up, midpoint_review, rehab_checkpoint
    label: str
    phase: str | None  # None: belongs to the case, not to a phase visit
    responsible: str
    party: str
    status: str  # open, accepted, declined, completed, cancelled
    created_on: date
    due: date | None
    blocking: bool
    closed_on: date | None = None
    reason: str | None = None
    escalated_to: str | None = None
    meeting: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class Timer:
    id: str
    at: datetime
    kind: str
    ref: str | None = None


@dataclass(slots=True)
class CaseState:
    case_id: str
    definition_id: str
    definition_version: int
    status: str  # active, closed
    phase: str
    phase_entered_on: date
    started_on: date
    anonymous: bool = False
    referred_by: str | None = None
    phase_ends_on: date | None = None
    phase_visits: list[tuple[str, date]] = field(default_factory=list)
    consent: Consent | None = None
    decision: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, TaskState] = field(default_factory=dict)
    timers: dict[str, Timer] = field(default_factory=dict)
    last_contact_on: date | None = None
    follow_ups: int = 0
    global_timers_started: tuple[str, ...] = ()
    outcome: str | None = None
    outcome_reason: str | None = None
    aborted: bool = False
    closed_on: date | None = None

    def clone(self) -> CaseState:
        """A copy whose containers can be changed without touching this state."""
        return CaseState(
            case_id=self.case_id,
            definition_id=self.definition_id,
            definition_version=self.definition_version,
            status=self.status,
            phase=self.phase,
            phase_entered_on=self.phase_entered_on,
            started_on=self.started_on,
            anonymous=self.anonymous,
            referred_by=self.referred_by,
            phase_ends_on=self.phase_ends_on,
            phase_visits=list(self.phase_visits),
            consent=self.consent,
            decision=self.decision,
            facts=dict(self.facts),
            tasks=dict(self.tasks),
            timers=dict(self.timers),
            last_contact_on=self.last_contact_on,
            follow_ups=self.follow_ups,
            global_timers_started=self.global_timers_started,
            outcome=self.outcome,
            outcome_reason=self.outcome_reason,
            aborted=self.aborted,
            closed_on=self.closed_on,
        )

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    def open_tasks(self) -> list[TaskState]:
        return [t for t in self.tasks.values() if t.is_open]

    # --- serialisation -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "definition_id": self.definition_id,
            "definition_version": self.definition_version,
            "status": self.status,
            "phase": self.phase,
            "phase_entered_on": self.phase_entered_on.isoformat(),
            "started_on": self.started_on.isoformat(),
            "anonymous": self.anonymous,
            "referred_by": self.referred_by,
            "phase_ends_on": _d(self.phase_ends_on),
            "phase_visits": [[p, d.isoformat()] for p, d in self.phase_visits],
            "consent": None
            if self.consent is None
            else {
                "parties": list(self.consent.parties),
                "given_on": self.consent.given_on.isoformat(),
                "form": self.consent.form,
                "recorded_by": self.consent.recorded_by,
                "withdrawn_on": _d(self.consent.withdrawn_on),
            },
            "decision": self.decision,
            "facts": {k: _fact_out(v) for k, v in self.facts.items()},
            "tasks": [
                [
                    t.id,
                    t.spec,
                    t.kind,
                    t.label,
                    t.phase,
                    t.responsible,
                    t.party,
                    t.status,
                    t.created_on.isoformat(),
                    _d(t.due),
                    t.blocking,
                    _d(t.closed_on),
                    t.reason,
                    t.escalated_to,
                    t.meeting,
                ]
                for t in self.tasks.values()
            ],
            "timers": [[t.id, t.at.isoformat(), t.kind, t.ref] for t in self.timers.values()],
            "last_contact_on": _d(self.last_contact_on),
            "follow_ups": self.follow_ups,
            "global_timers_started": list(self.global_timers_started),
            "outcome": self.outcome,
            "outcome_reason": self.outcome_reason,
            "aborted": self.aborted,
            "closed_on": _d(self.closed_on),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CaseState:
        c = d["consent"]
        return cls(
            case_id=d["case_id"],
            definition_id=d["definition_id"],
            definition_version=d["definition_version"],
            status=d["status"],
            phase=d["phase"],
            phase_entered_on=date.fromisoformat(d["phase_entered_on"]),
            started_on=date.fromisoformat(d["started_on"]),
            anonymous=d["anonymous"],
            referred_by=d["referred_by"],
            phase_ends_on=_pd(d["phase_ends_on"]),
            phase_visits=[(p, date.fromisoformat(v)) for p, v in d["phase_visits"]],
            consent=None
            if c is None
            else Consent(
                parties=tuple(c["parties"]),
                given_on=date.fromisoformat(c["given_on"]),
                form=c["form"],
                recorded_by=c["recorded_by"],
                withdrawn_on=_pd(c["withdrawn_on"]),
            ),
            decision=d["decision"],
            facts={k: _fact_in(v) for k, v in d["facts"].items()},
            tasks={
                t[0]: TaskState(
                    t[0],
                    t[1],
                    t[2],
                    t[3],
                    t[4],
                    t[5],
                    t[6],
                    t[7],
                    date.fromisoformat(t[8]),
                    _pd(t[9]),
                    t[10],
                    _pd(t[11]),
                    t[12],
                    t[13],
                    t[14],
                )
                for t in d["tasks"]
            },
            timers={t[0]: Timer(t[0], datetime.fromisoformat(t[1]), t[2], t[3]) for t in d["timers"]},
            last_contact_on=_pd(d["last_contact_on"]),
            follow_ups=d["follow_ups"],
            global_timers_started=tuple(d["global_timers_started"]),
            outcome=d["outcome"],
            outcome_reason=d["outcome_reason"],
            aborted=d["aborted"],
            closed_on=_pd(d["closed_on"]),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> CaseState:
        return cls.from_dict(json.loads(text))


def _d(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _pd(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _fact_out(value: Any) -> Any:
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return value


def _fact_in(value: Any) -> Any:
    if isinstance(value, dict) and "date" in value:
        return date.fromisoformat(value["date"])
    return value
