"""The outbox dispatcher: notifications written with the case change are sent later, once.

Rows in `outbox` come in two sorts, told apart by `kind`:

- a *notification* (kind = the event type, written by `CaseService.execute` in the case's
  transaction, status `pending`) says "recipient R should hear of event E";
- a *delivery* (kind `email`, `webhook`, `digest_item` or `digest`, written here) is one message
  on one channel to one address. Routing turns a notification into its deliveries in one
  transaction (status `routed`), so a crash either routes all of them or none.

A delivery goes `queued` → `sending` → `sent`. Each delivery is claimed just before it is sent,
one at a time: the claim records the run's `owner` token and a lease (`next_attempt_at` = the clock
at the claim + `lease`, `attempts` + 1) and is committed *before* anything is sent, so however long
a round takes, no message waits under a lease taken minutes earlier. Every state change after it
(sent, retry, dead) applies only while the row is still this run's (`WHERE id = ? AND owner = ?`):
when the lease ran out and another worker took the row over, ours is dropped and counted as
`lost`. `sent_at` is the clock after the transport took the message. The lease must outlast one
delivery (the transports' timeouts bound it). A failure goes back to `queued` with exponential
backoff and jitter, and after the last allowed attempt to `dead` (re-drivable). A worker that dies
while sending leaves the lease to expire and the row is sent again with the same Message-ID /
webhook-id (the row's idempotency key), so a receiver can recognise the repeat. E-mail waits for
office hours; webhooks go at once. A recipient who chose a daily digest gets one e-mail a day.

The rows come through the `OutboxStore` port and leave through a `MailTransport` and a
`WebhookTransport` (engine/service/outbox_ports.py); what a message says is built in
engine/service/delivery_content.py. `engine.bootstrap.build_dispatcher` wires the real ones.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from engine.core.business_time import DEFAULT_OFFICE_HOURS, OfficeHours
from engine.core.localtime import local_date
from engine.service.access import Caller
from engine.service.contacts import ContactDirectory
from engine.service.delivery_content import DeliveryContent
from engine.service.errors import ServiceError, forbidden
from engine.service.notify_texts import case_reference
from engine.service.outbox_ports import (
    DeliveryError,
    MailTransport,
    NewOutboxMessage,
    OutboxBatch,
    OutboxMessage,
    OutboxStore,
    WebhookTransport,
)
from engine.service.preferences import EmailPreferences
from engine.service.retry import RetryPolicy

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
"""How long a claimed delivery is this run's: time for one message, not for a round."""

Hook = Callable[[str, OutboxMessage], None]
Clock = Callable[[], datetime]


def new_owner_token() -> str:
    """A token for one dispatcher run: what its claims record and its state changes check."""
    return "dispatch-" + secrets.token_hex(8)


@dataclass
class DispatchStats:
    routed: int = 0
    digests: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0
    """Deliveries whose lease ran out and another run took over before our state change."""
    errors: list[str] = field(default_factory=list)


class DeliveryOut(BaseModel):
    """Delivery status without contents: what an admin may see."""

    id: int
    case_ref: str
    event: str
    channel: str
    recipient: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    idempotency_key: str


