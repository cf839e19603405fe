"""What the service returns: pydantic models the API can use as response schemas as they are.

Personal data appears only in `PersonOut`, and only when the access rules (access.py) allow it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

Gender = Literal["kvinna", "man", "annat"]


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class PersonOut(Out):
    """Name and personnummer: shown only while the person's consent covers the caller's party."""

    id: str
    personnummer: str | None = Field(default=None, description="12 siffror, ÅÅÅÅMMDDNNNN")
    name: str | None = None


class ConsentOut(Out):
    parties: list[str]
    given_on: date
    form: str
    recorded_by: str
    withdrawn_on: date | None = None
    active: bool


class TaskOut(Out):
    case_id: str = Field(description="Ärendereferens")
    task_id: str
    label: str
    kind: str
    phase: str | None
    responsible: str
    party: str
    status: str
    due: date | None
    blocking: bool
    meeting: bool = False
    escalated_to: str | None = None
    created_on: date
    closed_on: date | None = None
    overdue: bool = False
    person: PersonOut | None = None


AccessLevel = Literal["full", "case", "tasks"]


class CaseOut(Out):
    id: str = Field(description="Ärendereferens")
    access: AccessLevel = Field(
        description="full: ärendet med personuppgifter; case: ärendet utan personuppgifter; "
        "tasks: bara den egna partens uppgifter (inget samtycke)"
    )
    version: int = Field(description="Ärendets version, för If-Match/ETag")
    definition_id: str
    definition_version: int
    status: str | None = None
    phase: str | None = None
    phase_label: str | None = None
    anonymous: bool = False
    protected_identity: bool = False
    gender: str | None = None
    birth_year: int | None = None
    started_on: date | None = None
    closed_on: date | None = None
    decision: str | None = None
    outcome: str | None = None
    person: PersonOut | None = None
    consent: ConsentOut | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    tasks: list[TaskOut] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class EventOut(Out):
    id: int = Field(description="Global löpnummer (markör i händelseflödet)")
    case_id: str
    seq: int = Field(description="Löpnummer inom ärendet")
    type: str
    at: datetime
    data: dict[str, Any]
    actor: str | None = None


class Page(Out, Generic[T]):
    items: list[T]
    limit: int
    page: int
    total: int


class DefinitionOut(Out):
    id: str
    version: int
    name: str
    published: bool
    created_at: datetime
    created_by: str


class DefinitionDetail(DefinitionOut):
    yaml: str
    definition: dict[str, Any]


class AgendaLineOut(Out):
    day: date
    who: str
    what: str


class SimulationOut(Out):
    definition_id: str
    definition_version: int
    commands: int
    closed_on: date | None
    lines: list[AgendaLineOut]


MigrationCaseStatus = Literal["migrated", "would_migrate", "unmappable", "unchanged"]


class MigrationCaseOut(Out):
    case_id: str
    status: MigrationCaseStatus
    from_phase: str
    to_phase: str | None = None
    problems: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class MigrationReport(Out):
    definition_id: str
    from_version: int
    to_version: int
    dry_run: bool
    cases: list[MigrationCaseOut]
    migrated: int
    unmappable: int


class AccessLogOut(Out):
    id: int
    at: datetime
    user_id: str
    caller_kind: str
    party: str | None
    person_id: str | None
    case_id: str | None
    resource: str
    purpose: str


class ReferralIn(BaseModel):
    """A referral. Named: personnummer (and name). Anonymous or protected: gender and birth year only."""

    model_config = ConfigDict(extra="forbid")

    definition_id: str = "finsam-insats"
    anonymous: bool = False
    personnummer: str | None = None
    name: str | None = Field(default=None, max_length=200)
    gender: Gender | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    protected_identity: bool = False
    sick_period_start: date | None = None
    note: str | None = Field(default=None, max_length=2000)
