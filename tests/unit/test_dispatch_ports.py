"""The dispatcher and the digest through their `Fake*` ports: the outbox in memory, mail and
webhooks captured, time from a fake clock (real SMTP/HTTP servers: tests/integration)."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

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


# --- claims: one owner at a time, for a lease read from the clock (issue 13) ---------------------


def _emails(outbox: FakeOutbox, n: int) -> ContactDirectory:
    _task_created(outbox)
    contacts = ContactDirectory()
    for i in range(n):
        contacts.register_email("samordnare", f"sara{i}@kommun.example")
    return contacts


class _SlowMail(FakeMailTransport):
    """Each message takes a minute of the clock; `during(n)` runs while the n-th one is on its way."""

    def __init__(self, clock: FakeClock, during: dict[int, object] | None = None) -> None:
        super().__init__()
        self.clock = clock
        self.during = during or {}

    def send(self, message: EmailMessage) -> None:
        self.clock.advance(minutes=1)
        action = self.during.get(len(self.messages) + 1)
        if callable(action):
            action()
        super().send(message)


def test_a_state_change_of_a_claim_applies_only_while_its_owner_still_holds_it() -> None:
    outbox = FakeOutbox()
    contacts = _emails(outbox, 1)
    _dispatcher(outbox, contacts).route(NOW, 10, DispatchStats())
    [row] = outbox.claim(NOW, 10, "run-a", NOW + timedelta(minutes=2))
    assert (row.owner, row.status, row.attempts) == ("run-a", "sending", 1)
    assert outbox.claim(NOW + timedelta(minutes=1), 10, "run-b", NOW + timedelta(minutes=3)) == [], "still leased"
    [taken] = outbox.claim(NOW + timedelta(minutes=2), 10, "run-b", NOW + timedelta(minutes=4))  # lease ran out
    assert (taken.id, taken.owner, taken.attempts) == (row.id, "run-b", 2)

    assert not outbox.mark_sent(row.id, "run-a", NOW + timedelta(minutes=2))
    assert not outbox.mark_retry(row.id, "run-a", NOW + timedelta(minutes=5), "SMTP svarar inte")
    assert not outbox.mark_dead(row.id, "run-a", "för många försök")
    assert outbox.rows[row.id] == taken, "the first owner's changes were not applied"
    assert outbox.mark_sent(row.id, "run-b", NOW + timedelta(minutes=3))
    assert (outbox.rows[row.id].status, outbox.rows[row.id].sent_at) == ("sent", NOW + timedelta(minutes=3))
    assert not outbox.mark_retry(row.id, "run-b", NOW, "x"), "a sent row is no longer under anybody's lease"


def test_a_round_longer_than_the_lease_sends_each_message_once_while_another_dispatcher_works() -> None:
    outbox, clock = FakeOutbox(), FakeClock(NOW)
    contacts = _emails(outbox, 6)
    other_mail = FakeMailTransport()
    other = Dispatcher(outbox, contacts, clock, mail=other_mail, lease=timedelta(minutes=3),
                       owner_tokens=lambda: "run-b")  # fmt: skip
    others: list[DispatchStats] = []
    slow = _SlowMail(clock, during={4: lambda: others.append(other.run_once())})  # at NOW + 4 min
    first = Dispatcher(outbox, contacts, clock, mail=slow, lease=timedelta(minutes=3), owner_tokens=lambda: "run-a")

    stats = first.run_once()
    ids = [m["Message-ID"] for m in slow.messages + other_mail.messages]
    assert len(ids) == len(set(ids)) == 6, "no message went out twice"
    assert (stats.sent, others[0].sent, stats.lost + others[0].lost) == (4, 2, 0)
    sent = sorted(outbox.of_kind("email"), key=lambda m: m.id)
    assert [(m.status, m.attempts) for m in sent] == [("sent", 1)] * 6
    assert [m.owner for m in sent] == ["run-a"] * 4 + ["run-b"] * 2
    assert [m.sent_at for m in sent[:4]] == [NOW + timedelta(minutes=k) for k in range(1, 5)], (
        "sent_at is the clock after each delivery, not the start of the round"
    )


def test_a_run_whose_lease_ran_out_during_a_send_leaves_the_row_to_the_new_owner() -> None:
    outbox, clock = FakeOutbox(), FakeClock(NOW)
    contacts = _emails(outbox, 1)
    other_mail = FakeMailTransport()
    other = Dispatcher(outbox, contacts, clock, mail=other_mail, lease=timedelta(minutes=2),
                       owner_tokens=lambda: "run-b")  # fmt: skip
    others: list[DispatchStats] = []

    def stall() -> None:  # the send hangs past the lease and another worker takes the row over
        clock.advance(minutes=5)
        others.append(other.run_once())

    first = Dispatcher(outbox, contacts, clock, mail=_SlowMail(clock, during={1: stall}),
                       lease=timedelta(minutes=2), owner_tokens=lambda: "run-a")  # fmt: skip
    stats = first.run_once()
    assert (stats.sent, stats.lost, others[0].sent) == (0, 1, 1)
    [row] = outbox.of_kind("email")
    assert (row.status, row.owner, row.sent_at) == ("sent", "run-b", NOW + timedelta(minutes=6))


# --- the case team (issue 14): a task's notifications go to its assignee --------------------


def _assigned(outbox: FakeOutbox, assignee: str) -> None:
    from engine.service.preferences import AccountPreference

    outbox.definitions["c1"] = finsam()
    outbox.tasks[("c1", "bekrafta_remiss")] = TaskFacts("Bekräfta mottagen remiss", date(2026, 6, 22), False)
    outbox.preferences = [
        AccountPreference("vera@kommun", "handlaggare", "kommun", (), "vera@kommun.example", "event"),
        AccountPreference("nils@kommun", "handlaggare", "kommun", (), "nils@kommun.example", "digest"),
        AccountPreference("sara@kommun", "samordnare", "kommun", ("samordnare",), "sara@kommun.example", "event"),
    ]
    payload = {"type": "ReminderDue", "case_id": "c1", "task": "bekrafta_remiss", "assignee": assignee}
    outbox.notify("c1", event_id=3, seq=3, recipient="samordnare", payload=payload, at=NOW)


def test_a_task_notification_goes_to_its_assignee_not_to_the_roles_addresses() -> None:
    outbox, mail = FakeOutbox(), FakeMailTransport()
    _assigned(outbox, "vera@kommun")
    contacts = ContactDirectory()
    contacts.register_email("samordnare", "team@kommun.example")
    assert _dispatcher(outbox, contacts, mail=mail).run_once().sent == 1
    assert [m["To"] for m in mail.messages] == ["vera@kommun.example"]


def test_a_substitute_gets_the_absent_assignees_notification_by_their_own_choice() -> None:
    outbox, mail = FakeOutbox(), FakeMailTransport()
    _assigned(outbox, "vera@kommun")
    outbox.substitutes["vera@kommun"] = ["nils@kommun"]
    _dispatcher(outbox, ContactDirectory(), mail=mail).run_once()
    assert mail.messages == []  # Nils chose the daily digest
    assert [m.payload["to"] for m in outbox.of_kind("digest_item")] == ["nils@kommun.example"]


def test_an_assignee_without_an_address_leaves_it_to_the_roles_addresses() -> None:
    outbox, mail = FakeOutbox(), FakeMailTransport()
    _assigned(outbox, "okand@kommun")
    contacts = ContactDirectory()
    contacts.register_email("samordnare", "team@kommun.example")
    _dispatcher(outbox, contacts, mail=mail).run_once()
    assert sorted(m["To"] for m in mail.messages) == ["sara@kommun.example", "team@kommun.example"]


def test_the_digest_is_per_person_for_assigned_tasks_and_per_role_for_the_rest() -> None:
    from engine.service.preferences import AccountPreference

    outbox = FakeOutbox()
    outbox.definitions["c1"] = finsam()
    outbox.last_event_ids["c1"] = 7
    outbox.preferences = [
        AccountPreference("vera@kommun", "handlaggare", "kommun", (), "vera@kommun.example", "event"),
        AccountPreference("nils@kommun", "handlaggare", "kommun", (), "nils@kommun.example", "event"),
    ]
    outbox.due_tasks = [
        DueTask("c1", "a", "Veras", "kommun", "samordnare", None, date(2026, 6, 8), "vera@kommun"),
        DueTask("c1", "b", "Ingens", "kommun", "samordnare", None, date(2026, 6, 9)),
        DueTask("c1", "c", "Annas (borta)", "kommun", "samordnare", None, date(2026, 6, 9), "anna@kommun"),
    ]
    outbox.preferences.append(AccountPreference("anna@kommun", "handlaggare", "kommun", (), "anna@k.example", "event"))
    outbox.substitutes["anna@kommun"] = ["nils@kommun"]
    contacts = ContactDirectory()
    contacts.register_email("samordnare", "team@kommun.example")
    DigestService(outbox, FakeClock(NOW), contacts).run(SYSTEM)
    sent = sorted((m.payload["to"], m.payload["task"]) for m in outbox.of_kind("digest_item"))
    assert sent == [("nils@kommun.example", "c"), ("team@kommun.example", "b"), ("vera@kommun.example", "a")]
