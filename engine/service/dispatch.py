"""The outbox dispatcher: notifications written with the case change are sent later, once.

Rows in `outbox` come in two sorts, told apart by `kind`:

- a *notification* (kind = the event type, written by `CaseService.execute` in the case's
  transaction, status `pending`) says "recipient R should hear of event E";
- a *delivery* (kind `email`, `webhook`, `digest_item` or `digest`, written here) is one message
  on one channel to one address. Routing turns a notification into its deliveries in one
  transaction (status `routed`), so a crash either routes all of them or none.

A delivery goes `queued` → `sending` (a lease: `next_attempt_at` = now + lease, `attempts` + 1,
committed *before* anything is sent) → `sent`; a failure goes back to `queued` with exponential
backoff and jitter, and after the last allowed attempt to `dead` (re-drivable). A worker that dies
while sending leaves the lease to expire and the row is sent again with the same Message-ID /
webhook-id (the row's idempotency key), so a receiver can recognise the repeat. E-mail waits for
office hours; webhooks go at once. A recipient who chose a daily digest gets one e-mail a day.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.adapters.notify.email import SmtpError, SmtpSender, build_message
from engine.adapters.notify.ical import meeting_invitation
from engine.adapters.notify.retry import RetryPolicy
from engine.adapters.notify.templates import (
    Notice,
    Rendered,
    case_reference,
    notice_from_payload,
    render,
    render_digest,
)
from engine.adapters.notify.webhooks import WebhookError, WebhookSender
from engine.adapters.store.models import CaseRow, EventRow, OutboxRow, TaskRow
from engine.core.business_time import DEFAULT_OFFICE_HOURS, OfficeHours
from engine.core.definition import Definition
from engine.service.access import Caller
from engine.service.contacts import ContactDirectory
from engine.service.errors import ServiceError, forbidden
from engine.service.preferences import EmailPreferences

if TYPE_CHECKING:
    from engine.bootstrap import Services

log = logging.getLogger(__name__)

CHANNELS = ("email", "webhook", "digest")
DELIVERY_KINDS = (*CHANNELS, "digest_item")
SENDABLE = ("queued", "sending")
LEASE = timedelta(minutes=2)
WEBHOOK_FIELDS = (
    "type", "case_id", "at", "task", "label", "kind", "responsible", "party", "due", "meeting", "blocking",
    "to", "day", "checkpoint_on", "phase", "ends_on", "parties", "remaining", "outcome", "avbrott",
    "last_contact_on", "started_on", "decision",
)  # fmt: skip
"""What a party's case system receives: the event's structured fields, never free text (notes,
reasons, comments may hold anything)."""

Hook = Callable[[str, OutboxRow], None]


@dataclass
class DispatchStats:
    routed: int = 0
    digests: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
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
        services: Services,
        contacts: ContactDirectory,
        *,
        smtp: SmtpSender | None = None,
        webhooks: WebhookSender | None = None,
        office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        retry: RetryPolicy | None = None,
        mail_from: str = "insats@example.org",
        case_link: str = "{base_url}/arenden/{case_id}",
        base_url: str = "http://127.0.0.1:8000",
        lease: timedelta = LEASE,
        hook: Hook | None = None,
    ) -> None:
        self.services = services
        self.contacts = contacts
        self.smtp = smtp
        self.webhooks = webhooks
        self.office_hours = office_hours
        self.retry = retry or RetryPolicy()
        self.mail_from = mail_from
        self.case_link = case_link
        self.base_url = base_url.rstrip("/")
        self.lease = lease
        self.hook = hook
        """Called at points of a delivery (`claimed`, `sent`) — fault tests stop a worker there."""

    # --- the whole round ---------------------------------------------------------------

    def run_once(self, now: datetime | None = None, batch: int = 200) -> DispatchStats:
        now = now or self.services.clock()
        stats = DispatchStats()
        while True:
            n = self.route(now, batch, stats)
            if n < batch:
                break
        self.collect_digests(now, stats)
        while True:
            n = self.deliver(now, batch, stats)
            if n < batch:
                break
        return stats

    # --- routing: notification → deliveries --------------------------------------------

    def route(self, now: datetime, batch: int, stats: DispatchStats) -> int:
        with self.services.uow() as uow:
            s = uow.session
            q = (
                select(OutboxRow)
                .where(OutboxRow.status == "pending", OutboxRow.kind.not_in(DELIVERY_KINDS))
                .order_by(OutboxRow.id)
                .limit(batch)
            )
            if _pg(s):
                q = q.with_for_update(skip_locked=True)
            notes = list(s.scalars(q).all())
            prefs = EmailPreferences.load(s) if notes else EmailPreferences(())
            deliveries: dict[str, OutboxRow] = {}  # by idempotency key: the first one wins
            for note in notes:
                for delivery in self._deliveries(s, note, now, prefs):
                    deliveries.setdefault(delivery.idempotency_key, delivery)
                note.status = "routed"
            existing: set[str] = set()
            keys = list(deliveries)
            for i in range(0, len(keys), 500):  # one query per 500 keys, not one per delivery
                chunk = keys[i : i + 500]
                existing.update(s.scalars(select(OutboxRow.idempotency_key).where(OutboxRow.idempotency_key.in_(chunk))))
            s.add_all(d for key, d in deliveries.items() if key not in existing)
            uow.commit()
        stats.routed += len(notes)
        return len(notes)

    def _deliveries(
        self, s: Session, note: OutboxRow, now: datetime, prefs: EmailPreferences
    ) -> Iterable[OutboxRow]:
        """The directory's contacts merged with what staff chose on the settings page."""
        base = note.idempotency_key
        meeting = self._is_meeting(s, note)
        party = self._party_of(s, note)
        for contact in prefs.email_contacts(note.recipient, party, self.contacts.emails(note.recipient)):
            digest = contact.digest and not meeting
            yield OutboxRow(
                case_id=note.case_id,
                event_id=note.event_id,
                kind="digest_item" if digest else "email",
                recipient=note.recipient,
                payload={**note.payload, "to": contact.address, "parent": note.id, "meeting": meeting},
                idempotency_key=f"{base}:email:{contact.address}",
                status="digest" if digest else "queued",
                attempts=0,
                next_attempt_at=self._digest_time(now) if digest else self.office_hours.next_send_time(now),
                created_at=now,
            )
        endpoint = self.contacts.webhook(party) if party else None
        if endpoint is not None and party is not None:
            case_id, seq, _ = _split_key(base)
            yield OutboxRow(
                case_id=note.case_id,
                event_id=note.event_id,
                kind="webhook",
                recipient=party,
                payload={**note.payload, "to": party, "parent": note.id},
                idempotency_key=f"{case_id}:{seq}:webhook:{party}",
                status="queued",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )

    def _definition(self, s: Session, case_id: str) -> Definition | None:
        row = s.get(CaseRow, case_id)
        if row is None:
            return None
        return self.services.definitions.cache.get(s, row.definition_id, row.definition_version)

    def _party_of(self, s: Session, note: OutboxRow) -> str | None:
        d = self._definition(s, note.case_id)
        if d is None:
            return None
        try:
            return d.party_of(note.recipient)
        except (KeyError, ValueError):
            return None

    def _is_meeting(self, s: Session, note: OutboxRow) -> bool:
        if note.kind not in ("TaskCreated", "TaskDueChanged", "TaskCancelled"):
            return False
        if "meeting" in note.payload:
            return bool(note.payload["meeting"])
        task = s.get(TaskRow, (note.case_id, str(note.payload.get("task"))))
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
        with self.services.uow() as uow:
            s = uow.session
            q = (
                select(OutboxRow)
                .where(OutboxRow.status == "digest", OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.id)
            )
            if _pg(s):
                q = q.with_for_update(skip_locked=True)
            items = list(s.scalars(q).all())
            by_address: dict[str, list[OutboxRow]] = defaultdict(list)
            for item in items:
                by_address[str(item.payload["to"])].append(item)
            day = now.astimezone(self.office_hours.tz).date()
            for address, group in by_address.items():
                first = group[0]
                s.add(
                    OutboxRow(
                        case_id=first.case_id,
                        event_id=first.event_id,
                        kind="digest",
                        recipient=first.recipient,
                        payload={"to": address, "items": [i.id for i in group], "day": day.isoformat()},
                        idempotency_key=f"digest:{address}:{day.isoformat()}:{first.id}",
                        status="queued",
                        attempts=0,
                        next_attempt_at=self.office_hours.next_send_time(now),
                        created_at=now,
                    )
                )
                for item in group:
                    item.status = "digested"
            uow.commit()
        stats.digests += len(by_address)
        return len(by_address)

    # --- delivery ----------------------------------------------------------------------

    def claim(self, now: datetime, batch: int) -> list[OutboxRow]:
        with self.services.uow() as uow:
            s = uow.session
            due = (
                select(OutboxRow.id)
                .where(
                    OutboxRow.status.in_(SENDABLE),
                    OutboxRow.next_attempt_at <= now,
                    OutboxRow.kind.in_(CHANNELS),
                )
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .limit(batch)
            )
            if _pg(s):
                due = due.with_for_update(skip_locked=True)
            ids = list(s.scalars(due).all())
            if not ids:
                return []
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(ids))
                .values(status="sending", attempts=OutboxRow.attempts + 1, next_attempt_at=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            rows = list(s.scalars(select(OutboxRow).where(OutboxRow.id.in_(ids)).order_by(OutboxRow.id)).all())
            uow.commit()
        return rows

    def deliver(self, now: datetime, batch: int, stats: DispatchStats) -> int:
        rows = self.claim(now, batch)
        for row in rows:
            if self.hook is not None:
                self.hook("claimed", row)
            try:
                self._send(row, now)
            except (SmtpError, WebhookError) as exc:
                self._failed(row, now, exc, stats)
                continue
            except Exception as exc:  # a rendering bug must not stop the queue
                log.exception("dispatch: delivery %s failed", row.id)
                self._failed(row, now, exc, stats)
                continue
            self._mark(row.id, status="sent", sent_at=now, last_error=None)
            stats.sent += 1
            if self.hook is not None:
                self.hook("sent", row)
        return len(rows)

    def _mark(self, row_id: int, **values: Any) -> None:
        with self.services.uow() as uow:
            uow.session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id, OutboxRow.status == "sending")
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            uow.commit()

    def _failed(self, row: OutboxRow, now: datetime, exc: Exception, stats: DispatchStats) -> None:
        permanent = bool(getattr(exc, "permanent", False))
        error = f"{type(exc).__name__}: {exc}"[:500]
        nxt = None if permanent else self.retry.next_attempt(row.attempts, now)
        if nxt is None:
            self._mark(row.id, status="dead", last_error=error)
            stats.dead += 1
        else:
            self._mark(row.id, status="queued", next_attempt_at=nxt, last_error=error)
            stats.retried += 1
        stats.errors.append(f"{row.id}: {error}")

    def _send(self, row: OutboxRow, now: datetime) -> None:
        if row.kind == "webhook":
            endpoint = self.contacts.webhook(row.recipient)
            if endpoint is None:
                raise WebhookError(f"ingen webhook registrerad för {row.recipient}", permanent=True)
            if self.webhooks is None:
                raise WebhookError("webhooks är inte konfigurerade")
            payload = {k: row.payload[k] for k in WEBHOOK_FIELDS if k in row.payload}
            payload["case_ref"] = case_reference(row.case_id)
            payload["link"] = self._link(row.case_id)
            payload["webhook_id"] = row.idempotency_key
            self.webhooks.send(endpoint.url, endpoint.secret, row.idempotency_key, payload)
            return
        if self.smtp is None:
            raise SmtpError("SMTP är inte konfigurerat")
        to = str(row.payload["to"])
        calendar: bytes | None = None
        method = "REQUEST"
        with self.services.uow() as uow:
            s = uow.session
            if row.kind == "digest":
                rendered = self._render_digest(s, row)
            else:
                notice = self._notice(s, row)
                rendered = render(notice)
                if row.payload.get("meeting"):
                    calendar, method = self._calendar(s, row, notice, to, now)
        message = build_message(
            sender=self.mail_from, to=[to], rendered=rendered, idempotency_key=row.idempotency_key, date=now,
            calendar=calendar, calendar_method=method,
        )  # fmt: skip
        self.smtp.send(message)

    def _link(self, case_id: str) -> str:
        return self.case_link.format(base_url=self.base_url, case_id=case_id)

    def _notice(self, s: Session, row: OutboxRow) -> Notice:
        p = row.payload
        task_label = None
        task_id = p.get("task")
        if task_id is not None:
            task = s.get(TaskRow, (row.case_id, str(task_id)))
            task_label = task.label if task is not None else None
        d = self._definition(s, row.case_id)
        phase_label = party_label = None
        if d is not None:
            phase = d.phase_by_id.get(str(p.get("phase")))
            phase_label = phase.label if phase is not None else None
            party = next((x for x in d.parties if x.id == row.recipient), None)
            party_label = party.label if party is not None else None
        notice = notice_from_payload(p, self._link(row.case_id), task_label, phase_label, party_label)
        if notice.due is None and task_id is not None:
            task = s.get(TaskRow, (row.case_id, str(task_id)))
            if task is not None and task.due is not None:
                notice = Notice(**{**notice.__dict__, "due": task.due})
        return notice

    def _calendar(self, s: Session, row: OutboxRow, notice: Notice, to: str, now: datetime) -> tuple[bytes, str]:
        event = s.get(EventRow, row.event_id)
        sequence = event.seq if event is not None else 0
        cancelled = row.payload.get("type") == "TaskCancelled"
        day = notice.due or now.astimezone(self.office_hours.tz).date()
        ics = meeting_invitation(
            case_id=row.case_id, task_id=str(row.payload.get("task")), label=notice.task_label or "Möte",
            day=day, sequence=sequence, stamp=now, organizer=self.mail_from, attendees=[to],
            link=notice.link, cancelled=cancelled,
        )  # fmt: skip
        return ics, "CANCEL" if cancelled else "REQUEST"

    def _render_digest(self, s: Session, row: OutboxRow) -> Rendered:
        ids = [int(i) for i in row.payload.get("items", [])]
        items = list(s.scalars(select(OutboxRow).where(OutboxRow.id.in_(ids)).order_by(OutboxRow.id)).all())
        notices = [self._notice(s, item) for item in items]
        day = date.fromisoformat(str(row.payload["day"]))
        return render_digest(day, notices, f"{self.base_url}/inkorg")

    # --- admin: status and re-drive --------------------------------------------------------

    def deliveries(
        self, caller: Caller, *, status: str | None = None, case_id: str | None = None, limit: int = 20, page: int = 1
    ) -> list[DeliveryOut]:
        _require_operator(caller)
        with self.services.uow() as uow:
            q = select(OutboxRow).where(OutboxRow.kind.in_(CHANNELS))
            if status is not None:
                q = q.where(OutboxRow.status == status)
            if case_id is not None:
                q = q.where(OutboxRow.case_id == case_id)
            q = q.order_by(OutboxRow.id).limit(limit).offset((page - 1) * limit)
            return [delivery_out(r) for r in uow.session.scalars(q).all()]

    def status_counts(self, caller: Caller) -> dict[str, int]:
        _require_operator(caller)
        with self.services.uow() as uow:
            rows = uow.session.execute(
                select(OutboxRow.status, func.count()).where(OutboxRow.kind.in_(CHANNELS)).group_by(OutboxRow.status)
            ).all()
        return {str(status): int(n) for status, n in rows}

    def redrive(self, caller: Caller, delivery_ids: list[int] | None = None, now: datetime | None = None) -> int:
        """Dead letters back in the queue with a fresh attempt budget (all of them, or the given ids)."""
        _require_operator(caller)
        now = now or self.services.clock()
        with self.services.uow() as uow:
            stmt = update(OutboxRow).where(OutboxRow.status == "dead", OutboxRow.kind.in_(CHANNELS))
            if delivery_ids is not None:
                stmt = stmt.where(OutboxRow.id.in_(delivery_ids))
            res = uow.session.execute(
                stmt.values(status="queued", attempts=0, next_attempt_at=now).execution_options(
                    synchronize_session=False
                )
            )
            uow.commit()
        return int(res.rowcount)  # type: ignore[attr-defined]


