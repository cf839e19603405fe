"""NotificationService on FakeOutbox: who sees which notification (a role within its party, or the
party), the e-mail's text, read marks per person, and nothing for the förbund or auditors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from engine.service.access import Caller
from engine.service.notifications import NotificationService
from engine.service.outbox_ports import NewOutboxMessage, TaskFacts
from tests.fakes import FakeClock, FakeOutbox

from .casekit import finsam

AT = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
SARA = Caller(user_id="sara", kind="samordnare", party="kommun", roles=("samordnare",), name="Sara")
ANNA = Caller(user_id="anna", kind="handlaggare", party="af", roles=(), name="Anna")
ODD = Caller(user_id="odd", kind="handlaggare", party="af", roles=("samordnare",), name="Odd")  # a kommun role
ADMIN = Caller(user_id="frida", kind="forbund_admin", party=None, roles=(), name="Frida")
CASE = "c" * 32


def note(outbox: FakeOutbox, recipient: str, task: str, n: int) -> int:
    row = outbox.insert(
        NewOutboxMessage(
            case_id=CASE, event_id=n, kind="TaskCreated", recipient=recipient,
            payload={"type": "TaskCreated", "case_id": CASE, "task": task, "due": "2026-06-22"},
            idempotency_key=f"{CASE}:{n}:{recipient}", status="pending", next_attempt_at=AT,
            created_at=AT + timedelta(minutes=n),
        )  # fmt: skip
    )
    return row.id


def service() -> tuple[NotificationService, FakeOutbox]:
    outbox = FakeOutbox()
    outbox.definitions[CASE] = finsam()
    outbox.tasks[(CASE, "t1")] = TaskFacts(label="Bekräfta mottagen remiss", due=date(2026, 6, 22), meeting=False)
    outbox.tasks[(CASE, "t2")] = TaskFacts(label="Delta i inskrivningssamtalet", due=None, meeting=False)
    note(outbox, "samordnare", "t1", 1)
    note(outbox, "af", "t2", 2)
    svc = NotificationService(outbox, FakeClock(AT), case_link="{base_url}/arenden/{case_id}", base_url="https://x.se")
    return svc, outbox


def test_each_person_gets_what_is_addressed_to_their_role_within_their_party_or_to_their_party() -> None:
    svc, _ = service()
    sara = svc.list(SARA)
    assert [i.subject for i in sara.items] == ["Ny uppgift: Bekräfta mottagen remiss (INS-CCCCCCCC)"]
    assert sara.items[0].text.startswith("Du har fått en ny uppgift i ärende INS-CCCCCCCC: Bekräfta mottagen remiss.")
    assert f"Öppna ärendet: https://x.se/arenden/{CASE}" in sara.items[0].text
    assert sara.items[0].at == AT + timedelta(minutes=1)
    anna = svc.list(ANNA)
    assert [i.subject for i in anna.items] == ["Ny uppgift: Delta i inskrivningssamtalet (INS-CCCCCCCC)"]
    odd = svc.list(ODD)  # a kommun role in an af account: only what is addressed to af
    assert [i.subject for i in odd.items] == [anna.items[0].subject]
    assert svc.list(ADMIN).total == 0
    assert svc.unread(ADMIN) == 0


def test_read_marks_are_per_person_and_only_for_their_own_notifications() -> None:
    svc, outbox = service()
    anna_id = svc.list(ANNA).items[0].id
    assert svc.unread(SARA) == 1
    assert svc.mark_read(SARA, [anna_id]) == 0  # not hers
    assert svc.unread(ANNA) == 1
    third = note(outbox, "samordnare", "t1", 3)
    assert svc.unread(SARA) == 2
    assert svc.mark_read(SARA, [third]) == 1
    listed = svc.list(SARA)
    assert (listed.unread, [i.read for i in listed.items]) == (1, [True, False])  # newest first
    assert [i.id for i in svc.list(SARA, unread_only=True).items] == [listed.items[1].id]
    assert svc.mark_read(SARA) == 2
    assert svc.unread(SARA) == 0
    assert svc.unread(ANNA) == 1
