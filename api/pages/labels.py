"""Swedish words for the engine's codes, used by the templates."""

from __future__ import annotations

from typing import Any

TASK_STATUS = {
    "open": "Öppen",
    "accepted": "Accepterad",
    "declined": "Avböjd",
    "completed": "Klar",
    "cancelled": "Avbruten",
}
CASE_STATUS = {"active": "Pågående", "closed": "Avslutat"}
DECISIONS = {"admitted": "Antagen", "not_admitted": "Ej antagen", "on_hold": "Vilande"}
OUTCOMES = {
    "förvärvsarbete": "Förvärvsarbete",
    "studier": "Studier",
    "arbetssökande": "Arbetssökande",
    "övriga_avslutade": "Övriga avslutade",
    "ovriga_avslutade": "Övriga avslutade",
    "felregistrering": "Felregistrering",
    "avbrott": "Avbrott",
}
GENDERS = {"kvinna": "Kvinnor", "man": "Män", "annat": "Annat", "okänt": "Okänt"}
EVENTS = {
    "CaseReferred": "Remiss mottagen",
    "CaseMigrated": "Flyttad till ny definitionsversion",
    "CaseClosed": "Ärendet avslutat",
    "ConsentRecorded": "Samtycke registrerat",
    "ConsentWithdrawn": "Samtycke återkallat",
    "ConsentEnded": "Samtycket upphörde",
    "ContactRecorded": "Kontakt med deltagaren",
    "DeadlineMissed": "Frist passerad",
    "FactRecorded": "Uppgift registrerad",
    "MaxTimeReached": "Längsta tid nådd",
    "NoContactAlert": "Ingen kontakt på länge",
    "ParticipationDecided": "Beslut om deltagande",
    "PhaseEntered": "Ny fas",
    "PhaseExtended": "Fasen förlängd",
    "PhaseLeft": "Fasen lämnad",
    "PhaseMaxLengthReached": "Fasens längsta tid nådd",
    "ProtectedIdentitySet": "Skyddade personuppgifter",
    "RehabCheckpointReached": "Rehabiliteringskedjan: kontrollpunkt",
    "RehabCheckpointWarning": "Rehabiliteringskedjan: varning",
    "ReminderDue": "Påminnelse",
    "TaskAccepted": "Uppgift accepterad",
    "TaskCancelled": "Uppgift avbruten",
    "TaskCommented": "Kommentar",
    "TaskCompleted": "Uppgift klar",
    "TaskCreated": "Ny uppgift",
    "TaskDeclined": "Uppgift avböjd",
    "TaskDueChanged": "Ny förfallodag",
    "TaskEscalated": "Uppgift eskalerad",
    "TeamMemberAdded": "Ny i teamet",
    "TeamMemberRemoved": "Lämnade teamet",
    "CaseHandedOver": "Ärendet överlämnat",
    "TaskAssigned": "Uppgift tilldelad",
    "TaskUnassigned": "Uppgift utan handläggare",
    "TaskPriorityChanged": "Ny prioritet",
    "TaskFollowUpChanged": "Nytt datum att påbörja senast",
    "ExternalReferenceSet": "Partens diarienummer",
    "EmergencyAccessGranted": "Nödåtkomst",
}
PRIORITIES = {"normal": "Normal", "high": "Hög"}
_DETAIL_KEYS = ("label", "phase", "task", "due", "decision", "reason", "text", "outcome", "parties", "to", "on", "day")


def event_detail(data: dict[str, Any]) -> str:
    parts = []
    for key in _DETAIL_KEYS:
        value = data.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{key}: {value}")
    return " · ".join(parts)