def delivery_out(r: OutboxRow) -> DeliveryOut:
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


def _pg(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def _split_key(key: str) -> tuple[str, str, str]:
    parts = key.split(":")
    if len(parts) < 3:
        raise ServiceError("validation_error", f"oväntad idempotensnyckel {key}")
    return parts[0], parts[1], ":".join(parts[2:])


def build_dispatcher(services: Services, contacts: ContactDirectory | None = None, **kw: Any) -> Dispatcher:
    """A dispatcher configured from the settings (SMTP, office hours, retries)."""
    import random
    from datetime import time

    from engine.adapters.notify.email import SmtpConfig
    from engine.settings import get_settings

    settings = kw.pop("settings", None) or get_settings()
    if contacts is None:
        path = getattr(settings, "contacts_file", None)
        contacts = ContactDirectory.from_file(path) if path else ContactDirectory()
    opens, closes = (time.fromisoformat(x) for x in settings.office_hours.split("-"))
    kw.setdefault(
        "smtp",
        SmtpSender(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                security=settings.smtp_security,
                username=settings.smtp_username,
                password=settings.smtp_password,
                timeout=settings.smtp_timeout_seconds,
                sender=settings.mail_from,
            )
        ),
    )
    kw.setdefault("webhooks", WebhookSender(timeout=settings.webhook_timeout_seconds))
    kw.setdefault("office_hours", OfficeHours(opens=opens, closes=closes, timezone=settings.timezone))
    kw.setdefault(
        "retry",
        RetryPolicy(
            max_attempts=settings.notify_max_attempts,
            base_seconds=settings.notify_backoff_seconds,
            jitter=random.SystemRandom().random,
        ),
    )
    kw.setdefault("mail_from", settings.mail_from)
    kw.setdefault("case_link", settings.case_link)
    kw.setdefault("base_url", settings.base_url)
    return Dispatcher(services, contacts, **kw)
