"""Swedish texts for each kind of notification.

An e-mail leaves the systems that are allowed to hold personal data, so it carries none: no
personnummer, no name, no health data, no free text typed by a user (comments, reasons and
notes can hold anything). Only a case reference, the task's label from the process definition,
dates and a link to the case, where the reader signs in and the access rules apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

_MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)
_WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")


def swedish_date(day: date) -> str:
    """`måndag 6 april 2026`."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def case_reference(case_id: str) -> str:
    """A short reference people can say on the phone; it identifies the case, not the person."""
    return "INS-" + case_id.replace("-", "")[:8].upper()


@dataclass(frozen=True)
class Notice:
    """What a message may say: nothing here can hold personal data."""

    kind: str
    case_id: str
    link: str
    task_label: str | None = None
    due: date | None = None
    phase_label: str | None = None
    party_label: str | None = None
    day: int | None = None
    on: date | None = None
    meeting: bool = False

    @property
    def case_ref(self) -> str:
        return case_reference(self.case_id)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)


SUBJECT_PREFIX = "[insats]"

KINDS = (
    "TaskCreated",
    "ReminderDue",
    "DeadlineMissed",
    "TaskEscalated",
    "TaskDueChanged",
    "TaskCancelled",
    "ConsentWithdrawn",
    "CaseClosed",
    "RehabCheckpointWarning",
    "RehabCheckpointReached",
    "NoContactAlert",
    "MaxTimeReached",
    "PhaseMaxLengthReached",
)

_FOOTER = (
    "\n\nÖppna ärendet: {link}\n\n"
    "Meddelandet innehåller inga personuppgifter. Logga in för att se ärendet; "
    "vad du ser styrs av deltagarens samtycke.\n"
    "Detta är ett automatiskt meddelande från insats och kan inte besvaras."
)


def _due(n: Notice) -> str:
    return swedish_date(n.due) if n.due else "inget datum"


def _task(n: Notice) -> str:
    return n.task_label or "en uppgift"


def render(n: Notice) -> Rendered:
    """Subject and plain-text body of one notification."""
    ref = n.case_ref
    subject, body = _TEXTS.get(n.kind, _generic)(n)
    headers = {"X-Insats-Kind": n.kind, "X-Insats-Case": ref}
    return Rendered(f"{SUBJECT_PREFIX} {subject}", body + _FOOTER.format(link=n.link), headers)


def _task_created(n: Notice) -> tuple[str, str]:
    if n.meeting:
        return (
            f"Nytt möte att boka: {_task(n)} ({n.case_ref})",
            f"Du har fått en ny uppgift i ärende {n.case_ref}: {_task(n)}.\n"
            f"Mötet ska vara hållet senast {_due(n)}. En kalenderinbjudan finns bifogad.",
        )
    return (
        f"Ny uppgift: {_task(n)} ({n.case_ref})",
        f"Du har fått en ny uppgift i ärende {n.case_ref}: {_task(n)}.\nSista dag: {_due(n)}.",
    )


def _reminder(n: Notice) -> tuple[str, str]:
    return (
        f"Påminnelse: {_task(n)} ({n.case_ref})",
        f"Påminnelse om uppgiften {_task(n)} i ärende {n.case_ref}.\nSista dag: {_due(n)}.",
    )


def _overdue(n: Notice) -> tuple[str, str]:
    return (
        f"Försenad: {_task(n)} ({n.case_ref})",
        f"Uppgiften {_task(n)} i ärende {n.case_ref} skulle ha varit klar {_due(n)} och är inte avslutad.",
    )


def _escalated(n: Notice) -> tuple[str, str]:
    return (
        f"Eskalerad: {_task(n)} ({n.case_ref})",
        f"Uppgiften {_task(n)} i ärende {n.case_ref} är inte klar trots att sista dag var {_due(n)}.\n"
        "Den har eskalerats till dig för uppföljning.",
    )


def _due_changed(n: Notice) -> tuple[str, str]:
    what = "Mötet" if n.meeting else "Uppgiften"
    return (
        f"Nytt datum: {_task(n)} ({n.case_ref})",
        f"{what} {_task(n)} i ärende {n.case_ref} har fått ett nytt datum: {_due(n)}.",
    )


def _cancelled(n: Notice) -> tuple[str, str]:
    what = "Mötet" if n.meeting else "Uppgiften"
    return (
        f"Inställt: {_task(n)} ({n.case_ref})",
        f"{what} {_task(n)} i ärende {n.case_ref} behövs inte längre och är struket.",
    )


def _consent_withdrawn(n: Notice) -> tuple[str, str]:
    return (
        f"Samtycke återkallat ({n.case_ref})",
        f"Deltagaren i ärende {n.case_ref} har återkallat sitt samtycke för "
        f"{n.party_label or 'er part'}.\nUppgifter om deltagaren får inte längre delas med er. "
        "Pågående uppgifter syns fortfarande med ärendereferens.",
    )


def _case_closed(n: Notice) -> tuple[str, str]:
    return (
        f"Ärendet är avslutat ({n.case_ref})",
        f"Ärende {n.case_ref} är avslutat{' ' + swedish_date(n.on) if n.on else ''}. "
        "Samtycket upphör i och med avslutet.",
    )


