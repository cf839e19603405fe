"""An e-mail as a message (headers, text, calendar attachment): built here, sent by a `MailTransport`.

The Message-ID is derived from the outbox idempotency key, so a message sent again after a
crash between "sent" and "recorded as sent" carries the same Message-ID and mail clients and
the test suite can recognise it as the same message. Building it does no I/O.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from engine.service.notify_texts import Rendered

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
