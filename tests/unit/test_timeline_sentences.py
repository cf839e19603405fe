"""Every event type of the engine reads as a Swedish sentence with names and labels: no key, id,
code or user id in the text (api/pages/timeline.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.pages.timeline import SYSTEM_EVENTS, Words, sentence
from engine.core.events import EVENT_TYPES
from engine.service.views import EventOut

AT = datetime(2026, 6, 15, 8, tzinfo=UTC)
WORDS = Words(
    parties={"af": "Arbetsförmedlingen", "kommun": "Kommunen", "region": "Regionen"},
    roles={"samordnare": "Samordnare", "teamledare": "Teamledare"},
    phases={"beslut": "Beslut om deltagande", "arbetstraning": "Arbetsträning"},
    facts={"avstamningsmote_hallet": "Avstämningsmöte hållet"},
    tasks={"bekrafta_remiss": "Bekräfta mottagen remiss"},
    people={"sara@kommun": "Sara Lind", "per@kommun": "Per Holm"}.get,
)
DATA: dict[str, dict[str, Any]] = {
    "CaseReferred": {"referred_by": "kommun", "anonymous": False, "definition": "finsam-insats@1"},
    "ConsentRecorded": {"parties": ["af", "kommun"], "given_on": "2026-06-15", "form": "skriftligt"},
    "ConsentWithdrawn": {"parties": ["af"], "remaining": ["kommun"], "reason": "Muntligt"},
    "ConsentEnded": {"parties": ["af", "kommun"]},
    "ParticipationDecided": {"decision": "admitted", "note": "Enigt team"},
    "PhaseEntered": {"phase": "arbetstraning", "label": "Arbetsträning", "kind": "work_training", "ends_on": None},
    "PhaseLeft": {"phase": "beslut"},
    "PhaseExtended": {"phase": "arbetstraning", "ends_on": "2026-12-15", "reason": "Behöver mer tid"},
    "PhaseMaxLengthReached": {"phase": "arbetstraning", "ends_on": "2026-09-15"},
    "TaskCreated": {"task": "bekrafta_remiss", "label": "Bekräfta mottagen remiss", "kind": "task",
                    "responsible": "samordnare", "party": "kommun", "due": "2026-06-22", "blocking": True},
    "TaskAccepted": {"task": "bekrafta_remiss", "party": "kommun"},
    "TaskDeclined": {"task": "bekrafta_remiss", "party": "kommun", "reason": "Fel mottagare"},
    "TaskCompleted": {"task": "bekrafta_remiss", "party": "kommun", "note": "Ringt deltagaren"},
    "TaskCommented": {"task": "bekrafta_remiss", "text": "Väntar på svar"},
    "TaskCancelled": {"task": "bekrafta_remiss", "reason": "phase_left"},
    "TaskDueChanged": {"task": "bekrafta_remiss", "due": "2026-06-30"},
    "ReminderDue": {"task": "bekrafta_remiss", "due": "2026-06-22", "party": "kommun"},
    "DeadlineMissed": {"task": "bekrafta_remiss", "due": "2026-06-22", "party": "kommun"},
    "TaskEscalated": {"task": "bekrafta_remiss", "to": "teamledare", "due": "2026-06-22", "party": "kommun"},
    "ContactRecorded": {"on": "2026-06-15", "channel": "telefon"},
    "FactRecorded": {"fact": "avstamningsmote_hallet", "value": "2026-06-15"},
    "NoContactAlert": {"last_contact_on": "2026-05-01"},
    "MaxTimeReached": {"started_on": "2025-06-15"},
    "RehabCheckpointWarning": {"day": 90, "checkpoint_on": "2026-07-01"},
    "RehabCheckpointReached": {"day": 90},
    "CaseClosed": {"phase": "avslut", "outcome": "studier", "reason": None, "avbrott": False},
    "CaseMigrated": {"from_version": 1, "to_version": 2},
    "ProtectedIdentitySet": {},
    "TeamMemberAdded": {"party": "kommun", "user_id": "per@kommun", "name": "Per Holm", "role": "samordnare"},
    "TeamMemberRemoved": {"party": "kommun", "user_id": "per@kommun"},
    "CaseHandedOver": {"party": "kommun", "from_user": "per@kommun", "to_user": "sara@kommun", "to_name": "Sara Lind",
                       "tasks": ["bekrafta_remiss"]},
    "TaskAssigned": {"task": "bekrafta_remiss", "party": "kommun", "assignee": "per@kommun",
                     "assignee_name": "Per Holm"},
    "TaskUnassigned": {"task": "bekrafta_remiss", "party": "kommun"},
    "TaskPriorityChanged": {"task": "bekrafta_remiss", "party": "kommun", "priority": "high"},
    "TaskFollowUpChanged": {"task": "bekrafta_remiss", "party": "kommun", "on": "2026-06-20"},
    "ExternalReferenceSet": {"party": "kommun", "reference": "SOC-2026-117"},
    "EmergencyAccessGranted": {"user_id": "per@kommun", "party": "kommun", "reason": "Akut ärende, samordnaren sjuk",
                               "until": "2026-06-16T08:00:00+00:00"},
}
EXPECTED = {
    "ConsentRecorded": "Sara Lind registrerade samtycke för Arbetsförmedlingen och Kommunen "
    "(skriftligt, lämnat 15 juni 2026)",
    "TaskCompleted": "Uppgiften 'Bekräfta mottagen remiss' slutfördes av Sara Lind",
    "ParticipationDecided": "Sara Lind registrerade beslut om deltagande: Antagen",
    "FactRecorded": "Sara Lind registrerade 'Avstämningsmöte hållet': 15 juni 2026",
    "TaskEscalated": "Uppgiften 'Bekräfta mottagen remiss' eskalerades till Teamledare",
    "CaseClosed": "Sara Lind avslutade ärendet med utfallet Studier",
    "TaskAssigned": "Uppgiften 'Bekräfta mottagen remiss' tilldelades Per Holm av Sara Lind",
    "CaseHandedOver": "Per Holm lämnade över ärendet till Sara Lind",
    "TaskPriorityChanged": "Sara Lind satte prioritet hög på uppgiften 'Bekräfta mottagen remiss'",
}  # fmt: skip
CODES = ("admitted", "studier", "arbetstraning", "avstamningsmote_hallet", "bekrafta_remiss", "samordnare",
         "teamledare", "kommun", "af", "sara@kommun",
         "per@kommun", "high", "phase_left", "work_training", "finsam-insats")  # fmt: skip
KEYS = re.compile(r"\b(label|task|phase|due|parties|remaining|fact|value|decision|outcome|reason|to|on|day):")


def event(type_: str, data: dict[str, Any], actor: str | None = "sara@kommun") -> EventOut:
    return EventOut(id=1, case_id="c1", seq=1, type=type_, at=AT, data=data, actor=actor)


def test_every_event_type_has_sample_data() -> None:
    assert set(DATA) == set(EVENT_TYPES)


@pytest.mark.parametrize("type_", EVENT_TYPES)
def test_every_event_type_reads_as_a_sentence_without_codes(type_: str) -> None:
    s = sentence(event(type_, DATA[type_]), WORDS)
    assert s.text[0].isupper()
    for code in CODES:
        assert not re.search(rf"(?<![\wåäö]){re.escape(code)}(?![\wåäö])", s.text), (code, s.text)
    assert not KEYS.search(s.text), s.text
    assert s.system == (type_ in SYSTEM_EVENTS)


@pytest.mark.parametrize("type_", sorted(EXPECTED))
def test_the_sentences_name_people_and_labels(type_: str) -> None:
    assert sentence(event(type_, DATA[type_]), WORDS).text == EXPECTED[type_]


def test_notes_come_apart_and_a_coded_reason_is_no_note() -> None:
    assert sentence(event("TaskCompleted", DATA["TaskCompleted"]), WORDS).note == "Ringt deltagaren"
    assert sentence(event("TaskCancelled", DATA["TaskCancelled"]), WORDS).note is None
    avbrott = {"phase": "kartlaggning", "outcome": None, "reason": "flytt", "note": None, "avbrott": True}
    s = sentence(event("CaseClosed", avbrott), WORDS)
    assert (s.text, s.note) == ("Sara Lind avslutade ärendet med avbrott: Flytt", None)


def test_an_unknown_person_or_the_system_is_never_named_by_id() -> None:
    s = sentence(event("TaskAccepted", DATA["TaskAccepted"], actor="okand@af"), WORDS)
    assert s.text == "Uppgiften 'Bekräfta mottagen remiss' accepterades av en handläggare"
    assert sentence(event("ReminderDue", DATA["ReminderDue"], actor="system"), WORDS).text.startswith("Påminnelse")


@given(task=st.text(min_size=1, max_size=20), party=st.text(min_size=1, max_size=20))
def test_ids_the_words_do_not_know_are_never_shown(task: str, party: str) -> None:
    """A task or party id without a label (an older version, a removed role) reads as 'en uppgift'
    / 'en part', never as the id."""
    data = {"task": "x" + task, "to": "y" + party, "due": None, "party": "y" + party}
    text = sentence(event("TaskEscalated", data), WORDS).text
    assert text == "En uppgift eskalerades till en part"
