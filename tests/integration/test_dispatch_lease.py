"""Two dispatchers on one outbox with a slow SMTP server: a message is claimed by one worker at a
time, for a lease shorter than the whole batch, and delivered exactly once (issue 13)."""

from __future__ import annotations

import threading
import time as walltime
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.adapters.notify.email import SmtpConfig, SmtpSender
from engine.bootstrap import Services, new_dispatcher
from engine.service.contacts import ContactDirectory
from engine.service.dispatch import Dispatcher, DispatchStats
from engine.service.retry import RetryPolicy
from tests.fakes import FakeClock
from tests.integration.conftest import make_services
from tests.integration.notify_kit import SmtpServer, smtp_server_fixture  # noqa: F401
from tests.integration.service_kit import ADMIN, AF_HANDLAGGARE, named_referral

TZ = ZoneInfo("Europe/Stockholm")
MESSAGES = 12
LEASE = timedelta(minutes=4)
PER_MESSAGE = timedelta(minutes=1)
"""What one message costs the slow server, in clock time: the whole batch takes 12 minutes."""


def _dispatcher(svc: Services, contacts: ContactDirectory, port: int) -> Dispatcher:
    return new_dispatcher(
        svc, contacts, mail=SmtpSender(SmtpConfig(port=port, timeout=10)), lease=LEASE,
        retry=RetryPolicy(jitter=lambda: 0.5),
    )  # fmt: skip


def _work_until_empty(d: Dispatcher, total: DispatchStats, failures: list[BaseException]) -> None:
    """A worker's loop: rounds until every delivery is sent (60 s at most)."""
    deadline = walltime.monotonic() + 60
    try:
        while walltime.monotonic() < deadline:
            stats = d.run_once()
            total.sent += stats.sent
            total.lost += stats.lost
            if d.status_counts(ADMIN) == {"sent": MESSAGES}:
                return
            threading.Event().wait(0.02)  # the test's worker polls; the dispatcher itself never sleeps
        raise AssertionError("the outbox never emptied")
    except BaseException as exc:  # noqa: BLE001  (reported by the test thread)
        failures.append(exc)


@pytest.mark.postgres
def test_two_dispatchers_with_a_slow_smtp_server_deliver_each_message_exactly_once(
    pg_db_url: str, smtp_server: SmtpServer
) -> None:
    start = datetime.combine(date(2026, 6, 15), time(10), TZ).astimezone(UTC)
    clock = FakeClock(start)
    contacts = ContactDirectory()
    for i in range(MESSAGES):
        contacts.register_email("samordnare", f"samordnare{i:02d}@kommun.se")
    workers = [make_services(pg_db_url, clock) for _ in range(2)]
    try:
        workers[0].cases.refer(AF_HANDLAGGARE, named_referral())  # TaskCreated → 12 e-mails
        dispatchers = [_dispatcher(w, contacts, smtp_server.port) for w in workers]
        smtp_server.reply_delay = 0.15
        smtp_server.on_message = lambda: clock.advance(seconds=PER_MESSAGE.total_seconds())
        failures: list[BaseException] = []
        totals = [DispatchStats() for _ in dispatchers]
        threads = [
            threading.Thread(target=_work_until_empty, args=(d, total, failures))
            for d, total in zip(dispatchers, totals, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        assert failures == []
        assert all(t.sent > 0 for t in totals), "both workers took part"
        assert sum(t.sent for t in totals) == MESSAGES
        assert sum(t.lost for t in totals) == 0
        assert clock() - start >= MESSAGES * PER_MESSAGE > LEASE  # the batch outlived any one lease

        received = Counter(m.message_id for m in smtp_server.snapshot())
        assert len(received) == MESSAGES
        assert [mid for mid, n in received.items() if n > 1] == [], "a message was delivered twice"
        rows = dispatchers[0].deliveries(ADMIN, limit=100)
        assert [r.status for r in rows] == ["sent"] * MESSAGES
        assert all(r.attempts == 1 for r in rows)
        sent_at = sorted(r.sent_at for r in rows if r.sent_at is not None)
        assert len(sent_at) == MESSAGES
        assert sent_at[0] > start, "sent_at is the time of delivery, not the start of the round"
        assert len(set(sent_at)) > 1
    finally:
        for w in workers:
            w.close()
