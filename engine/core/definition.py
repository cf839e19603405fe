"""The definition language: pydantic models of a process definition.

A definition is data that a förbund admin writes in YAML (definitions/*.yaml); these
models give its shape (and the JSON Schema an editor validates against). Cross-references
(unknown phase, party, role, fact; reachability) are checked in `engine.core.validation`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from engine.core.calendar import WorkingCalendar
from engine.core.duration import DURATION_PATTERN, Duration, DurationError


def _parse_duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if not isinstance(value, str):
        raise ValueError("en tidsangivelse skrivs som text, t.ex. '5 arbetsdagar'")
    try:
        return Duration.parse(value)
    except DurationError as exc:
        raise ValueError(str(exc)) from None


DurationField = Annotated[
    Duration,
    BeforeValidator(_parse_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "Tidsangivelse, t.ex. '5 arbetsdagar', '14 dagar', '6 veckor', '3 månader'",
            "examples": ["5 arbetsdagar", "14 dagar", "6 veckor", "3 månader"],
        }
    ),
]

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

# A YAML boolean is written true or false: YAML 1.2 keeps ja/nej/on/off as text, and a strict bool
# makes sure pydantic does not turn them into booleans behind the admin's back either.
YamlBool = Annotated[bool, Field(strict=True)]
TaskPriority = Literal["normal", "high"]

STANDARD_PARTIES = ("af", "fk", "kommun", "region")


class PhaseKind(StrEnum):
    REFERRAL = "referral"
    CONSENT = "consent"
    DECISION = "decision"
    INTAKE = "intake"
    ASSESSMENT = "assessment"
    PREPARATORY = "preparatory"
    WORK_TRAINING = "work_training"
    PLANNING = "planning"
    EXIT = "exit"


class Outcome(StrEnum):
    """Outcome groups of the national follow-up (Uppföljning Finsam)."""

    FORVARVSARBETE = "förvärvsarbete"
    STUDIER = "studier"
    ARBETSSOKANDE = "arbetssökande"
    OVRIGA_AVSLUTADE = "övriga_avslutade"
    FELREGISTRERING = "felregistrering"


class FactType(StrEnum):
    DATE = "date"
    BOOL = "bool"
    TEXT = "text"
    NUMBER = "number"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Party(Strict):
    id: Identifier
    label: str


class Role(Strict):
    """A role in the insats team or at a party, e.g. samordnare employed by the host party."""

    id: Identifier
    label: str
    party: Identifier = Field(description="Den part som rollen tillhör (arbetsgivare)")
    party_wide: YamlBool = Field(
        default=False,
        description="Rollen ser alla partens ärenden utan att vara med i ärendets team (t.ex. teamledare)",
    )


class Fact(Strict):
    id: Identifier
    label: str
    type: FactType = FactType.DATE


class Escalation(Strict):
    to: Identifier = Field(description="Roll eller part som ärendet eskaleras till")
    after: DurationField = Field(description="Hur länge efter förfallodagen")


class Task(Strict):
    id: Identifier
    label: str = Field(description="Vad som ska göras, på svenska")
    responsible: Identifier = Field(description="Ansvarig part (af, fk, kommun, region) eller roll")
    due: DurationField | None = None
    due_from: str = Field(
        default="phase_start",
        description="Varifrån fristen räknas: phase_start, case_start, fact:<fakta-id> eller task:<uppgifts-id> "
        "(uppgiften skapas när den uppgiften är klar)",
    )
    blocking: YamlBool = Field(default=True, description="Måste vara klar innan fasen kan lämnas")
    reminders: list[DurationField] = Field(default_factory=list, description="Påminnelser före förfallodagen")
    escalation: Escalation | None = None
    meeting: YamlBool = Field(default=False, description="Uppgiften är ett möte (kallelse med kalenderinbjudan)")
    priority: TaskPriority = Field(default="normal", description="Uppgiftens prioritet: normal eller high (hög)")
    follow_up: DurationField | None = Field(
        default=None, description="Påbörja senast: räknas som fristen, från due_from"
    )


class FollowUp(Strict):
    every: DurationField
    responsible: Identifier
    label: str = "Uppföljning"
    due: DurationField = Field(default_factory=lambda: Duration.parse("5 arbetsdagar"))


class Extension(Strict):
    step: DurationField = Field(description="Hur mycket fasen förlängs per beslut")
    up_to: DurationField = Field(description="Fasens längsta totala längd")


class MidpointReview(Strict):
    responsible: Identifier
    label: str = "Halvtidsavstämning"
    due: DurationField = Field(default_factory=lambda: Duration.parse("5 arbetsdagar"))


class Guard(Strict):
    """Conditions that must all hold for a transition. `any_of` holds if one alternative does."""

    consent: Literal["active"] | None = Field(default=None, description="Samtycke måste vara aktivt")
    consent_covers: list[Identifier] | None = Field(default=None, description="Samtycket måste omfatta dessa parter")
    decision: Literal["admitted", "not_admitted", "on_hold"] | None = None
    tasks_done: YamlBool | None = Field(default=None, description="Alla blockerande uppgifter i fasen är klara")
    fact: Identifier | None = Field(default=None, description="Ett faktum måste vara registrerat")
    anonymous: YamlBool | None = Field(default=None, description="Deltagaren är anonym (true) eller inte (false)")
    any_of: list[Guard] | None = None


class Transition(Strict):
    to: Identifier
    label: str | None = None
    when: Guard = Field(default_factory=Guard)


class PhaseTimer(Strict):
    max_length: DurationField
    extension: Extension | None = None


class Phase(Strict):
    id: Identifier
    label: str
    kind: PhaseKind
    description: str | None = None
    tasks: list[Task] = Field(default_factory=list)
    transitions: list[Transition] = Field(default_factory=list)
    max_length: DurationField | None = None
    extension: Extension | None = None
    follow_up: FollowUp | None = None
    midpoint_review: MidpointReview | None = None
    notify_on_max_length: Identifier | None = None


class GlobalTimer(Strict):
    after: DurationField
    notify: Identifier
    starts_in: Identifier | None = Field(default=None, description="Timern startar när ärendet går in i denna fas")


class GlobalTimers(Strict):
    no_contact: GlobalTimer | None = None
    max_time: GlobalTimer | None = None


class Rehabiliteringskedjan(Strict):
    fact: Identifier = Field(description="Faktum med sjukperiodens startdatum")
    checkpoints: list[Annotated[int, Field(ge=1, le=1000)]] = Field(default_factory=lambda: [90, 180, 365])
    warn_before: DurationField = Field(default_factory=lambda: Duration.parse("14 dagar"))
    notify: Identifier = "fk"


class CalendarSettings(Strict):
    de_facto_days_off: YamlBool = Field(
        default=True, description="Midsommarafton, julafton och nyårsafton räknas som lediga dagar"
    )
    extra_days_off: list[date] = Field(default_factory=list, description="Extra lediga dagar, ÅÅÅÅ-MM-DD")
    reminders_on_working_days: YamlBool = Field(
        default=True, description="Påminnelser som faller på helgdag flyttas till föregående arbetsdag"
    )


class Definition(Strict):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"title": "insats processdefinition"},
    )

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
    version: int = Field(ge=1)
    name: str
    description: str | None = None
    parties: list[Party]
    roles: list[Role] = Field(default_factory=list)
    coordinator: Identifier | None = Field(
        default=None,
        description="Roll eller part som samordnar insatsen: får avböjda uppgifter och larm utan egen mottagare "
        "(förval: första rollen)",
    )
    facts: list[Fact] = Field(default_factory=list)
    start: Identifier
    phases: list[Phase]
    global_timers: GlobalTimers = Field(default_factory=GlobalTimers)
    rehabiliteringskedjan: Rehabiliteringskedjan | None = None
    outcomes: list[Outcome] = Field(default_factory=lambda: list(Outcome))
    reasons_required_for: list[Outcome] = Field(
        default_factory=lambda: [Outcome.OVRIGA_AVSLUTADE],
        description="Utfall som kräver en orsak",
    )
    avbrott_reasons: list[str] = Field(default_factory=list)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)

    # Indexes derived once; a frozen model computes them on first use.
    @cached_property
    def phase_by_id(self) -> dict[str, Phase]:
        return {p.id: p for p in self.phases}

    @cached_property
    def task_by_id(self) -> dict[str, tuple[Phase, Task]]:
        return {t.id: (p, t) for p in self.phases for t in p.tasks}

    @cached_property
    def fact_by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    @cached_property
    def party_ids(self) -> frozenset[str]:
        return frozenset(p.id for p in self.parties)

    @cached_property
    def role_by_id(self) -> dict[str, Role]:
        return {r.id: r for r in self.roles}

    @cached_property
    def working_calendar(self) -> WorkingCalendar:
        return WorkingCalendar(
            de_facto_days_off=self.calendar.de_facto_days_off,
            extra_days_off=self.calendar.extra_days_off,
        )

    def party_of(self, responsible: str) -> str:
        """The party a responsible role or party belongs to."""
        role = self.role_by_id.get(responsible)
        return role.party if role else responsible

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def labels(self) -> dict[str, dict[str, str]]:
        """What a page shows for each id (phases, tasks, parties, roles, facts): plain JSON.

        Computed once where the definition is parsed anyway (at upload) and stored with it, this
        lets a read path (an inbox's phase names) show labels without parsing a definition.
        """
        return {
            "phases": {p.id: p.label for p in self.phases},
            "tasks": {t.id: t.label for p in self.phases for t in p.tasks},
            "parties": {p.id: p.label for p in self.parties},
            "roles": {r.id: r.label for r in self.roles},
            "facts": {f.id: f.label for f in self.facts},
        }
