"""Request and response bodies (`*Create` in, `*Public` out). snake_case, dates RFC 3339 UTC.

Every model carries an example (`json_schema_extra`), shown in the OpenAPI documentation.
Validation that needs the domain (personnummer, facts, phases, outcomes) happens in the service
and comes back as 422 problem+json naming the field; here we check shapes, enums and lengths.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator
from pydantic.config import JsonDict

Party = Literal["af", "fk", "kommun", "region"]
Gender = Literal["kvinna", "man", "annat"]
Decision = Literal["admitted", "not_admitted", "on_hold"]
TaskFilter = Literal["open", "overdue", "due_this_week", "all"]


def _utc(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcDateTime = Annotated[datetime, PlainSerializer(_utc, return_type=str, when_used="json")]
Text = Annotated[str, Field(max_length=2000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Ident = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w\-.]+$")]


def _example(**example: Any) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- requests ---------------------------------------------------------------------------------


class CaseCreate(BaseModel):
    """Aktualisering/remiss: en namngiven person, eller anonymt deltagande (kön och födelseår)."""

    model_config = _example(
        definition_id="finsam-insats",
        anonymous=False,
        personnummer="19800426-2385",  # Skatteverket's test series: never a real person
        name="Alva Exempel",
        gender="kvinna",
        birth_year=1980,
        sick_period_start="2026-10-01",
        note="Känd av FK och kommunen, behöver samordnat stöd",
    )

    definition_id: Ident = "finsam-insats"
    anonymous: bool = Field(False, description="Anonymt deltagande: bara kön och födelseår lagras")
    personnummer: str | None = Field(None, max_length=20, description="12 siffror, med eller utan bindestreck")
    name: str | None = Field(None, max_length=200)
    gender: Gender | None = None
    birth_year: int | None = Field(None, ge=1900, le=2100)
    protected_identity: bool = Field(False, description="Skyddade personuppgifter: lagras som anonymt")
    sick_period_start: date | None = Field(None, description="Sjukperiodens första dag (rehabiliteringskedjan)")
    note: Text | None = None


class ConsentCreate(BaseModel):
    """Samtycke: vilka parter det omfattar, när och hur det gavs."""

    model_config = _example(parties=["af", "fk", "kommun", "region"], given_on="2026-11-20", form="skriftligt")

    parties: list[Party] = Field(min_length=1, max_length=4)
    given_on: date
    form: ShortText = "skriftligt"


class ConsentWithdraw(BaseModel):
    """Återkallat samtycke; utan `parties` återkallas hela samtycket."""

    model_config = _example(parties=["af"], reason="Deltagaren återkallade muntligt")

    parties: list[Party] | None = Field(None, min_length=1, max_length=4)
    reason: Text | None = None


class DecisionCreate(BaseModel):
    model_config = _example(decision="admitted", note="Beslut i samverkansteamet")

    decision: Decision
    note: Text | None = None


class PhaseMove(BaseModel):
    model_config = _example(phase="kartlaggning")

    phase: Ident


class TaskDecline(BaseModel):
    model_config = _example(reason="Deltagaren är inte aktuell hos oss")

    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class TaskComplete(BaseModel):
    model_config = _example(note="Klart")

    note: Text | None = None


class TaskComment(BaseModel):
    model_config = _example(text="Ringer deltagaren på måndag")

    text: Annotated[str, Field(min_length=1, max_length=2000)]


class ContactCreate(BaseModel):
    model_config = _example(on="2026-11-24", channel="telefon")

    on: date | None = None
    channel: Annotated[str, Field(max_length=100)] | None = None


class FactCreate(BaseModel):
    model_config = _example(fact="inskrivningssamtal_hallet", value="2026-11-24")

    fact: Ident
    value: date | bool | int | float | Annotated[str, Field(max_length=2000)] | None = None


class ExtensionCreate(BaseModel):
    model_config = _example(reason="Behöver mer tid på arbetsplatsen")

    reason: Text | None = None


class ExitCreate(BaseModel):
    model_config = _example(outcome="förvärvsarbete", reason=None)

    outcome: Annotated[str, Field(min_length=1, max_length=100)]
    reason: Text | None = None


class AbortCreate(BaseModel):
    model_config = _example(reason="flytt", note="Flyttat till annan kommun")

    reason: Annotated[str, Field(min_length=1, max_length=100)]
    note: Text | None = None


class ProtectedIdentityCreate(BaseModel):
    """Skyddade personuppgifter har tillkommit: namn och personnummer tas bort direkt."""

    model_config = _example(note="Sekretessmarkering enligt Skatteverket")

    note: Text | None = None


class PersonSearch(BaseModel):
    """Sök på personnummer: bara i en POST-kropp, aldrig i en URL."""

    model_config = _example(personnummer="19800426-2385")

    personnummer: Annotated[str, Field(min_length=1, max_length=20)]


class DefinitionUpload(BaseModel):
    model_config = _example(yaml="id: finsam-insats\nversion: 2\nname: ...\n")

    yaml: Annotated[str, Field(min_length=1, max_length=1_000_000)]


class SimulationCreate(BaseModel):
    model_config = _example(
        start="2026-06-15",
        path=["samtycke", "beslut", "inskrivning", "kartlaggning", "arbetstraning", "avslut"],
        outcome="studier",
        sick_period_start="2026-05-01",
        extensions={"arbetstraning": 3},
    )

    version: int | None = Field(None, ge=1, description="Utan version: senaste")
    start: date
    path: list[Ident] | None = Field(None, max_length=50)
    outcome: Annotated[str, Field(min_length=1, max_length=100)] = "förvärvsarbete"
    outcome_reason: Text | None = None
    abort_in: Ident | None = None
    anonymous: bool = False
    sick_period_start: date | None = None
    extensions: dict[str, Annotated[int, Field(ge=0, le=12)]] = Field(default_factory=dict)
    late: dict[str, Annotated[int, Field(ge=0, le=365)]] = Field(default_factory=dict)
    contact_every: int | None = Field(7, ge=1, le=365)

    @field_validator("start", "sick_period_start")
    @classmethod
    def _sane_year(cls, v: date | None) -> date | None:
        if v is not None and not 2000 <= v.year <= 2100:
            raise ValueError("år mellan 2000 och 2100")
        return v


class MigrationCreate(BaseModel):
    model_config = _example(from_version=1, to_version=2, phase_map={"forberedande": "kartlaggning"}, dry_run=True)

    from_version: int = Field(ge=1, le=1_000_000)  # bounded like the path's version: SQLite has 64-bit ints
    to_version: int = Field(ge=1, le=1_000_000)
    phase_map: dict[str, Ident] = Field(default_factory=dict)
    dry_run: bool = True


# --- responses --------------------------------------------------------------------------------


class ConsentPublic(_Out):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "parties": ["af", "fk", "kommun"],
                    "given_on": "2026-11-20",
                    "form": "skriftligt",
                    "recorded_by": "sara.samordnare@kommun",
                    "withdrawn_on": None,
                    "active": True,
                }
            ]
        },
    )

    parties: list[str]
    given_on: date
    form: str
    recorded_by: str | None = None
    withdrawn_on: date | None = None
    active: bool


class PersonPublic(_Out):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{"id": "p-5b4c3d2e", "personnummer": "198004262385", "name": "Alva Exempel"}]},
    )

    id: str
    personnummer: str | None = Field(None, description="12 siffror; bara när samtycket omfattar anroparens part")
    name: str | None = None


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
}


class TaskPublic(_Out):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_TASK_EXAMPLE]})

    case_id: str = Field(description="Ärendereferens / case reference")
    task_id: str
    label: str
    kind: str
    phase: str | None = None
    responsible: str
    party: str
    status: str = Field(description="open | accepted | declined | completed | cancelled")
    due: date | None = None
    blocking: bool = True
    meeting: bool = False
    escalated_to: str | None = None
    created_on: date
    closed_on: date | None = None
    overdue: bool = False
    person: PersonPublic | None = Field(None, description="Bara när samtycket omfattar anroparens part")


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
    "person": {"id": "p-5b4c3d2e", "personnummer": "198004262385", "name": "Alva Exempel"},
    "consent": {
        "parties": ["af", "fk", "kommun"],
        "given_on": "2026-11-20",
        "form": "skriftligt",
        "recorded_by": "sara.samordnare@kommun",
        "withdrawn_on": None,
        "active": True,
    },
    "facts": {"sjukperiod_start": "2026-10-01"},
    "tasks": [_TASK_EXAMPLE],
    "created_at": "2026-11-20T09:14:03Z",
    "updated_at": "2026-11-20T09:20:41Z",
}


class CasePublic(_Out):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_CASE_EXAMPLE]})

    id: str = Field(description="Ärendereferens / case reference")
    access: Literal["full", "case", "tasks"] = Field(
        description="full: med personuppgifter; case: utan personuppgifter; tasks: bara egna uppgifter"
    )
    version: int = Field(description="Versionsräknare; skickas tillbaka i If-Match")
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
    person: PersonPublic | None = None
    consent: ConsentPublic | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    tasks: list[TaskPublic] = Field(default_factory=list)
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


_EVENT_EXAMPLE: JsonDict = {
    "id": 1042,
    "case_id": "3f2a9c0d5e7b4a1c9d8e7f6a5b4c3d2e",
    "seq": 4,
    "type": "TaskCompleted",
    "at": "2026-11-21T08:02:11Z",
    "actor": "sara.samordnare@kommun",
    "data": {"task": "bekrafta_remiss"},
}


class EventPublic(_Out):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_EVENT_EXAMPLE]})

    id: int
    case_id: str
    seq: int | None = None
    type: str
    at: UtcDateTime
    actor: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class _Page(_Out):
    total: int
    limit: int
    page: int


class TaskPage(_Page):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_TASK_EXAMPLE],
                    "total": 1,
                    "limit": 20,
                    "page": 1,
                }
            ]
        }
    )
    items: list[TaskPublic]


class EventPage(_Page):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_EVENT_EXAMPLE],
                    "total": 1,
                    "limit": 20,
                    "page": 1,
                }
            ]
        }
    )
    items: list[EventPublic]


class EventFeed(_Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_EVENT_EXAMPLE],
                    "next_cursor": 1042,
                }
            ]
        }
    )
    items: list[EventPublic]
    next_cursor: int = Field(description="Skicka som `after` i nästa anrop / pass as `after` next time")


class CaseList(_Out):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_CASE_EXAMPLE]}]})
    items: list[CasePublic]


_ACCESS_LOG_EXAMPLE: JsonDict = {
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


class AccessLogEntry(_Out):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_ACCESS_LOG_EXAMPLE]})

    id: int
    at: UtcDateTime
    user_id: str
    caller_kind: str | None = None
    party: str | None = None
    person_id: str | None = None
    case_id: str | None = None
    resource: str | None = None
    purpose: str | None = None


class AccessLogPage(_Page):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_ACCESS_LOG_EXAMPLE],
                    "total": 1,
                    "limit": 20,
                    "page": 1,
                }
            ]
        }
    )
    items: list[AccessLogEntry]


_DEFINITION_SUMMARY_EXAMPLE: JsonDict = {
    "id": "finsam-insats",
    "version": 1,
    "name": "Individuell insats (FINSAM)",
    "published": True,
    "created_at": "2026-11-20T09:00:00Z",
    "created_by": "system",
}


class DefinitionSummary(_Out):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_DEFINITION_SUMMARY_EXAMPLE]})

    id: str
    version: int
    name: str | None = None
    published: bool
    created_at: UtcDateTime | None = None
    created_by: str | None = None


class DefinitionList(_Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_DEFINITION_SUMMARY_EXAMPLE],
                    "total": 1,
                    "limit": 20,
                    "page": 1,
                }
            ]
        }
    )
    items: list[DefinitionSummary]
    total: int
    limit: int
    page: int


class DefinitionPublic(DefinitionSummary):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_DEFINITION_SUMMARY_EXAMPLE,
                    "definition": {"id": "finsam-insats", "version": 1, "phases": ["…"]},
                }
            ]
        },
    )

    definition: dict[str, Any]


class AgendaLine(_Out):
    day: date
    who: str
    what: str


class SimulationPublic(_Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "definition_id": "finsam-insats",
                    "definition_version": 1,
                    "commands": 31,
                    "closed_on": "2027-03-02",
                    "lines": [
                        {
                            "day": "2026-06-15",
                            "who": "samordnare",
                            "what": "Bekräfta mottagen remiss (senast 2026-06-22)",
                        }
                    ],
                }
            ]
        }
    )
    definition_id: str
    definition_version: int
    commands: int
    closed_on: date | None = None
    lines: list[AgendaLine]


class MigrationCase(_Out):
    case_id: str
    status: Literal["migrated", "would_migrate", "unmappable", "unchanged"]
    from_phase: str
    to_phase: str | None = None
    problems: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class MigrationPublic(_Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
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
            ]
        }
    )
    definition_id: str
    from_version: int
    to_version: int
    dry_run: bool
    cases: list[MigrationCase]
    migrated: int
    unmappable: int


class TokenPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"access_token": "eyJhbGciOiJSUzI1NiIs…", "token_type": "Bearer", "expires_in": 3600}]
        }
    )
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


class ApiInfo(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "api_name": "insats",
                    "api_version": "1.0.0",
                    "api_released": "2026-11-25",
                    "api_documentation": "http://127.0.0.1:8000/docs",
                    "api_status": "active",
                    "description": "Processmotor för individuella insatser i samordningsförbund",
                    "contact": "insats@example.org",
                    "licence": "EUPL-1.2",
                }
            ]
        }
    )
    api_name: str
    api_version: str
    api_released: str
    api_documentation: str
    api_status: str
    description: str
    contact: str
    licence: str
