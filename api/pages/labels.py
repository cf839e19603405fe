"""Swedish words for the engine's codes, used by the templates."""

from __future__ import annotations

from engine.core.words import DECISIONS as DECISIONS  # re-exported for the templates
from engine.core.words import OUTCOMES as OUTCOMES
from engine.core.words import avbrott_reason

TASK_STATUS = {
    "open": "Öppen",
    "accepted": "Accepterad",
    "declined": "Avböjd",
    "completed": "Klar",
    "cancelled": "Avbruten",
}
CASE_STATUS = {"active": "Pågående", "closed": "Avslutat"}
FACT_INPUTS = {"date": "date", "number": "number", "text": "text", "bool": "checkbox"}
"""A fact's type → the input a form asks it with."""
AVBROTT = avbrott_reason
"""An avbrott reason of the definition in words."""
CONSENT_FORMS = {"skriftligt": "Skriftligt", "muntligt": "Muntligt"}
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
