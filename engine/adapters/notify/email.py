"""E-mail over SMTP: addresses checked when registered, messages built without personal data.

The Message-ID is derived from the outbox idempotency key, so a message sent again after a
crash between "sent" and "recorded as sent" carries the same Message-ID and mail clients and
the test suite can recognise it as the same message.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from email_validator import EmailNotValidError, validate_email

from engine.adapters.notify.templates import Rendered


class InvalidEmailAddress(ValueError):
    """The address cannot receive e-mail; the message is in Swedish for the person who typed it."""


def normalise_address(address: str) -> str:
    """Validate an address when a user or party contact is registered (syntax only, no DNS)."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmailAddress(f"Ogiltig e-postadress '{address}': {exc}") from None


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"  # none | starttls | tls
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    sender: str = "insats@example.org"
    ssl_context: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        if self.security not in ("none", "starttls", "tls"):
            raise ValueError("smtp security must be none, starttls or tls")


_MSGID_UNSAFE = re.compile(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]")


def message_id(idempotency_key: str, domain: str = "insats") -> str:
    left = _MSGID_UNSAFE.sub(".", idempotency_key).strip(".") or "x"
    return f"<{left}@{domain}>"


def build_message(
    *,
    sender: str,
    to: list[str],
    rendered: Rendered,
    idempotency_key: str,
    date: datetime,
    calendar: bytes | None = None,
    calendar_method: str = "REQUEST",
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = rendered.subject
    msg["Message-ID"] = message_id(idempotency_key)
    msg["Date"] = format_datetime(date)
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in rendered.headers.items():
        msg[name] = value
    msg.set_content(rendered.text)
    if calendar is not None:
        msg.add_attachment(
            calendar,
            maintype="text",
            subtype="calendar",
            filename="mote.ics",
            params={"method": calendar_method},
        )
    return msg


class SmtpError(RuntimeError):
    """Sending failed; `permanent` when the server refused for good (5xx), else worth retrying."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmtpSender:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.security == "tls":
            ctx = c.ssl_context or ssl.create_default_context()
            return smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=ctx)
        smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        if c.security == "starttls":
            smtp.starttls(context=c.ssl_context or ssl.create_default_context())
        return smtp

    def send(self, message: EmailMessage) -> None:
        c = self.config
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpError(f"SMTP {c.host}:{c.port} svarar inte: {exc}") from exc
        try:
            if c.username:
                smtp.login(c.username, c.password or "")
            refused = smtp.send_message(message)
            if refused:
                raise SmtpError(f"mottagare avvisade: {sorted(refused)}", permanent=True)
        except smtplib.SMTPResponseException as exc:
            raise SmtpError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=500 <= exc.smtp_code < 600) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise SmtpError(f"mottagare avvisade: {sorted(exc.recipients)}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpError(f"SMTP-fel: {exc}") from exc
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
