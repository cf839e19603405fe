"""Events: facts in past tense, the case history. Never edited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.core.state import CaseState, Timer


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    notify: tuple[str, ...] = ()
    """Roles or parties that should hear of this event (the outbox turns these into messages)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything a command changed: the new state, what happened, and the timers to (re)set and cancel."""

    state: CaseState
    events: list[Event]
    set_timers: list[Timer]
    cancel_timers: list[str]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A command the rules do not allow. `code` is stable and names the rule."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


EVENT_TYPES = (
    "CaseReferred",
    "ConsentRecorded",
    "ConsentWithdrawn",
    "ConsentEnded",
    "ParticipationDecided",
    "PhaseEntered",
    "PhaseLeft",
    "PhaseExtended",
    "PhaseMaxLengthReached",
    "TaskCreated",
    "TaskAccepted",
    "TaskDeclined",
    "TaskCompleted",
    "TaskCommented",
    "TaskCancelled",
    "TaskDueChanged",
    "ReminderDue",
    "DeadlineMissed",
    "TaskEscalated",
    "ContactRecorded",
    "FactRecorded",
    "NoContactAlert",
    "MaxTimeReached",
    "RehabCheckpointWarning",
    "RehabCheckpointReached",
    "CaseClosed",
    "CaseMigrated",
    "ProtectedIdentitySet",
    "TeamMemberAdded",
    "TeamMemberRemoved",
    "CaseHandedOver",
    "TaskAssigned",
    "TaskUnassigned",
    "TaskPriorityChanged",
    "TaskFollowUpChanged",
    "ExternalReferenceSet",
    "EmergencyAccessGranted",
)
