"""Meeting invitations (inskrivningssamtal, avstämningsmöte, trepartssamtal, avslutningsmöte).

A task with `meeting: true` carries the last day the meeting may be held. The invitation is an
all-day calendar entry on that day with a UID that is stable for the case and task, so a
calendar program updates the same entry when the day moves (SEQUENCE grows) and removes it
when the meeting is cancelled (METHOD:CANCEL). Like the e-mail, it holds no personal data.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

from engine.service.notify_texts import case_reference

PRODID = "-//insats//FINSAM//SV"


def meeting_uid(case_id: str, task_id: str, domain: str = "insats") -> str:
    return f"{case_id}.{task_id}@{domain}"


def meeting_invitation(
    *,
    case_id: str,
    task_id: str,
    label: str,
    day: date,
    sequence: int,
    stamp: datetime,
    organizer: str,
    attendees: list[str],
    link: str,
    cancelled: bool = False,
) -> bytes:
    """A METHOD:REQUEST (or METHOD:CANCEL) calendar for one meeting; bytes ready to attach."""
    if stamp.tzinfo is None:
        raise ValueError("stamp must be timezone-aware")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    ev = Event()
    ev.add("uid", meeting_uid(case_id, task_id))
    ev.add("sequence", sequence)
    ev.add("dtstamp", stamp)
    ev.add("dtstart", day)
    ev.add("dtend", day + timedelta(days=1))
    ev.add("summary", f"{label} ({case_reference(case_id)})")
    ev.add(
        "description",
        f"Mötet ska hållas senast denna dag. Boka tid med de berörda. Ärende: {link}\n"
        "Inbjudan innehåller inga personuppgifter.",
    )
    ev.add("url", link)
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    ev.add("transp", "TRANSPARENT")
    org = vCalAddress(f"mailto:{organizer}")
    org.params["cn"] = vText("insats")
    ev.add("organizer", org)
    for address in attendees:
        att = vCalAddress(f"mailto:{address}")
        att.params["role"] = vText("REQ-PARTICIPANT")
        att.params["partstat"] = vText("NEEDS-ACTION")
        ev.add("attendee", att, encode=False)
    cal.add_component(ev)
    return bytes(cal.to_ical())
