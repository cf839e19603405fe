"""The notifications page ("Aviseringar"): per person, the notifications the outbox holds for them,
with the very text their e-mail says (engine/service/delivery_content.py `notice_of` and
engine/service/notify_texts.py `render`), and which of them they have marked as read.

A notification is for a person when it is addressed to one of their roles (within their own party,
when the role belongs to a party of the case's definition) or to their party: the rule the
dispatcher uses for e-mail (`AccountPreference.receives`), whatever e-mail choice the person made.
Förbund admins and auditors get none (they see no cases). The texts hold no personal data (a case
reference, a task's label, a date), so showing them reads none and logs none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from engine.service.access import Caller
from engine.service.delivery_content import notice_of
from engine.service.notify_texts import SUBJECT_PREFIX, case_reference, render
from engine.service.outbox_ports import InboxBatch, NotificationInbox, OutboxMessage
from engine.service.preferences import CASE_STAFF_KINDS, AccountPreference

NEWEST = 500
"""How many of a person's newest notifications the page considers (older ones are not listed)."""


class NotificationOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    case_id: str
    case_ref: str
    kind: str
    subject: str
    text: str
    link: str
    read: bool


class NotificationList(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: list[NotificationOut]
    total: int
    unread: int
    page: int
    limit: int


class NotificationService:
    def __init__(
        self,
        inbox: NotificationInbox,
        clock: Callable[[], datetime],
        *,
        case_link: str = "{base_url}/arenden/{case_id}",
        base_url: str = "",
    ) -> None:
        self._inbox = inbox
        self._clock = clock
        self._case_link = case_link
        self._base_url = base_url.rstrip("/")

    @staticmethod
    def _person(caller: Caller) -> AccountPreference | None:
        if caller.kind not in CASE_STAFF_KINDS:
            return None
        return AccountPreference(caller.user_id, caller.kind, caller.party, tuple(caller.roles), None, "event")

    def _mine(self, tx: InboxBatch, caller: Caller) -> list[OutboxMessage]:
        person = self._person(caller)
        if person is None:
            return []
        recipients = sorted({*person.roles, *([person.party] if person.party else [])})
        out = []
        parties: dict[tuple[str, str], str | None] = {}
        for row in tx.notifications_to(recipients, NEWEST):
            key = (row.case_id, row.recipient)
            if key not in parties:
                d = tx.definition(row.case_id)
                try:
                    parties[key] = d.party_of(row.recipient) if d is not None else None
                except (KeyError, ValueError):
                    parties[key] = None
            if person.receives(row.recipient, parties[key]):
                out.append(row)
        return out

    def list(self, caller: Caller, page: int = 1, limit: int = 20, unread_only: bool = False) -> NotificationList:
        page, limit = max(page, 1), min(max(limit, 1), 100)
        with self._inbox.transaction() as tx:
            rows = self._mine(tx, caller)
            read = tx.read_marks(caller.user_id, [r.id for r in rows])
            unread = sum(1 for r in rows if r.id not in read)
            shown = [r for r in rows if r.id not in read] if unread_only else rows
            chosen = shown[(page - 1) * limit : page * limit]
            items = [self._out(tx, r, r.id in read) for r in chosen]
        return NotificationList(items=items, total=len(shown), unread=unread, page=page, limit=limit)

    def unread(self, caller: Caller) -> int:
        """The count in the menu."""
        if self._person(caller) is None:
            return 0
        with self._inbox.transaction() as tx:
            rows = self._mine(tx, caller)
            return len(rows) - len(tx.read_marks(caller.user_id, [r.id for r in rows]))

    def mark_read(self, caller: Caller, ids: Sequence[int] | None = None) -> int:
        """Mark these (or all of the person's) as read; ids that are not theirs are ignored."""
        with self._inbox.transaction() as tx:
            mine = {r.id for r in self._mine(tx, caller)}
            chosen = sorted(mine if ids is None else mine & set(ids))
            tx.mark_read(caller.user_id, chosen, self._clock())
            tx.commit()
        return len(chosen)

    def _out(self, tx: InboxBatch, row: OutboxMessage, read: bool) -> NotificationOut:
        link = self._case_link.format(base_url=self._base_url, case_id=row.case_id)
        rendered = render(notice_of(tx, row, link))
        return NotificationOut(
            id=row.id,
            at=row.created_at or row.next_attempt_at or self._clock(),
            case_id=row.case_id,
            case_ref=case_reference(row.case_id),
            kind=row.kind,
            subject=rendered.subject.removeprefix(SUBJECT_PREFIX).strip(),
            text=rendered.text,
            link=link,
            read=read,
        )