def _rehab_warning(n: Notice) -> tuple[str, str]:
    return (
        f"Rehabiliteringskedjan dag {n.day} närmar sig ({n.case_ref})",
        f"I ärende {n.case_ref} nås dag {n.day} i rehabiliteringskedjan {_on(n)}.\n"
        "Arbetsförmågan ska prövas enligt rehabiliteringskedjan före dess.",
    )


def _rehab_reached(n: Notice) -> tuple[str, str]:
    return (
        f"Rehabiliteringskedjan dag {n.day} ({n.case_ref})",
        f"I ärende {n.case_ref} är dag {n.day} i rehabiliteringskedjan nådd.",
    )


def _no_contact(n: Notice) -> tuple[str, str]:
    since = f" sedan {swedish_date(n.on)}" if n.on else ""
    return (
        f"Ingen kontakt med deltagaren ({n.case_ref})",
        f"Ingen kontakt med deltagaren i ärende {n.case_ref} har registrerats{since}.",
    )


def _max_time(n: Notice) -> tuple[str, str]:
    return (
        f"Längsta tid i insatsen nådd ({n.case_ref})",
        f"Ärende {n.case_ref} har nått den längsta tiden i insatsen. Planera avslut.",
    )


def _phase_max(n: Notice) -> tuple[str, str]:
    phase = n.phase_label or "Fasen"
    return (
        f"{phase}: längsta tid nådd ({n.case_ref})",
        f"{phase} i ärende {n.case_ref} skulle ha avslutats {_on(n)}. Förläng fasen eller gå vidare.",
    )


def _generic(n: Notice) -> tuple[str, str]:
    return (f"Händelse i ärende {n.case_ref}", f"Det har hänt något i ärende {n.case_ref}.")


def _on(n: Notice) -> str:
    return swedish_date(n.on) if n.on else "snart"


_TEXTS = {
    "TaskCreated": _task_created,
    "ReminderDue": _reminder,
    "DeadlineMissed": _overdue,
    "TaskEscalated": _escalated,
    "TaskDueChanged": _due_changed,
    "TaskCancelled": _cancelled,
    "ConsentWithdrawn": _consent_withdrawn,
    "CaseClosed": _case_closed,
    "RehabCheckpointWarning": _rehab_warning,
    "RehabCheckpointReached": _rehab_reached,
    "NoContactAlert": _no_contact,
    "MaxTimeReached": _max_time,
    "PhaseMaxLengthReached": _phase_max,
}

_DIGEST_HEADINGS = {
    "TaskCreated": "Nya uppgifter",
    "ReminderDue": "Påminnelser",
    "DeadlineMissed": "Försenade uppgifter",
    "TaskEscalated": "Eskalerade uppgifter",
    "TaskDueChanged": "Ändrade datum",
    "TaskCancelled": "Inställda uppgifter och möten",
    "ConsentWithdrawn": "Återkallade samtycken",
    "CaseClosed": "Avslutade ärenden",
    "RehabCheckpointWarning": "Rehabiliteringskedjan",
    "RehabCheckpointReached": "Rehabiliteringskedjan",
    "NoContactAlert": "Ingen kontakt",
    "MaxTimeReached": "Längsta tid nådd",
    "PhaseMaxLengthReached": "Fasers längsta tid nådd",
}


def render_digest(day: date, notices: Sequence[Notice], inbox_link: str) -> Rendered:
    """One daily e-mail for a handläggare who chose a digest instead of one e-mail per event."""
    groups: dict[str, list[Notice]] = {}
    for n in notices:
        groups.setdefault(_DIGEST_HEADINGS.get(n.kind, "Övrigt"), []).append(n)
    lines = [f"Sammanfattning {swedish_date(day)}: {len(notices)} händelser i dina ärenden.", ""]
    for heading, items in groups.items():
        lines.append(f"{heading} ({len(items)})")
        for n in items:
            subject = _TEXTS.get(n.kind, _generic)(n)[0]
            lines.append(f"  - {subject}: {n.link}")
        lines.append("")
    body = "\n".join(lines).rstrip()
    return Rendered(
        f"{SUBJECT_PREFIX} Daglig sammanfattning {day.isoformat()} ({len(notices)})",
        body + _FOOTER.format(link=inbox_link),
        {"X-Insats-Kind": "digest"},
    )


def notice_from_payload(
    payload: Mapping[str, Any],
    link: str,
    task_label: str | None = None,
    phase_label: str | None = None,
    party_label: str | None = None,
) -> Notice:
    """Pick the allowed fields out of an outbox payload (an event's data); everything else is ignored."""
    kind = str(payload.get("type") or payload.get("kind") or "")
    due = _date(payload.get("due"))
    on = _date(
        payload.get("checkpoint_on") or payload.get("ends_on") or payload.get("last_contact_on") or payload.get("on")
    )
    day = payload.get("day")
    return Notice(
        kind=kind,
        case_id=str(payload.get("case_id", "")),
        link=link,
        task_label=task_label or _str(payload.get("label")),
        due=due,
        phase_label=phase_label,
        party_label=party_label,
        day=int(day) if isinstance(day, int | str) and str(day).isdigit() else None,
        on=on,
        meeting=bool(payload.get("meeting", False)),
    )


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
