"""The dispatcher when things break: SMTP down, a webhook receiver failing or hanging, digests,
dead letters and re-drive. Real SMTP and HTTP servers on 127.0.0.1; time from a fake clock."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.adapters.notify.email import SmtpConfig, SmtpSender
from engine.adapters.notify.webhooks import WebhookSender
from engine.bootstrap import Services, new_dispatcher
from engine.core import commands as c
from engine.service.contacts import ContactDirectory
from engine.service.dispatch import Dispatcher
from engine.service.errors import ServiceError
from engine.service.retry import RetryPolicy
from engine.service.timers import sweep_due_timers
from tests.fakes import FakeClock
from tests.integration.notify_kit import (  # noqa: F401
    SmtpServer,
    WebhookReceiver,
    smtp_server_fixture,
    webhook_receiver_fixture,
)
from tests.integration.service_kit import ADMIN, AF_HANDLAGGARE, SAMORDNARE, named_referral

TZ = ZoneInfo("Europe/Stockholm")
ADMIN_SYSTEM = ADMIN


def office(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), TZ).astimezone(UTC)


def dispatcher(svc: Services, contacts: ContactDirectory, smtp_port: int, **kw: object) -> Dispatcher:
    return new_dispatcher(
        svc, contacts, mail=SmtpSender(SmtpConfig(port=smtp_port, timeout=2)),
        webhooks=WebhookSender(timeout=0.5), retry=RetryPolicy(max_attempts=4, base_seconds=60,
                                                               jitter=random.Random(7).random), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_smtp_down_keeps_messages_queued_and_all_arrive_once_it_returns(
    services: Services, clock: FakeClock, smtp_server: SmtpServer
) -> None:
    clock.set(office(date(2026, 6, 15)))
    contacts = ContactDirectory()
    contacts.register_email("samordnare", "samordnare@kommun.se")
    contacts.register_email("teamledare", "teamledare@kommun.se")
    d = dispatcher(services, contacts, smtp_server.port)
    case_ids = [services.cases.refer(AF_HANDLAGGARE, named_referral(pnr=p, name="X")).id
                for p in ("198505052384", "198112189876")]
    smtp_server.stop()  # down for a while
    stats = d.run_once()
    assert stats.sent == 0
    assert stats.retried == 2
    clock.set(office(date(2026, 6, 26)))  # reminders, deadlines and escalations fire while SMTP is still down
    sweep_due_timers(services)
    for _ in range(2):
        clock.advance(minutes=30)
        d.run_once()
    queued = d.deliveries(ADMIN, status="queued")
    assert len(queued) == 2 * 4
    assert all(q.attempts >= 1 and q.last_error for q in queued)
    smtp_server.start()  # back
    clock.advance(hours=3)
    clock.set(office(date(2026, 6, 29)))
    stats = d.run_once()
    assert stats.sent == 8
    ids = [m.message_id for m in smtp_server.snapshot()]
    assert len(ids) == len(set(ids)) == 8
    assert {q.status for q in d.deliveries(ADMIN)} == {"sent"}
    assert all(cid[:4] for cid in case_ids)


def test_webhook_500_is_retried_with_backoff_then_dead_lettered_then_redriven(
    services: Services, clock: FakeClock, webhook_receiver: WebhookReceiver, smtp_server: SmtpServer
) -> None:
    clock.set(office(date(2026, 6, 15)))
    contacts = ContactDirectory()
    contacts.register_webhook("kommun", webhook_receiver.url, webhook_receiver.secret)
    d = dispatcher(services, contacts, smtp_server.port)
    services.cases.refer(AF_HANDLAGGARE, named_referral())
    webhook_receiver.mode = "error"
    waits = []
    for attempt in range(1, 5):
        stats = d.run_once()
        [row] = d.deliveries(ADMIN)
        assert row.attempts == attempt
        if attempt < 4:
            assert row.status == "queued"
            assert row.next_attempt_at is not None
            waits.append(row.next_attempt_at - clock())
            assert d.run_once().sent == 0  # not before its time
            clock.set(row.next_attempt_at)
        else:
            assert row.status == "dead"
            assert stats.dead == 1
    # exponential: 60·2^(n-1) seconds, times a jitter factor in [0.5, 1)
    for n, wait in enumerate(waits, start=1):
        assert timedelta(seconds=30 * 2 ** (n - 1)) <= wait <= timedelta(seconds=60 * 2 ** (n - 1))
    assert webhook_receiver.attempts == 4
    assert webhook_receiver.deliveries == []
    assert d.status_counts(ADMIN) == {"dead": 1}
    with pytest.raises(ServiceError):
        d.deliveries(SAMORDNARE)  # only the förbund's admin sees delivery status
    webhook_receiver.mode = "ok"
    assert d.redrive(ADMIN) == 1
    assert d.run_once().sent == 1
    [got] = webhook_receiver.deliveries
    [row] = d.deliveries(ADMIN)
    assert got.webhook_id == row.idempotency_key  # the same id on every attempt
    assert got.payload["type"] == "TaskCreated"
    assert "note" not in got.payload
    assert row.status == "sent"


def test_webhook_timeout_is_retried(
    services: Services, clock: FakeClock, webhook_receiver: WebhookReceiver, smtp_server: SmtpServer
) -> None:
    clock.set(office(date(2026, 6, 15)))
    contacts = ContactDirectory()
    contacts.register_webhook("kommun", webhook_receiver.url, webhook_receiver.secret)
    d = dispatcher(services, contacts, smtp_server.port)
    services.cases.refer(AF_HANDLAGGARE, named_referral())
    webhook_receiver.mode = "slow"
    stats = d.run_once()
    assert stats.retried == 1
    assert "timeout" in (d.deliveries(ADMIN)[0].last_error or "")
    webhook_receiver.mode = "ok"
    webhook_receiver.release.set()
    clock.advance(hours=1)
    assert d.run_once().sent == 1
    assert len(webhook_receiver.unique_ids()) == 1


def test_daily_digest_replaces_one_mail_per_event(
    services: Services, clock: FakeClock, smtp_server: SmtpServer
) -> None:
    clock.set(office(date(2026, 6, 15)))
    contacts = ContactDirectory()
    contacts.register_email("samordnare", "samordnare@kommun.se", digest=True)
    d = dispatcher(services, contacts, smtp_server.port)
    for pnr in ("198505052384", "198112189876"):
        case = services.cases.refer(AF_HANDLAGGARE, named_referral(pnr=pnr, name="X"))
        services.cases.execute(SAMORDNARE, case.id, c.CompleteTask("bekrafta_remiss"), None)
        services.cases.execute(SAMORDNARE, case.id, c.StartPhase("samtycke"), None)
    d.run_once()
    assert smtp_server.snapshot() == []
    clock.set(office(date(2026, 6, 16), 7))
    d.run_once()
    [mail] = smtp_server.snapshot()
    assert "Daglig sammanfattning" in str(mail.message["Subject"])
    assert "Nya uppgifter (4)" in mail.message.get_content()
    d.run_once()
    assert len(smtp_server.snapshot()) == 1


def test_the_address_chosen_on_the_settings_page_gets_the_mail_and_none_means_none(
    services: Services, clock: FakeClock, smtp_server: SmtpServer
) -> None:
    clock.set(office(date(2026, 6, 15)))
    accounts = services.accounts
    accounts.save("sara.samordnare@kommun", kind="samordnare", party="kommun", roles=("samordnare",), name="Sara")
    accounts.save("kalle.samordnare@kommun", kind="samordnare", party="kommun", roles=("samordnare",), name="Kalle")
    sara = accounts.get("sara.samordnare@kommun")
    kalle = accounts.get("kalle.samordnare@kommun")
    assert sara is not None
    assert kalle is not None
    accounts.set_notifications(sara.caller(), "sara@kommun.example", "event")
    accounts.set_notifications(kalle.caller(), "kalle@kommun.example", "none")
    d = dispatcher(services, ContactDirectory(), smtp_server.port)  # nobody in the directory
    services.cases.refer(AF_HANDLAGGARE, named_referral(pnr="198112189876", name="X"))
    stats = d.run_once()
    recipients = sorted(r for m in smtp_server.snapshot() for r in m.rcpt)
    assert stats.sent >= 1
    assert set(recipients) == {"sara@kommun.example"}
