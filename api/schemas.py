"""Request bodies (`*Create`), and the responses of the HTTP layer's own endpoints (token, api-info).

The case, task, event and definition responses are the service's views (engine/service/views.py),
and the referral body is the service's `ReferralIn`: one model each, not a copy here.
Every model carries an example (`json_schema_extra`), shown in the OpenAPI documentation.
Validation that needs the domain (personnummer, facts, phases, outcomes) happens in the service
and comes back as 422 problem+json naming the field; here we check shapes, enums and lengths.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.fields import Code, FactValue, FreeText, Line, RequiredText, ShortText, StrictDate, Text
from engine.service.views import ReferralIn

Party = Annotated[Line, Field(min_length=1, max_length=100, pattern=r"^[\w\-.]+$", examples=["kommun"])]
"""A party id; which parties exist is the case's definition's to say (the service checks: unknown_party)."""
Gender = Literal["kvinna", "man", "annat"]
Decision = Literal["admitted", "not_admitted", "on_hold"]


Ident = Annotated[Line, Field(min_length=1, max_length=100, pattern=r"^[\w\-.]+$")]


def _example(**example: Any) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


# --- requests ---------------------------------------------------------------------------------


class ReferralCreate(ReferralIn):
    """The body of `POST /api/v1/cases`: the service's `ReferralIn` with the API's field types
    (no control characters, dates as `YYYY-MM-DD`), still a `ReferralIn` for the service."""

    personnummer: Annotated[Line, Field(max_length=20)] | None = Field(
        default=None, description="12 siffror, med eller utan bindestreck"
    )
    name: Annotated[Line, Field(max_length=200)] | None = None
    sick_period_start: StrictDate | None = Field(
        default=None, description="Sjukperiodens första dag (rehabiliteringskedjan)"
    )
    note: Text | None = None


class ConsentCreate(BaseModel):
    """Samtycke: vilka parter det omfattar, när och hur det gavs."""

    model_config = _example(parties=["af", "fk", "kommun", "region"], given_on="2026-11-20", form="skriftligt")

    parties: list[Party] = Field(min_length=1, max_length=50)
    given_on: StrictDate
    form: ShortText = "skriftligt"


class ConsentWithdraw(BaseModel):
    """Återkallat samtycke; utan `parties` återkallas hela samtycket."""

    model_config = _example(parties=["af"], reason="Deltagaren återkallade muntligt")

    parties: list[Party] | None = Field(None, min_length=1, max_length=50)
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

    reason: RequiredText


class TaskComplete(BaseModel):
    model_config = _example(note="Klart")

    note: Text | None = None


class TaskComment(BaseModel):
    model_config = _example(text="Ringer deltagaren på måndag")

    text: RequiredText


class ContactCreate(BaseModel):
    model_config = _example(on="2026-11-24", channel="telefon")

    on: StrictDate | None = None
    channel: Annotated[Line, Field(max_length=100)] | None = None


class FactCreate(BaseModel):
    model_config = _example(fact="inskrivningssamtal_hallet", value="2026-11-24")

    fact: Ident
    value: FactValue = None


class ExtensionCreate(BaseModel):
    model_config = _example(reason="Behöver mer tid på arbetsplatsen")

    reason: Text | None = None


class ExitCreate(BaseModel):
    model_config = _example(outcome="förvärvsarbete", reason=None)

    outcome: Code
    reason: Text | None = None


class AbortCreate(BaseModel):
    model_config = _example(reason="flytt", note="Flyttat till annan kommun")

    reason: Code
    note: Text | None = None


class ProtectedIdentityCreate(BaseModel):
    """Skyddade personuppgifter har tillkommit: namn och personnummer tas bort direkt."""

    model_config = _example(note="Sekretessmarkering enligt Skatteverket")

    note: Text | None = None


# --- the case team (issue 14) ------------------------------------------------------------------

UserId = Annotated[Line, Field(min_length=1, max_length=200, examples=["anna.andersson"])]
PersonName = Annotated[Line, Field(min_length=1, max_length=200, examples=["Anna Andersson"])]


class TeamMemberCreate(BaseModel):
    """Ny i ärendets team för en part (din egen)."""

    model_config = _example(party="kommun", user_id="anna.andersson", name="Anna Andersson", role="samordnare")

    party: Party
    user_id: UserId
    name: PersonName
    role: Ident | None = None


class HandOverCreate(BaseModel):
    """Lämna över ärendet: medlemskapet och de öppna uppgifterna flyttas."""

    model_config = _example(party="kommun", from_user="anna.andersson", to_user="bo.berg", to_name="Bo Berg")

    party: Party
    from_user: UserId
    to_user: UserId
    to_name: PersonName


class TaskAssign(BaseModel):
    model_config = _example(user_id="anna.andersson")

    user_id: UserId


class TaskPriority(BaseModel):
    model_config = _example(priority="high")

    priority: Literal["normal", "high"]


class TaskFollowUp(BaseModel):
    """Påbörja senast; `null` tar bort datumet."""

    model_config = _example(on="2026-12-07")

    on: StrictDate | None = None


class ExternalReferenceCreate(BaseModel):
    """Din parts eget diarienummer för ärendet; `null` tar bort det."""

    model_config = _example(party="fk", reference="FK-2026-004711")

    party: Party
    reference: Annotated[Line, Field(max_length=100)] | None = None


class EmergencyAccessCreate(BaseModel):
    """Nödåtkomst i 24 timmar: skälet skrivs i åtkomstloggen och granskas i loggkontrollen."""

    model_config = _example(reason="Deltagaren ringer i kris, handläggaren är sjuk")

    reason: Annotated[FreeText, Field(min_length=1, max_length=300)]


class SubstituteCreate(BaseModel):
    """En ersättare i din part under din frånvaro."""

    model_config = _example(substitute_id="bo.berg", starts_on="2026-12-07", ends_on="2026-12-18")

    substitute_id: UserId
    starts_on: StrictDate
    ends_on: StrictDate


class PersonSearch(BaseModel):
    """Sök på personnummer: bara i en POST-kropp, aldrig i en URL."""

    model_config = _example(personnummer="19800426-2385")

    personnummer: Annotated[Line, Field(min_length=1, max_length=20)]


class DefinitionUpload(BaseModel):
    model_config = _example(yaml="id: finsam-insats\nversion: 2\nname: ...\n")

    yaml: Annotated[FreeText, Field(min_length=1, max_length=1_000_000)]


class SimulationCreate(BaseModel):
    model_config = _example(
        start="2026-06-15",
        path=["samtycke", "beslut", "inskrivning", "kartlaggning", "arbetstraning", "avslut"],
        outcome="studier",
        sick_period_start="2026-05-01",
        extensions={"arbetstraning": 3},
    )

    version: int | None = Field(None, ge=1, description="Utan version: senaste")
    start: StrictDate
    path: list[Ident] | None = Field(None, max_length=50)
    outcome: Code = "förvärvsarbete"
    outcome_reason: Text | None = None
    abort_in: Ident | None = None
    anonymous: bool = False
    sick_period_start: StrictDate | None = None
    extensions: dict[Ident, Annotated[int, Field(ge=0, le=12)]] = Field(default_factory=dict)
    late: dict[Ident, Annotated[int, Field(ge=0, le=365)]] = Field(default_factory=dict)
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
    phase_map: dict[Ident, Ident] = Field(default_factory=dict)
    dry_run: bool = True


# --- responses of the HTTP layer itself (the service's are engine/service/views.py)


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
