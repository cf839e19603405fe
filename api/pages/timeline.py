"""The case timeline as Swedish sentences: every event type of the engine in words, with the names
of the people who acted and the labels of the definition; never a key, an id or a code.

`sentence(event, words)` is the one place an event becomes text (the case page's timeline and its
tasks' "completed by"). Free text (notes, reasons, comments) comes as the sentence's `note`, and
only when the view still carries it (engine/service/case_views.py strips it below `full`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from api.pages import labels as L

SYSTEM_EVENTS = frozenset({
    "ReminderDue", "DeadlineMissed", "TaskEscalated", "NoContactAlert", "MaxTimeReached", "PhaseMaxLengthReached",
    "RehabCheckpointWarning", "RehabCheckpointReached", "TaskDueChanged", "TaskCreated", "TaskCancelled",
    "PhaseLeft", "ConsentEnded", "CaseMigrated",
})  # fmt: skip
"""Events the engine writes by itself (timers, deadlines, the consequences of a move): shown apart,
behind the filter "Visa systemhändelser"."""

MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")  # fmt: skip
CANCEL_REASONS = {"phase_left": " när fasen lämnades", "case_closed": " när ärendet avslutades"}


@dataclass(frozen=True)
class Words:
    """What a sentence may name: the definition's labels and the people's names."""

    parties: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)
    phases: Mapping[str, str] = field(default_factory=dict)
    facts: Mapping[str, str] = field(default_factory=dict)
    tasks: Mapping[str, str] = field(default_factory=dict)
    """Task instance id (or spec id) → label."""
    people: Callable[[str], str | None] = lambda _user_id: None
    """A user id → the person's name (None: not known here)."""

    def party(self, pid: Any) -> str:
        return self.parties.get(str(pid)) or self.roles.get(str(pid)) or "en part"

    def parties_text(self, ids: Any) -> str:
        return and_list([self.party(p) for p in ids or ()]) or "inga parter"

    def phase(self, pid: Any) -> str:
        return self.phases.get(str(pid)) or "en fas"

    def task(self, tid: Any) -> str:
        """'uppgiften 'Label'', or 'en uppgift' when the id has no label here."""
        return f"uppgiften '{self.tasks[str(tid)]}'" if str(tid) in self.tasks else "en uppgift"

    def who(self, actor: str | None) -> str | None:
        if not actor or actor == "system":
            return None
        return self.people(actor) or "en handläggare"


@dataclass(frozen=True)
class Sentence:
    at: datetime
    text: str
    note: str | None = None
    system: bool = False


def and_list(items: list[str]) -> str:
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]


