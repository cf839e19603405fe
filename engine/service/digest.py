"""The morning digest: overdue and due-this-week tasks per responsible (role or party), via the outbox.

A task is "mine" for its `responsible` (a role such as `samordnare`, or a party) and, once
escalated, for the role it was escalated to. Each such recipient gets one line per task in one
e-mail: the digest writes one `digest_item` row per (address, task) in the outbox, status
`digest`, and the dispatcher (engine/service/dispatch.py) collects the rows of an address into one
`digest` e-mail on its next round, with the same rendering and retries as every other e-mail.
Addresses come from the contact directory (role first, then the role's party); an assigned task's
line goes to its assignee's own address instead (or to whoever stands in for them), so the digest
is per person (issue 14). Items carry the
case reference and the task, never the participant. The idempotency key contains the day, so a
second run on the same day writes nothing new. On a day that is not a Swedish working day nothing
is sent (the schedule may fire anyway).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict

from engine.core.calendar import DEFAULT_CALENDAR, WorkingCalendar
from engine.core.decide import local_date
from engine.service.access import Caller
from engine.service.contacts import ContactDirectory
from engine.service.errors import forbidden
from engine.service.outbox_ports import DigestOutbox, NewOutboxMessage
from engine.service.preferences import EmailPreferences


class DigestLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    task_id: str
    label: str
    party: str
    due: str
    overdue: bool


class DigestRecipient(BaseModel):
    model_config = ConfigDict(frozen=True)

    recipient: str
    party: str
    overdue: int
    due_this_week: int
    addresses: list[str]
    lines: list[DigestLine]


class DigestReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: str
    skipped: bool
    """Not a working day: nothing written."""
    recipients: list[DigestRecipient]
    written: int
    """Outbox rows written (one per address and task); 0 on a second run the same day."""
    unaddressed: list[str]
    """Recipients with tasks but no e-mail address in the contact directory."""


class DigestService:
    def __init__(
        self,
        outbox: DigestOutbox,
        clock: Callable[[], datetime],
        contacts: ContactDirectory,
        calendar: WorkingCalendar = DEFAULT_CALENDAR,
    ) -> None:
        self._outbox = outbox
        self._clock = clock
        self._contacts = contacts
        self._calendar = calendar

    def run(self, caller: Caller, *, only_working_days: bool = True, dry_run: bool = False) -> DigestReport:
        if caller.kind not in ("system", "forbund_admin"):
            raise forbidden("Sammanfattningar skickas av systemet")
        now = self._clock()
        today = local_date(now)
        if only_working_days and not self._calendar.is_working_day(today):
            return DigestReport(day=today.isoformat(), skipped=True, recipients=[], written=0, unaddressed=[])
        sunday = today + timedelta(days=6 - today.weekday())
        with self._outbox.transaction() as tx:
            groups: dict[tuple[str, str], list[DigestLine]] = defaultdict(list)
            due = tx.open_tasks_due_by(sunday)
            prefs = EmailPreferences(tx.account_preferences())
            stand = tx.stand_ins(sorted({t.assignee for t in due if t.assignee}), today)
            personal: dict[str, list[str]] = {}
            for t in due:
                line = DigestLine(
                    case_id=t.case_id, task_id=t.task_id, label=t.label, party=t.party, due=t.due.isoformat(),
                    overdue=t.due < today,
                )  # fmt: skip
                found = prefs.personal_contacts(stand.get(t.assignee) or [t.assignee]) if t.assignee else None
                if t.assignee and found is not None:
                    personal[t.assignee] = [c.address for c in found]
                    groups[(t.assignee, t.party)].append(line)
                    continue
                for who in dict.fromkeys([t.responsible, *([t.escalated_to] if t.escalated_to else [])]):
                    groups[(who, t.party)].append(line)
            recipients: list[DigestRecipient] = []
            unaddressed: list[str] = []
            written = 0
            event_ids: dict[str, int] = {}
            for (who, party), lines in sorted(groups.items()):
                if who in personal:
                    addresses = personal[who]
                else:
                    contacts = self._contacts.emails(who) or (self._contacts.emails(party) if who != party else [])
                    addresses = [c.address for c in contacts]
                if not addresses:
                    unaddressed.append(who)
                recipients.append(
                    DigestRecipient(
                        recipient=who, party=party, overdue=sum(ln.overdue for ln in lines),
                        due_this_week=sum(not ln.overdue for ln in lines), addresses=addresses, lines=lines,
                    )
                )  # fmt: skip
                if dry_run:
                    continue
                for address in addresses:
                    for ln in lines:
                        key = f"digest:{today.isoformat()}:{address}:{ln.case_id}:{ln.task_id}"
                        if tx.has_key(key):
                            continue
                        if ln.case_id not in event_ids:
                            event_ids[ln.case_id] = tx.last_event_id(ln.case_id)
                        tx.add([_item(ln, who, address, key, event_ids[ln.case_id], today, now)])
                        written += 1
            tx.commit()
        return DigestReport(
            day=today.isoformat(), skipped=False, recipients=recipients, written=written, unaddressed=unaddressed
        )


def _item(
    ln: DigestLine, who: str, address: str, key: str, event_id: int, today: date, now: datetime
) -> NewOutboxMessage:
    return NewOutboxMessage(
        case_id=ln.case_id,
        event_id=event_id,
        kind="digest_item",
        recipient=who,
        payload={
            "type": "DeadlineMissed" if ln.overdue else "ReminderDue",
            "case_id": ln.case_id,
            "task": ln.task_id,
            "due": ln.due,
            "party": ln.party,
            "to": address,
            "meeting": False,
            "digest": today.isoformat(),
        },
        idempotency_key=key,
        status="digest",
        next_attempt_at=now,
        created_at=now,
    )
