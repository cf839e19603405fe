"""What the service returns, and the API sends as it is: these models are the API's response
models (`response_model`), with the descriptions and examples its OpenAPI shows. The field order is
the order of the JSON keys. `ReferralIn` is the one input model shared with the API.

Personal data appears only in `PersonOut`, and only when the access rules (access.py) allow it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.config import JsonDict

T = TypeVar("T")

Gender = Literal["kvinna", "man", "annat"]


def _utc(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcDateTime = Annotated[datetime, PlainSerializer(_utc, return_type=str, when_used="json")]
"""RFC 3339 in UTC with a `Z` (DIGG's REST API profile), in JSON; a datetime in Python."""


def _examples(*examples: JsonDict) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


_PERSON_EXAMPLE: JsonDict = {"id": "p-5b4c3d2e", "personnummer": "198004262385", "name": "Alva Exempel"}


class PersonOut(Out):
    """Name and personnummer: shown only while the person's consent covers the caller's party."""

    model_config = _examples(_PERSON_EXAMPLE)

    id: str
    personnummer: str | None = Field(
        default=None, description="12 siffror, ÅÅÅÅMMDDNNNN; bara när samtycket omfattar anroparens part"
    )
    name: str | None = None


_CONSENT_EXAMPLE: JsonDict = {
    "parties": ["af", "fk", "kommun"],
    "given_on": "2026-11-20",
    "form": "skriftligt",
    "recorded_by": "sara.samordnare@kommun",
    "withdrawn_on": None,
    "active": True,
}


class ConsentOut(Out):
    model_config = _examples(_CONSENT_EXAMPLE)

    parties: list[str]
    given_on: date
    form: str
    recorded_by: str
    withdrawn_on: date | None = None
    active: bool


_TASK_EXAMPLE: JsonDict = {
    "case_id": "3f2a9c0d5e7b4a1c9d8e7f6a5b4c3d2e",
    "task_id": "bekrafta_remiss",
    "label": "Bekräfta mottagen remiss och kontakta deltagaren",
    "kind": "task",
    "phase": "aktualisering",
    "responsible": "samordnare",
    "party": "kommun",
    "status": "open",
    "due": "2026-11-27",
    "blocking": True,
    "meeting": False,
    "escalated_to": None,
    "created_on": "2026-11-20",
    "closed_on": None,
    "overdue": False,
    "person": None,
    "assignee": "anna.handlaggare@af",
    "assignee_name": "Anna Andersson",
    "priority": "normal",
    "follow_up": None,
    "on_behalf_of": None,
    "on_behalf_of_name": None,
}


class TaskOut(Out):
    model_config = _examples(_TASK_EXAMPLE)

    case_id: str = Field(description="Ärendereferens / case reference")
    task_id: str
    label: str
    kind: str
    phase: str | None
    responsible: str
    party: str
    status: str = Field(description="open | accepted | declined | completed | cancelled")
    due: date | None
    blocking: bool
    meeting: bool = False
    escalated_to: str | None = None
    created_on: date
    closed_on: date | None = None
    overdue: bool = False
    person: PersonOut | None = Field(default=None, description="Bara när samtycket omfattar anroparens part")
    assignee: str | None = Field(default=None, description="Handläggaren (användar-id) som har uppgiften")
    assignee_name: str | None = None
    priority: Literal["normal", "high"] = "normal"
    follow_up: date | None = Field(default=None, description="Påbörja senast")
    on_behalf_of: str | None = Field(
        default=None, description="Anroparen har uppgiften som ersättare för denna person (användar-id)"
    )
    on_behalf_of_name: str | None = Field(default=None, description='T.ex. "för Anna A."')
    colleagues: list[TeamMemberOut] = Field(
        default_factory=list,
        description="I listan: uppgiftspartens personer i ärendets team, som uppgiften kan lämnas till",
    )


class TeamMemberOut(Out):
    party: str
    user_id: str
    name: str
    role: str | None = None
    added_on: date


AccessLevel = Literal["full", "case", "tasks"]

_CASE_EXAMPLE: JsonDict = {
    "id": "3f2a9c0d5e7b4a1c9d8e7f6a5b4c3d2e",
    "access": "full",
    "version": 3,
    "definition_id": "finsam-insats",
    "definition_version": 1,
    "status": "active",
    "phase": "samtycke",
    "phase_label": "Samtycke",
    "anonymous": False,
    "protected_identity": False,
    "gender": "kvinna",
    "birth_year": 1990,
    "started_on": "2026-11-20",
    "closed_on": None,
    "decision": None,
    "outcome": None,
    "person": _PERSON_EXAMPLE,
    "consent": _CONSENT_EXAMPLE,
    "facts": {"sjukperiod_start": "2026-10-01"},
    "tasks": [_TASK_EXAMPLE],
    "created_at": "2026-11-20T09:14:03Z",
    "updated_at": "2026-11-20T09:20:41Z",
}


class CaseOut(Out):
    model_config = _examples(_CASE_EXAMPLE)

    id: str = Field(description="Ärendereferens / case reference")
    access: AccessLevel = Field(
        description="full: ärendet med personuppgifter; case: ärendet utan personuppgifter; "
        "tasks: bara den egna partens uppgifter (inget samtycke)"
    )
    version: int = Field(description="Ärendets version; skickas tillbaka i If-Match")
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
    team: list[TeamMemberOut] = Field(
        default_factory=list, description="Ärendets team per part (på nivå tasks bara den egna partens)"
    )
    external_references: dict[str, str] = Field(
        default_factory=dict,
        description="Parternas egna diarienummer: alla på nivå full, annars bara den egna partens",
    )
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class CaseList(Out):
    """Cases found by a person search."""

    model_config = _examples({"items": [_CASE_EXAMPLE]})

    items: list[CaseOut]


_EVENT_EXAMPLE: JsonDict = {
    "id": 1042,
    "case_id": "3f2a9c0d5e7b4a1c9d8e7f6a5b4c3d2e",
    "seq": 4,
    "type": "TaskCompleted",
    "at": "2026-11-21T08:02:11Z",
    "actor": "sara.samordnare@kommun",
    "data": {"task": "bekrafta_remiss"},
}


class EventOut(Out):
    model_config = _examples(_EVENT_EXAMPLE)

    id: int = Field(description="Globalt löpnummer (markör i händelseflödet)")
    case_id: str
    seq: int = Field(description="Löpnummer inom ärendet")
    type: str
    at: UtcDateTime
    actor: str | None = None
    data: dict[str, Any]


class EventFeed(Out):
    model_config = _examples({"items": [_EVENT_EXAMPLE], "next_cursor": 1042})

    items: list[EventOut]
    next_cursor: int = Field(description="Skicka som `after` i nästa anrop / pass as `after` next time")


class Page(Out, Generic[T]):
    """One page of a longer list (`limit` per page, `page` from 1, `total` in all)."""

    total: int
    limit: int
    page: int
    items: list[T]


_DEFINITION_EXAMPLE: JsonDict = {
    "id": "finsam-insats",
    "version": 1,
    "name": "Individuell insats (FINSAM)",
    "published": True,
    "created_at": "2026-11-20T09:00:00Z",
    "created_by": "system",
}


class DefinitionOut(Out):
    model_config = _examples(_DEFINITION_EXAMPLE)

    id: str
    version: int
    name: str
    published: bool
    created_at: UtcDateTime
    created_by: str


class DefinitionList(Out):
    model_config = _examples({"items": [_DEFINITION_EXAMPLE], "total": 1, "limit": 20, "page": 1})

    items: list[DefinitionOut]
    total: int
    limit: int
    page: int


class DefinitionDetail(DefinitionOut):
    model_config = _examples(
        {**_DEFINITION_EXAMPLE, "definition": {"id": "finsam-insats", "version": 1, "phases": ["…"]}}
    )

    yaml: str = Field(exclude=True)
    """The YAML text: sent as YAML on request (`Accept: application/yaml`), not inside the JSON."""
    definition: dict[str, Any]


class AgendaLineOut(Out):
    day: date
    who: str
    what: str


class TimelineBarOut(Out):
    lane: str = Field(description='Partens id, eller "" för ärendets faser')
    label: str
    start: date
    end: date
    due: date | None = None
    responsible: str = ""
    late: bool = False


class SimulationOut(Out):
    model_config = _examples(
        {
            "definition_id": "finsam-insats",
            "definition_version": 1,
            "commands": 31,
            "closed_on": "2027-03-02",
            "lines": [
                {"day": "2026-06-15", "who": "samordnare", "what": "Bekräfta mottagen remiss (senast 2026-06-22)"}
            ],
        }
    )

    definition_id: str
    definition_version: int
    commands: int
    closed_on: date | None
    lines: list[AgendaLineOut]
    bars: list[TimelineBarOut] = Field(default_factory=list, description="Tidslinjen: faser och uppgifter per part")


MigrationCaseStatus = Literal["migrated", "would_migrate", "unmappable", "unchanged"]


class MigrationCaseOut(Out):
    case_id: str
    status: MigrationCaseStatus
    from_phase: str
    to_phase: str | None = None
    problems: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    from_phase_label: str = ""
    to_phase_label: str | None = None
    tasks_opened: list[str] = Field(default_factory=list, description="Uppgifter som öppnas, i ord")
    tasks_closed: list[str] = Field(default_factory=list, description="Uppgifter som stängs, i ord")
    due_moved: list[str] = Field(default_factory=list, description="Förfallodagar som flyttas, i ord")


class MigrationReport(Out):
    model_config = _examples(
        {
            "definition_id": "finsam-insats",
            "from_version": 1,
            "to_version": 2,
            "dry_run": True,
            "cases": [
                {
                    "case_id": "3f2a9c",
                    "status": "would_migrate",
                    "from_phase": "kartlaggning",
                    "to_phase": "kartlaggning",
                    "problems": [],
                    "notes": [],
                }
            ],
            "migrated": 1,
            "unmappable": 0,
        }
    )

    definition_id: str
    from_version: int
    to_version: int
    dry_run: bool
    cases: list[MigrationCaseOut]
    migrated: int
    unmappable: int


class AccessLogOut(Out):
    model_config = _examples(
        {
            "id": 77,
            "at": "2026-11-21T08:02:11Z",
            "user_id": "anna.handlaggare@af",
            "caller_kind": "handlaggare",
            "party": "af",
            "person_id": "p-5b4c3d2e",
            "case_id": "3f2a9c0d5e7b4a1c9d8e7f6a5b4c3d2e",
            "resource": "case",
            "purpose": "GET /api/v1/cases/{case_id}",
        }
    )

    id: int
    at: UtcDateTime
    user_id: str
    caller_kind: str
    party: str | None
    person_id: str | None
    case_id: str | None
    resource: str
    purpose: str


class ReferralIn(BaseModel):
    """Aktualisering/remiss: en namngiven person (personnummer och namn), eller anonymt deltagande
    (kön och födelseår). Skyddade personuppgifter lagras som anonymt. The request body of
    `POST /api/v1/cases` as well as the service's input."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "definition_id": "finsam-insats",
                    "anonymous": False,
                    "personnummer": "19800426-2385",  # Skatteverket's test series: never a real person
                    "name": "Alva Exempel",
                    "gender": "kvinna",
                    "birth_year": 1980,
                    "sick_period_start": "2026-10-01",
                    "note": "Känd av FK och kommunen, behöver samordnat stöd",
                }
            ]
        },
    )

    definition_id: str = Field(default="finsam-insats", min_length=1, max_length=100, pattern=r"^[\w\-.]+$")
    anonymous: bool = Field(default=False, description="Anonymt deltagande: bara kön och födelseår lagras")
    personnummer: str | None = Field(default=None, max_length=20, description="12 siffror, med eller utan bindestreck")
    name: str | None = Field(default=None, max_length=200)
    gender: Gender | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    protected_identity: bool = Field(default=False, description="Skyddade personuppgifter: lagras som anonymt")
    sick_period_start: date | None = Field(default=None, description="Sjukperiodens första dag (rehabiliteringskedjan)")
    note: str | None = Field(default=None, max_length=2000)
