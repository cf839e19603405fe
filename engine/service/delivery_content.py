"""What one delivery says and how it leaves: the webhook's fields, the e-mail's text and its
meeting invitation, read from the outbox row, the tasks projection and the case's definition.

Nothing personal goes out (engine/service/notify_texts.py says why); a webhook carries the
event's structured fields only, never free text.
"""

from __future__ import annotations

from datetime import date, datetime
from email.message import EmailMessage

from engine.core.business_time import OfficeHours
from engine.service.contacts import ContactDirectory
from engine.service.mail_message import build_message
from engine.service.meeting_ics import meeting_invitation
from engine.service.notify_texts import Notice, Rendered, case_reference, notice_from_payload, render, render_digest
from engine.service.outbox_ports import (
    DeliveryError,
    MailTransport,
    MessageFacts,
    OutboxBatch,
    OutboxMessage,
    WebhookTransport,
)

WEBHOOK_FIELDS = (
    "type", "case_id", "at", "task", "label", "kind", "responsible", "party", "due", "meeting", "blocking",
    "to", "day", "checkpoint_on", "phase", "ends_on", "parties", "remaining", "outcome", "avbrott",
    "last_contact_on", "started_on", "decision",
)  # fmt: skip
"""What a party's case system receives: the event's structured fields, never free text (notes,
reasons, comments may hold anything)."""


def notice_of(tx: MessageFacts, row: OutboxMessage, link: str) -> Notice:
    """What a notification row says (for an e-mail, a digest line or the notifications page): its
    payload with the task's label and due date and the phase's and party's labels."""
    p = row.payload
    task_id = p.get("task")
    task = tx.task(row.case_id, str(task_id)) if task_id is not None else None
    task_label = task.label if task is not None else None
    d = tx.definition(row.case_id)
    phase_label = party_label = None
    if d is not None:
        phase = d.phase_by_id.get(str(p.get("phase")))
        phase_label = phase.label if phase is not None else None
        party = next((x for x in d.parties if x.id == row.recipient), None)
        party_label = party.label if party is not None else None
    notice = notice_from_payload(p, link, task_label, phase_label, party_label)
    if notice.due is None and task is not None and task.due is not None:
        notice = Notice(**{**notice.__dict__, "due": task.due})
    return notice


class DeliveryContent:
    def __init__(
        self,
        contacts: ContactDirectory,
        *,
        mail: MailTransport | None,
        webhooks: WebhookTransport | None,
        office_hours: OfficeHours,
        mail_from: str,
        case_link: str,
        base_url: str,
    ) -> None:
        self.contacts = contacts
        self.mail = mail
        self.webhooks = webhooks
        self.office_hours = office_hours
        self.mail_from = mail_from
        self.case_link = case_link
        self.base_url = base_url.rstrip("/")

    def link(self, case_id: str) -> str:
        return self.case_link.format(base_url=self.base_url, case_id=case_id)

    # --- webhooks ------------------------------------------------------------------------

    def send_webhook(self, row: OutboxMessage) -> None:
        endpoint = self.contacts.webhook(row.recipient)
        if endpoint is None:
            raise DeliveryError(f"ingen webhook registrerad för {row.recipient}", permanent=True)
        if self.webhooks is None:
            raise DeliveryError("webhooks är inte konfigurerade")
        payload = {k: row.payload[k] for k in WEBHOOK_FIELDS if k in row.payload}
        payload["case_ref"] = case_reference(row.case_id)
        payload["link"] = self.link(row.case_id)
        payload["webhook_id"] = row.idempotency_key
        self.webhooks.send(endpoint.url, endpoint.secret, row.idempotency_key, payload)

    # --- e-mail --------------------------------------------------------------------------

    def send_email(self, message: EmailMessage) -> None:
        self._mail().send(message)

    def _mail(self) -> MailTransport:
        if self.mail is None:
            raise DeliveryError("SMTP är inte konfigurerat")
        return self.mail

    def email(self, tx: OutboxBatch, row: OutboxMessage, now: datetime) -> EmailMessage:
        """The e-mail of a delivery (`email` or `digest`), read in the transaction `tx`."""
        self._mail()  # not configured: fail before reading anything
        to = str(row.payload["to"])
        calendar: bytes | None = None
        method = "REQUEST"
        if row.kind == "digest":
            rendered = self._render_digest(tx, row)
        else:
            notice = self.notice(tx, row)
            rendered = render(notice)
            if row.payload.get("meeting"):
                calendar, method = self._calendar(tx, row, notice, to, now)
        return build_message(
            sender=self.mail_from, to=[to], rendered=rendered, idempotency_key=row.idempotency_key, date=now,
            calendar=calendar, calendar_method=method,
        )  # fmt: skip

    def notice(self, tx: MessageFacts, row: OutboxMessage) -> Notice:
        return notice_of(tx, row, self.link(row.case_id))

    def _calendar(
        self, tx: OutboxBatch, row: OutboxMessage, notice: Notice, to: str, now: datetime
    ) -> tuple[bytes, str]:
        seq = tx.event_seq(row.event_id)
        sequence = seq if seq is not None else 0
        cancelled = row.payload.get("type") == "TaskCancelled"
        day = notice.due or now.astimezone(self.office_hours.tz).date()
        ics = meeting_invitation(
            case_id=row.case_id, task_id=str(row.payload.get("task")), label=notice.task_label or "Möte",
            day=day, sequence=sequence, stamp=now, organizer=self.mail_from, attendees=[to],
            link=notice.link, cancelled=cancelled,
        )  # fmt: skip
        return ics, "CANCEL" if cancelled else "REQUEST"

    def _render_digest(self, tx: OutboxBatch, row: OutboxMessage) -> Rendered:
        ids = [int(i) for i in row.payload.get("items", [])]
        notices = [self.notice(tx, item) for item in tx.messages(ids)]
        day = date.fromisoformat(str(row.payload["day"]))
        return render_digest(day, notices, f"{self.base_url}/inkorg")
