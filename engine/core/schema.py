"""The JSON Schema of the definition language, committed as definitions/insats-definition.schema.json.

Fields described in the models (`Field(description=...)`) keep their words; every other field gets
its Swedish description here, so the editor's completion and hover help explain every field."""

from __future__ import annotations

from typing import Any

from engine.core.definition import Definition

_ID = "Id: små bokstäver a-z, siffror och _, börjar med en bokstav"

FIELD_HELP: dict[str, dict[str, str]] = {
    "": {
        "id": "Definitionens id (små bokstäver, siffror, - och _)",
        "version": "Versionsnummer, ett heltal från 1; höj det vid varje ändring",
        "name": "Processens namn, som handläggarna ser det",
        "description": "Fri beskrivning av processen",
        "parties": "Parterna i samordningsförbundet (t.ex. af, fk, kommun, region)",
        "roles": "Roller i insatsteamet eller hos en part, t.ex. samordnare",
        "facts": "Uppgifter som registreras i ärendet (datum, text eller ja/nej)",
        "start": "Fasen som ett nytt ärende börjar i (fas-id)",
        "phases": "Processens faser i ordning",
        "global_timers": "Timrar för hela ärendet: ingen kontakt och längsta tid",
        "rehabiliteringskedjan": "Rehabiliteringskedjans kontrollpunkter (dag 90, 180, 365) från sjukperiodens start",
        "outcomes": "Möjliga utfall när ärendet avslutas",
        "avbrott_reasons": "Orsaker som kan anges vid avbrott",
        "calendar": "Kalender: lediga dagar och påminnelser",
    },
    "Party": {"id": f"Partens id. {_ID}", "label": "Partens namn, t.ex. Arbetsförmedlingen"},
    "Role": {"id": f"Rollens id. {_ID}", "label": "Rollens namn, t.ex. Samordnare"},
    "Fact": {"id": f"Faktumets id. {_ID}", "label": "Vad faktumet är, på svenska", "type": "date, text eller bool"},
    "Phase": {
        "id": f"Fasens id. {_ID}",
        "label": "Fasens namn, som handläggarna ser det",
        "kind": "Slags fas, t.ex. referral (remiss), consent (samtycke), decision, work_training, exit (avslut)",
        "description": "Fri beskrivning av fasen",
        "tasks": "Uppgifterna som skapas när fasen börjar",
        "transitions": "Vägarna vidare till andra faser, med villkor",
        "max_length": "Fasens längsta längd, t.ex. '3 månader'",
        "extension": "Hur fasen kan förlängas (kräver max_length)",
        "follow_up": "Återkommande uppföljning under fasen",
        "midpoint_review": "Halvtidsavstämning (kräver max_length)",
        "notify_on_max_length": "Part eller roll som aviseras när fasens längsta längd nås",
    },
    "Task": {
        "id": f"Uppgiftens id. {_ID}",
        "due": "Fristen, t.ex. '5 arbetsdagar', '14 dagar', '6 veckor', '3 månader'",
        "escalation": "Vart uppgiften eskaleras när fristen har passerat",
    },
    "Transition": {
        "to": "Fasen som övergången leder till (fas-id)",
        "label": "Knappens text, t.ex. 'Till kartläggning'",
        "when": "Villkor som alla måste vara uppfyllda",
    },
    "Guard": {
        "decision": "Beslutet om deltagande: admitted, not_admitted eller on_hold",
        "any_of": "Alternativ: villkoret gäller om ett av dem gäller",
    },
    "FollowUp": {
        "every": "Hur ofta, t.ex. '4 veckor'",
        "responsible": "Ansvarig part eller roll",
        "label": "Uppföljningsuppgiftens namn",
        "due": "Frist för varje uppföljning",
    },
    "MidpointReview": {
        "responsible": "Ansvarig part eller roll",
        "label": "Avstämningsuppgiftens namn",
        "due": "Frist för avstämningen",
    },
    "GlobalTimer": {"after": "Hur lång tid, t.ex. '30 dagar'", "notify": "Part eller roll som aviseras"},
    "GlobalTimers": {
        "no_contact": "Larm när ingen kontakt har registrerats på en tid",
        "max_time": "Larm när ärendet har pågått längsta tid",
    },
    "Rehabiliteringskedjan": {
        "checkpoints": "Kontrollpunkter i dagar från sjukperiodens start, t.ex. [90, 180, 365]",
        "warn_before": "Hur långt före en kontrollpunkt som aviseringen kommer",
        "notify": "Part eller roll som aviseras (förval fk)",
    },
}


def _describe(obj: dict[str, Any], help_for: dict[str, str]) -> None:
    for name, prop in obj.get("properties", {}).items():
        if name in help_for and "description" not in prop:
            prop["description"] = help_for[name]


def definition_schema() -> dict[str, Any]:
    schema = Definition.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://insats.example/schema/insats-definition.schema.json"
    _describe(schema, FIELD_HELP[""])
    for name, sub in schema.get("$defs", {}).items():
        _describe(sub, FIELD_HELP.get(name, {}))
    return schema
