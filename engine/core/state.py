"""A case's state: plain data that round-trips through JSON without loss.

The state records the definition version it runs on (spec apart from instance, as in
SpiffWorkflow); `decide()` never mutates a state it is given.

The state types are msgspec Structs: msgspec writes them as JSON and decodes the JSON straight
back into them, typed and checked, in C. Every command loads a case and saves it again, and this
is what keeps that cheap without caches. The JSON carries its format version (`"format": 3`,
msgspec's tag field); a document of an older format is upgraded by `state_format.upgrade`
before it is decoded, and `to_json()` always writes the newest format.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from engine.core.state_format import FORMAT, format_of, upgrade

OPEN_STATUSES = frozenset({"open", "accepted"})


class Consent(msgspec.Struct, frozen=True):
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


class TaskState(msgspec.Struct, frozen=True):
    """A request to a party. Frozen: a change is a new task (`msgspec.structs.replace`), so a
    state copied for a command shares its unchanged tasks with the state it came from."""

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
    assignee: str | None = None
    """The team member (user id) the task is assigned to; always a current member of `party`."""
    assignee_name: str | None = None
    priority: str = "normal"  # normal, high
    follow_up: date | None = None
    """"Påbörja senast": the day work on the task should have started."""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Member(msgspec.Struct, frozen=True):
    """A person on a case's team for one party."""

    user_id: str
    name: str
    role: str | None
    added_on: date


class EmergencyGrant(msgspec.Struct, frozen=True):
    """Nödåtkomst: a person outside the team sees the case until `until`, for a typed reason."""

    user_id: str
    party: str | None
    reason: str
    granted_at: datetime
    until: datetime


class Timer(msgspec.Struct, frozen=True):
    id: str
    at: datetime
    kind: str
    ref: str | None = None


class DateFact(msgspec.Struct, frozen=True):
    """How a date fact is written: `{"date": "2026-01-12"}`. A text fact may hold an ISO date
    as text, so a date needs a mark of its own to come back as a date."""

    date: date


class CaseState(msgspec.Struct, tag_field="format", tag=FORMAT):
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
    phase_visits: list[tuple[str, date]] = msgspec.field(default_factory=list)
    consent: Consent | None = None
    decision: str | None = None
    facts: dict[str, Any] = msgspec.field(default_factory=dict)
    """Fact id → value: a date, text, bool or number (the definition says which)."""
    tasks: dict[str, TaskState] = msgspec.field(default_factory=dict)
    timers: dict[str, Timer] = msgspec.field(default_factory=dict)
    last_contact_on: date | None = None
    follow_ups: int = 0
    global_timers_started: tuple[str, ...] = ()
    outcome: str | None = None
    outcome_reason: str | None = None
    aborted: bool = False
    closed_on: date | None = None
    team: dict[str, tuple[Member, ...]] = msgspec.field(default_factory=dict)
    """Party → the people working on the case for it, in the order they joined."""
    external_refs: dict[str, str] = msgspec.field(default_factory=dict)
    """Party → its own reference for the case (diarienummer)."""
    emergency: tuple[EmergencyGrant, ...] = ()

    def clone(self) -> CaseState:
        """A copy whose containers can be changed without touching this state (the tasks,
        timers and consent themselves are frozen, so they are shared)."""
        return msgspec.structs.replace(
            self,
            phase_visits=list(self.phase_visits),
            facts=dict(self.facts),
            tasks=dict(self.tasks),
            timers=dict(self.timers),
            team=dict(self.team),
            external_refs=dict(self.external_refs),
        )

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    def open_tasks(self) -> list[TaskState]:
        return [t for t in self.tasks.values() if t.is_open]

    def member(self, party: str, user_id: str) -> Member | None:
        """`user_id` on the team for `party`, if they are."""
        return next((m for m in self.team.get(party, ()) if m.user_id == user_id), None)

    # --- serialisation -------------------------------------------------------------------

    def to_json(self) -> str:
        """The state as JSON in the newest format."""
        return _ENCODER.encode(self._written()).decode()

    def to_dict(self) -> dict[str, Any]:
        """The document `to_json` writes, as JSON's Python values (lists, dicts, texts, numbers)."""
        document: dict[str, Any] = msgspec.json.decode(self.to_json())
        return document

    def _written(self) -> CaseState:
        """This state with its date facts marked (`DateFact`), as it is written."""
        if not any(isinstance(v, date) for v in self.facts.values()):
            return self
        facts = {k: DateFact(v) if isinstance(v, date) else v for k, v in self.facts.items()}
        return msgspec.structs.replace(self, facts=facts)

    @classmethod
    def from_json(cls, text: str | bytes) -> CaseState:
        """A state from its JSON, of this format or an older one."""
        try:
            state = _DECODER.decode(text)
        except msgspec.ValidationError:
            # Not a state of this format. Its "format" says which it is (none: format 1); a
            # document that claims this format is simply invalid.
            document = msgspec.json.decode(text)
            if not isinstance(document, dict) or format_of(document) == FORMAT:
                raise
            state = msgspec.convert(upgrade(document), cls)
        return state._read()

    def _read(self) -> CaseState:
        """Turns the marked date facts read from JSON back into dates."""
        facts = self.facts
        if any(isinstance(v, dict) for v in facts.values()):
            self.facts = {k: _fact_value(v) for k, v in facts.items()}
        return self


def _fact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return msgspec.convert(value, DateFact).date
    return value


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(CaseState)
