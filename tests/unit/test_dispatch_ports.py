"""The dispatcher and the digest through their `Fake*` ports: the outbox in memory, mail and
webhooks captured, time from a fake clock (real SMTP/HTTP servers: tests/integration)."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

from engine.service.access import Caller
from engine.service.contacts import ContactDirectory
from engine.service.digest import DigestService
from engine.service.dispatch import Dispatcher, DispatchStats
from engine.service.mail_message import message_id
from engine.service.outbox_ports import DeliveryError, DueTask, TaskFacts
from engine.service.retry import RetryPolicy
from tests.fakes import FakeClock, FakeMailTransport, FakeOutbox, FakeWebhookTransport
from tests.unit.casekit import finsam

NOW = datetime(2026, 6, 15, 8, tzinfo=UTC)  # Monday 10:00 in Stockholm: office hours
ADMIN = Caller("frida.admin@forbund", "forbund_admin", None)
SYSTEM = Caller("system:digest", "system", None)
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def _task_created(outbox: FakeOutbox) -> None:
    outbox.definitions["c1"] = finsam()
    outbox.tasks[("c1", "bekrafta_remiss")] = TaskFacts("Bekräfta mottagen remiss", date(2026, 6, 22), False)
    payload = {"type": "TaskCreated", "case_id": "c1", "task": "bekrafta_remiss", "due": "2026-06-22",
               "party": "kommun", "comment": "fritext som aldrig lämnar systemet"}  # fmt: skip
    outbox.notify("c1", event_id=3, seq=3, recipient="samordnare", payload=payload, at=NOW)


def _dispatcher(outbox: FakeOutbox, contacts: ContactDirectory, **kw: object) -> Dispatcher:
    return Dispatcher(outbox, contacts, FakeClock(NOW), retry=RetryPolicy(max_attempts=2, base_seconds=60), **kw)  # type: ignore[arg-type]


def test_a_notification_is_routed_to_email_and_webhook_and_each_is_sent_once() -> None:
    outbox, mail, hooks = FakeOutbox(), FakeMailTransport(), FakeWebhookTransport()
    _task_created(outbox)
    contacts = ContactDirectory()
    contacts.register_email("samordnare", "sara@kommun.example")
    contacts.register_webhook("kommun", "https://kommun.example/hooks", SECRET)
    d = _dispatcher(outbox, contacts, mail=mail, webhooks=hooks)

    stats = d.run_once()
    assert (stats.routed, stats.sent, stats.errors) == (1, 2, [])
    assert [m.status for m in outbox.of_kind("TaskCreated")] == ["routed"]
    (msg,) = mail.messages
    assert msg["Message-ID"] == message_id("c1:3:samordnare:email:sara@kommun.example")
    assert "Bekräfta mottagen remiss" in msg.get_content()
    ((url, hook_id, payload),) = hooks.sent
    assert (url, hook_id) == ("https://kommun.example/hooks", "c1:3:webhook:kommun")
    assert "comment" not in payload
    assert payload["task"] == "bekrafta_remiss"
    assert d.status_counts(ADMIN) == {"sent": 2}
    assert d.run_once().sent == 0, "nothing is sent twice"


def test_a_failing_transport_retries_with_backoff_then_dead_letters_and_redrive_requeues() -> None:
    outbox, mail = FakeOutbox(), FakeMailTransport()
    _task_created(outbox)
    contacts = ContactDirectory()
    contacts.register_email("samordnare", "sara@kommun.example")
    d = _dispatcher(outbox, contacts, mail=mail)
    mail.down = DeliveryError("SMTP svarar inte")

    first = d.run_once()
    assert (first.sent, first.retried) == (0, 1)
    (queued,) = d.deliveries(ADMIN, status="queued")
    assert queued.attempts == 1
    assert queued.next_attempt_at == NOW + timedelta(seconds=60)
    assert "SMTP svarar inte" in (queued.last_error or "")
    assert d.run_once(NOW + timedelta(minutes=2)).dead == 1, "the second failure is the last allowed"
    assert d.redrive(ADMIN, now=NOW + timedelta(minutes=3)) == 1
    mail.down = None
    assert d.run_once(NOW + timedelta(minutes=3)).sent == 1
    assert len(mail.messages) == 1


def test_the_digest_writes_its_items_once_a_day_and_the_dispatcher_sends_one_mail_per_address() -> None:
    outbox, mail = FakeOutbox(), FakeMailTransport()
    outbox.definitions["c1"] = finsam()
    outbox.last_event_ids["c1"] = 7
    outbox.due_tasks = [
        DueTask("c1", "bekrafta_remiss", "Bekräfta mottagen remiss", "kommun", "samordnare", None, date(2026, 6, 8)),
        DueTask("c1", "kartlagg", "Kartläggning", "kommun", "samordnare", "teamledare", date(2026, 6, 19)),
        DueTask("c1", "senare", "Nästa vecka", "kommun", "samordnare", None, date(2026, 6, 23)),
    ]
    contacts = ContactDirectory()
    contacts.register_email("samordnare", "sara@kommun.example")
    digest = DigestService(outbox, FakeClock(NOW), contacts)

    report = digest.run(SYSTEM)
    assert report.written == 2
    assert report.unaddressed == ["teamledare"]
    assert {m.event_id for m in outbox.of_kind("digest_item")} == {7}
    assert digest.run(SYSTEM).written == 0, "a second run the same day writes nothing"

    d = _dispatcher(outbox, contacts, mail=mail)
    stats = DispatchStats()
    assert d.collect_digests(NOW, stats) == 1
    d.deliver(NOW, 50, stats)
    (msg,) = mail.messages
    body = msg.get_content()
    assert "Försenad" in body
    assert "Påminnelse" in body
    assert {m.status for m in outbox.of_kind("digest_item")} == {"digested"}
