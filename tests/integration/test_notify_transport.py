"""SMTP and webhooks against real servers on 127.0.0.1 (aiosmtpd, http.server)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine.adapters.notify.email import SmtpConfig, SmtpError, SmtpSender
from engine.adapters.notify.webhooks import WebhookError, WebhookSender
from engine.service.mail_message import build_message
from engine.service.meeting_ics import meeting_invitation
from engine.service.notify_texts import Notice, render
from tests.integration.notify_kit import (  # noqa: F401
    SmtpServer,
    WebhookReceiver,
    free_port,
    self_signed_tls,
    smtp_server_fixture,
    webhook_receiver_fixture,
)

CASE = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
AT = datetime(2026, 4, 1, 7, tzinfo=UTC)


def _message(key: str = "k:1:samordnare", calendar: bytes | None = None):  # type: ignore[no-untyped-def]
    r = render(Notice("TaskCreated", CASE, f"http://x/arenden/{CASE}", task_label="Boka inskrivningssamtal",
                      due=date(2026, 4, 8), meeting=calendar is not None))
    return build_message(sender="insats@kommun.se", to=["samordnare@kommun.se"], rendered=r, idempotency_key=key,
                         date=AT, calendar=calendar)


def test_plain_smtp_delivers_message_with_calendar(smtp_server: SmtpServer) -> None:
    ics = meeting_invitation(case_id=CASE, task_id="boka", label="Boka inskrivningssamtal", day=date(2026, 4, 8),
                             sequence=1, stamp=AT, organizer="insats@kommun.se",
                             attendees=["samordnare@kommun.se"], link="http://x")
    SmtpSender(SmtpConfig(port=smtp_server.port)).send(_message(calendar=ics))
    [got] = smtp_server.snapshot()
    assert got.rcpt == ["samordnare@kommun.se"]
    assert "Nytt möte att boka" in str(got.message["Subject"])
    parts = {p.get_content_type(): p for p in got.message.walk()}
    assert "text/calendar" in parts
    assert parts["text/calendar"].get_param("method") == "REQUEST"
    assert b"UID:" + CASE.encode() in parts["text/calendar"].get_payload(decode=True)


def test_starttls_with_login(tmp_path: Path) -> None:
    server_ctx, client_ctx = self_signed_tls(tmp_path)
    server = SmtpServer(starttls_context=server_ctx, credentials=("insats", "hemligt"))
    server.start()
    try:
        cfg = SmtpConfig(port=server.port, security="starttls", username="insats", password="hemligt",
                         ssl_context=client_ctx)
        SmtpSender(cfg).send(_message())
        assert len(server.snapshot()) == 1
    finally:
        server.stop()


def test_implicit_tls(tmp_path: Path) -> None:
    server_ctx, client_ctx = self_signed_tls(tmp_path)
    server = SmtpServer(tls_context=server_ctx)
    server.start()
    try:
        SmtpSender(SmtpConfig(port=server.port, security="tls", ssl_context=client_ctx)).send(_message())
        assert len(server.snapshot()) == 1
    finally:
        server.stop()


def test_server_down_is_a_temporary_failure() -> None:
    with pytest.raises(SmtpError) as err:
        SmtpSender(SmtpConfig(port=free_port(), timeout=2)).send(_message())
    assert not err.value.permanent


def test_signed_webhook_is_verified_by_the_receiver(webhook_receiver: WebhookReceiver) -> None:
    sender = WebhookSender(timeout=5)
    try:
        result = sender.send(webhook_receiver.url, webhook_receiver.secret, "case:3:fk", {"type": "ReminderDue"})
    finally:
        sender.close()
    assert result.status == 204
    [d] = webhook_receiver.deliveries
    assert d.webhook_id == "case:3:fk"
    assert d.payload == {"type": "ReminderDue"}
    assert webhook_receiver.rejected == []


def test_wrong_secret_is_refused_by_the_receiver(webhook_receiver: WebhookReceiver) -> None:
    from engine.adapters.notify.webhooks import new_secret

    sender = WebhookSender(timeout=5)
    try:
        with pytest.raises(WebhookError) as err:
            sender.send(webhook_receiver.url, new_secret(), "id-1", {"type": "x"})
    finally:
        sender.close()
    assert err.value.status == 401
    assert webhook_receiver.rejected


def test_receiver_error_and_timeout_are_retryable(webhook_receiver: WebhookReceiver) -> None:
    sender = WebhookSender(timeout=0.3)
    try:
        webhook_receiver.mode = "error"
        with pytest.raises(WebhookError) as err:
            sender.send(webhook_receiver.url, webhook_receiver.secret, "id-2", {"type": "x"})
        assert err.value.status == 500
        assert not err.value.permanent
        webhook_receiver.mode = "slow"
        with pytest.raises(WebhookError, match="timeout"):
            sender.send(webhook_receiver.url, webhook_receiver.secret, "id-3", {"type": "x"})
    finally:
        webhook_receiver.release.set()
        sender.close()