def day_text(value: Any) -> str:
    """'2 mars 2026' from a date or an ISO date; '' when there is none."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return ""
    if not isinstance(value, date):
        return ""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _by(w: Words, actor: str | None) -> str:
    who = w.who(actor)
    return f" av {who}" if who else ""


def _subject(w: Words, actor: str | None) -> str:
    return w.who(actor) or "Systemet"


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "ja" if v else "nej"
    text = day_text(v) if isinstance(v, str) else ""
    return text or str(v)


def _text(e: Any, w: Words) -> str:  # noqa: C901 - one branch per event type, read top to bottom
    t, d, a = e.type, e.data, e.actor
    task = w.task(d.get("task"))
    Task = task[0].upper() + task[1:]  # noqa: N806 - the same words at the start of a sentence
    if t == "CaseReferred":
        how = " (anonymt deltagande)" if d.get("anonymous") else ""
        return f"Remiss från {w.party(d.get('referred_by'))} registrerades{_by(w, a)}{how}"
    if t == "CaseMigrated":
        return "Ärendet flyttades till en ny version av processen"
    if t == "CaseClosed":
        if d.get("avbrott"):
            why = f": {L.AVBROTT(str(d['reason']))}" if d.get("reason") else ""
            return f"{_subject(w, a)} avslutade ärendet med avbrott{why}"
        return f"{_subject(w, a)} avslutade ärendet med utfallet {L.OUTCOMES.get(str(d.get('outcome')), 'okänt')}"
    if t == "ConsentRecorded":
        form, given = d.get("form"), day_text(d.get("given_on"))
        extra = ", ".join(x for x in (str(form) if form else "", f"lämnat {given}" if given else "") if x)
        return f"{_subject(w, a)} registrerade samtycke för {w.parties_text(d.get('parties'))}" + (
            f" ({extra})" if extra else ""
        )
    if t == "ConsentWithdrawn":
        remaining = d.get("remaining") or []
        rest = "; inget samtycke gäller"
        if remaining:
            rest = f"; samtycket gäller fortfarande för {w.parties_text(remaining)}"
        return f"Samtycket för {w.parties_text(d.get('parties'))} återkallades{_by(w, a)}{rest}"
    if t == "ConsentEnded":
        return f"Samtycket för {w.parties_text(d.get('parties'))} upphörde när ärendet avslutades"
    if t == "ParticipationDecided":
        return f"{_subject(w, a)} registrerade beslut om deltagande: {L.DECISIONS.get(str(d.get('decision')), 'okänt')}"
    if t == "PhaseEntered":
        label = d.get("label") or w.phase(d.get("phase"))
        who = w.who(a)
        return f"{who} förde ärendet till fasen {label}" if who else f"Ärendet gick in i fasen {label}"
    if t == "PhaseLeft":
        return f"Fasen {w.phase(d.get('phase'))} lämnades"
    if t == "PhaseExtended":
        return f"{_subject(w, a)} förlängde fasen {w.phase(d.get('phase'))} till {day_text(d.get('ends_on'))}"
    if t == "PhaseMaxLengthReached":
        return f"Fasen {w.phase(d.get('phase'))} har nått sin längsta tid ({day_text(d.get('ends_on'))})"
    if t == "TaskCreated":
        due = day_text(d.get("due"))
        label = f"'{d['label']}'" if d.get("label") else "en uppgift"
        return f"Ny uppgift till {w.party(d.get('responsible'))}: {label}" + (f", senast {due}" if due else "")
    if t == "TaskAccepted":
        return f"{Task} accepterades{_by(w, a)}"
    if t == "TaskDeclined":
        return f"{Task} avböjdes{_by(w, a)}"
    if t == "TaskCompleted":
        return f"{Task} slutfördes{_by(w, a)}"
    if t == "TaskCommented":
        return f"{_subject(w, a)} kommenterade {task}"
    if t == "TaskCancelled":
        return f"{Task} avbröts{CANCEL_REASONS.get(str(d.get('reason')), '')}"
    if t == "TaskDueChanged":
        return f"{Task} fick ny förfallodag: {day_text(d.get('due'))}"
    if t == "ReminderDue":
        return f"Påminnelse: {task} ska vara klar {day_text(d.get('due'))}"
    if t == "DeadlineMissed":
        return f"{Task} är inte klar och förföll {day_text(d.get('due'))}"
    if t == "TaskEscalated":
        return f"{Task} eskalerades till {w.party(d.get('to'))}"
    if t == "ContactRecorded":
        on = day_text(d.get("on"))
        channel = f" ({d['channel']})" if d.get("channel") else ""
        return f"{_subject(w, a)} registrerade kontakt med deltagaren" + (f" {on}" if on else "") + channel
    if t == "FactRecorded":
        label = w.facts.get(str(d.get("fact"))) or "en uppgift"
        value = f": {_value(d['value'])}" if "value" in d and d["value"] not in (None, "") else ""
        return f"{_subject(w, a)} registrerade '{label}'{value}"
    if t == "NoContactAlert":
        since = day_text(d.get("last_contact_on"))
        return "Ingen kontakt med deltagaren" + (f" sedan {since}" if since else " har registrerats")
    if t == "MaxTimeReached":
        return f"Insatsen har nått sin längsta tid (startade {day_text(d.get('started_on'))})"
    if t == "RehabCheckpointWarning":
        return f"Rehabiliteringskedjan: dag {d.get('day')} infaller {day_text(d.get('checkpoint_on'))}"
    if t == "RehabCheckpointReached":
        return f"Rehabiliteringskedjan: dag {d.get('day')} är nådd"
    if t == "ProtectedIdentitySet":
        return f"{_subject(w, a)} registrerade att deltagaren har skyddade personuppgifter"
    return _team_text(e, w, task) or L.EVENTS.get(t, "Händelse i ärendet")


def _team_text(e: Any, w: Words, task: str) -> str | None:
    """The case team's events (issue 14): people by the names recorded with them, never their ids."""
    t, d, a = e.type, e.data, e.actor
    Task = task[0].upper() + task[1:]  # noqa: N806
    party = w.party(d.get("party"))
    if t == "TeamMemberAdded":
        return f"{d.get('name') or w.who(d.get('user_id')) or 'En handläggare'} kom med i teamet för {party}{_by(w, a)}"
    if t == "TeamMemberRemoved":
        return f"{w.who(d.get('user_id')) or 'En handläggare'} togs bort ur teamet för {party}{_by(w, a)}"
    if t == "CaseHandedOver":
        old = w.who(d.get("from_user")) or "en handläggare"
        return f"Ärendet lämnades över från {old} till {d.get('to_name') or 'en kollega'} ({party})"
    if t == "TaskAssigned":
        return f"{Task} tilldelades {d.get('assignee_name') or 'en handläggare'}{_by(w, a)}"
    if t == "TaskUnassigned":
        return f"{Task} har ingen tilldelad längre"
    if t == "TaskPriorityChanged":
        return f"{Task} fick prioritet {'hög' if d.get('priority') == 'high' else 'normal'}{_by(w, a)}"
    if t == "TaskFollowUpChanged":
        on = day_text(d.get("on"))
        return f"{Task} ska påbörjas senast {on}" if on else f"{Task} har inget datum för påbörja senast längre"
    if t == "ExternalReferenceSet":
        ref = d.get("reference")
        return f"{party} registrerade diarienummer {ref}" if ref else f"{party} tog bort sitt diarienummer"
    if t == "EmergencyAccessGranted":
        return f"{w.who(d.get('user_id')) or 'En handläggare'} ({party}) fick nödåtkomst till ärendet"
    return None


NOTE_KEYS = ("note", "reason", "text")


def sentence(e: Any, w: Words) -> Sentence:
    """One event (an EventOut) in words. Its note: the free text someone wrote with it, if shown."""
    data = e.data
    note = next((str(data[k]) for k in NOTE_KEYS if data.get(k) and _is_written(e.type, k, data[k], data)), None)
    return Sentence(at=e.at, text=_text(e, w), note=note, system=e.type in SYSTEM_EVENTS)


def _is_written(event: str, key: str, value: Any, data: dict[str, Any]) -> bool:
    """A reason the engine filled with a code (a cancelled task's) is not a note."""
    if event == "TaskCancelled":
        return False
    if event == "CaseClosed" and key == "reason" and data.get("avbrott"):
        return False  # an avbrott's reason is one of the definition's, in the sentence
    return not (event == "ConsentWithdrawn" and key == "reason" and not isinstance(value, str))