class Dispatcher:
    def __init__(
        self,
        outbox: OutboxStore,
        contacts: ContactDirectory,
        clock: Callable[[], datetime],
        *,
        mail: MailTransport | None = None,
        webhooks: WebhookTransport | None = None,
        office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        retry: RetryPolicy | None = None,
        mail_from: str = "insats@example.org",
        case_link: str = "{base_url}/arenden/{case_id}",
        base_url: str = "http://127.0.0.1:8000",
        lease: timedelta = LEASE,
        hook: Hook | None = None,
        owner_tokens: Callable[[], str] = new_owner_token,
    ) -> None:
        if lease <= timedelta(0):
            raise ValueError("lease must be positive")
        self.outbox = outbox
        self.contacts = contacts
        self.clock = clock
        self.office_hours = office_hours
        self.retry = retry or RetryPolicy()
        self.lease = lease
        self.owner_tokens = owner_tokens
        self.hook = hook
        """Called at points of a delivery (`claimed`, `sent`) — fault tests stop a worker there."""
        self.content = DeliveryContent(
            contacts, mail=mail, webhooks=webhooks, office_hours=office_hours, mail_from=mail_from,
            case_link=case_link, base_url=base_url,
        )  # fmt: skip

    # --- the whole round ---------------------------------------------------------------

    def run_once(self, now: datetime | None = None, batch: int = 200) -> DispatchStats:
        """Route, collect digests, deliver what is due. `now` (tests, tools) sets the time the round
        starts at; the round's clock runs on from there, so leases and `sent_at` are read when they
        happen."""
        clock = self._round_clock(now)
        start = clock()
        stats = DispatchStats()
        while True:
            n = self.route(start, batch, stats)
            if n < batch:
                break
        self.collect_digests(start, stats)
        owner = self.owner_tokens()
        while True:
            n = self._deliver(clock, owner, batch, stats)
            if n < batch:
                break
        return stats

    def _round_clock(self, now: datetime | None) -> Clock:
        if now is None:
            return self.clock
        offset = now - self.clock()
        return lambda: self.clock() + offset

    # --- routing: notification → deliveries --------------------------------------------

    def route(self, now: datetime, batch: int, stats: DispatchStats) -> int:
        with self.outbox.transaction() as tx:
            notes = tx.pending_notifications(batch)
            prefs = EmailPreferences(tx.account_preferences()) if notes else EmailPreferences(())
            deliveries: dict[str, NewOutboxMessage] = {}  # by idempotency key: the first one wins
            for note in notes:
                for delivery in self._deliveries(tx, note, now, prefs):
                    deliveries.setdefault(delivery.idempotency_key, delivery)
                tx.set_status(note.id, "routed")
            existing = tx.existing_keys(list(deliveries))
            tx.add(d for key, d in deliveries.items() if key not in existing)
            tx.commit()
        stats.routed += len(notes)
        return len(notes)

    def _deliveries(
        self, tx: OutboxBatch, note: OutboxMessage, now: datetime, prefs: EmailPreferences
    ) -> Iterable[NewOutboxMessage]:
        """The directory's contacts merged with what staff chose on the settings page."""
        base = note.idempotency_key
        meeting = self._is_meeting(tx, note)
        party = self._party_of(tx, note)
        assignee = note.payload.get("assignee")
        personal = None
        if isinstance(assignee, str):
            people = tx.stand_ins([assignee], local_date(now)).get(assignee) or [assignee]
            personal = prefs.personal_contacts(people)
        if personal is None:
            personal = prefs.email_contacts(note.recipient, party, self.contacts.emails(note.recipient))
        for contact in personal:
            digest = contact.digest and not meeting
            yield NewOutboxMessage(
                case_id=note.case_id,
                event_id=note.event_id,
                kind="digest_item" if digest else "email",
                recipient=note.recipient,
                payload={**note.payload, "to": contact.address, "parent": note.id, "meeting": meeting},
                idempotency_key=f"{base}:email:{contact.address}",
                status="digest" if digest else "queued",
                next_attempt_at=self._digest_time(now) if digest else self.office_hours.next_send_time(now),
                created_at=now,
            )
        endpoint = self.contacts.webhook(party) if party else None
        if endpoint is not None and party is not None:
            case_id, seq, _ = _split_key(base)
            yield NewOutboxMessage(
                case_id=note.case_id,
                event_id=note.event_id,
                kind="webhook",
                recipient=party,
                payload={**note.payload, "to": party, "parent": note.id},
                idempotency_key=f"{case_id}:{seq}:webhook:{party}",
                status="queued",
                next_attempt_at=now,
                created_at=now,
            )

    def _party_of(self, tx: OutboxBatch, note: OutboxMessage) -> str | None:
        d = tx.definition(note.case_id)
        if d is None:
            return None
        try:
            return d.party_of(note.recipient)
        except (KeyError, ValueError):
            return None

    def _is_meeting(self, tx: OutboxBatch, note: OutboxMessage) -> bool:
        if note.kind not in ("TaskCreated", "TaskDueChanged", "TaskCancelled"):
            return False
        if "meeting" in note.payload:
            return bool(note.payload["meeting"])
        task = tx.task(note.case_id, str(note.payload.get("task")))
        return bool(task is not None and task.meeting)

    def _digest_time(self, now: datetime) -> datetime:
        """The next office opening after today's: a day's events go out together the morning after."""
        hours = self.office_hours
        local = now.astimezone(hours.tz)
        day = local.date()
        if local.time() >= hours.opens or not hours.calendar.is_working_day(day):
            day = hours.calendar.on_or_after(day + timedelta(days=1))
        return datetime.combine(day, hours.opens, hours.tz).astimezone(UTC)

    # --- digests -----------------------------------------------------------------------

    def collect_digests(self, now: datetime, stats: DispatchStats) -> int:
        with self.outbox.transaction() as tx:
            items = tx.due_digest_items(now)
            by_address: dict[str, list[OutboxMessage]] = defaultdict(list)
            for item in items:
                by_address[str(item.payload["to"])].append(item)
            day = now.astimezone(self.office_hours.tz).date()
            for address, group in by_address.items():
                first = group[0]
                tx.add(
                    [
                        NewOutboxMessage(
                            case_id=first.case_id,
                            event_id=first.event_id,
                            kind="digest",
                            recipient=first.recipient,
                            payload={"to": address, "items": [i.id for i in group], "day": day.isoformat()},
                            idempotency_key=f"digest:{address}:{day.isoformat()}:{first.id}",
                            status="queued",
                            next_attempt_at=self.office_hours.next_send_time(now),
                            created_at=now,
                        )
                    ]
                )
                for item in group:
                    tx.set_status(item.id, "digested")
            tx.commit()
        stats.digests += len(by_address)
        return len(by_address)

    # --- delivery ----------------------------------------------------------------------

    def deliver(self, now: datetime | None, batch: int, stats: DispatchStats, owner: str | None = None) -> int:
        """Up to `batch` due deliveries, each claimed just before it is sent; how many were claimed."""
        return self._deliver(self._round_clock(now), owner or self.owner_tokens(), batch, stats)

    def _deliver(self, clock: Clock, owner: str, batch: int, stats: DispatchStats) -> int:
        n = 0
        while n < batch:
            at = clock()
            claimed = self.outbox.claim(at, 1, owner, at + self.lease)
            if not claimed:
                break
            n += 1
            self._deliver_one(claimed[0], owner, clock, stats)
        return n

    def _deliver_one(self, row: OutboxMessage, owner: str, clock: Clock, stats: DispatchStats) -> None:
        if self.hook is not None:
            self.hook("claimed", row)
        try:
            self._send(row, clock())
        except DeliveryError as exc:
            self._failed(row, owner, clock(), exc, stats)
            return
        except Exception as exc:  # a rendering bug must not stop the queue
            log.exception("dispatch: delivery %s failed", row.id)
            self._failed(row, owner, clock(), exc, stats)
            return
        if not self.outbox.mark_sent(row.id, owner, clock()):
            log.warning("dispatch: delivery %s went out after its lease ran out; another run holds it", row.id)
            stats.lost += 1
            return
        stats.sent += 1
        if self.hook is not None:
            self.hook("sent", row)

    def _send(self, row: OutboxMessage, now: datetime) -> None:
        if row.kind == "webhook":
            self.content.send_webhook(row)
            return
        with self.outbox.transaction() as tx:
            message = self.content.email(tx, row, now)
        self.content.send_email(message)

    def _failed(self, row: OutboxMessage, owner: str, now: datetime, exc: Exception, stats: DispatchStats) -> None:
        permanent = bool(getattr(exc, "permanent", False))
        error = f"{type(exc).__name__}: {exc}"[:500]
        nxt = None if permanent else self.retry.next_attempt(row.attempts, now)
        stats.errors.append(f"{row.id}: {error}")
        if nxt is None:
            applied = self.outbox.mark_dead(row.id, owner, error)
        else:
            applied = self.outbox.mark_retry(row.id, owner, nxt, error)
        if not applied:
            stats.lost += 1
        elif nxt is None:
            stats.dead += 1
        else:
            stats.retried += 1

    # --- admin: status and re-drive --------------------------------------------------------

    def deliveries(
        self, caller: Caller, *, status: str | None = None, case_id: str | None = None, limit: int = 20, page: int = 1
    ) -> list[DeliveryOut]:
        _require_operator(caller)
        rows = self.outbox.deliveries(status=status, case_id=case_id, limit=limit, offset=(page - 1) * limit)
        return [delivery_out(r) for r in rows]

    def status_counts(self, caller: Caller) -> dict[str, int]:
        _require_operator(caller)
        return self.outbox.status_counts()

    def redrive(self, caller: Caller, delivery_ids: list[int] | None = None, now: datetime | None = None) -> int:
        """Dead letters back in the queue with a fresh attempt budget (all of them, or the given ids)."""
        _require_operator(caller)
        return self.outbox.redrive(delivery_ids, now or self.clock())


def delivery_out(r: OutboxMessage) -> DeliveryOut:
    return DeliveryOut(
        id=r.id,
        case_ref=case_reference(r.case_id),
        event=str(r.payload.get("type", "digest")),
        channel="email" if r.kind == "digest" else r.kind,
        recipient=r.recipient,
        status=r.status,
        attempts=r.attempts,
        next_attempt_at=r.next_attempt_at,
        sent_at=r.sent_at,
        last_error=r.last_error,
        idempotency_key=r.idempotency_key,
    )


def _require_operator(caller: Caller) -> None:
    if caller.kind not in ("forbund_admin", "system"):
        raise forbidden("Endast förbundsadministratörer ser leveransstatus")


def _split_key(key: str) -> tuple[str, str, str]:
    parts = key.split(":")
    if len(parts) < 3:
        raise ServiceError("validation_error", f"oväntad idempotensnyckel {key}")
    return parts[0], parts[1], ":".join(parts[2:])
