"""E-mail over SMTP: the `MailTransport` the dispatcher sends through.

The message itself (headers, Message-ID from the idempotency key, calendar attachment) is built
in the service layer (engine/service/mail_message.py); this module only talks to the server.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from engine.service.outbox_ports import DeliveryError


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


class SmtpError(DeliveryError):
    """Sending failed; `permanent` when the server refused for good (5xx), else worth retrying."""


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
