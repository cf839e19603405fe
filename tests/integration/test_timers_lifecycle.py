"""One FINSAM case from referral to exit over ten simulated months, through the service layer, the
timer sweep and the dispatcher into a real SMTP server: every reminder, escalation and
rehabiliteringskedjan warning arrives exactly once, on the right Swedish working day, to the right
party, around Easter, midsommar and Christmas."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from sqlalchemy import select

from engine.adapters.notify.email import SmtpConfig, SmtpSender
from engine.adapters.store.models import EventRow, OutboxRow
from engine.bootstrap import Services, new_dispatcher
from engine.core import commands as c
from engine.service.access import Caller
from engine.service.contacts import ContactDirectory
from engine.service.mail_message import message_id
from engine.service.outbox_ports import DELIVERY_KINDS
from engine.service.retry import RetryPolicy
from engine.service.timers import sweep_due_timers
from tests.fakes import FakeClock
from tests.integration.conftest import make_services
from tests.integration.notify_kit import SmtpServer, smtp_server_fixture  # noqa: F401
from tests.integration.service_kit import AF, AF_HANDLAGGARE, FK, REGION, SAMORDNARE, load_state, named_referral

TZ = ZoneInfo("Europe/Stockholm")
SE = holidays.country_holidays("SE", years=range(2027, 2029), categories=(holidays.PUBLIC, holidays.DE_FACTO))

ADDRESSES = {
    "samordnare": "samordnare@kommun.example.se",
    "teamledare": "teamledare@kommun.example.se",
    "samverkansteam": "team@kommun.example.se",
    "handledare": "handledare@kommun.example.se",
    "rehabkoordinator": "rehab@region.example.se",
    "af": "insats@af.example.se",
    "fk": "rehabkedjan@fk.example.se",
    "region": "vardcentral@region.example.se",
    "kommun": "socialtjanst@kommun.example.se",
}
CALLER_BY_PARTY: dict[str, Caller] = {"kommun": SAMORDNARE, "af": AF, "fk": FK, "region": REGION}


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TZ).astimezone(UTC)


def working(day: date) -> bool:
    return day.weekday() < 5 and day not in SE


@pytest.fixture
def sqlite_services(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[Services, FakeClock]]:
    path = tmp_path / "insats.db"
    shutil.copyfile(sqlite_template, path)
    clock = FakeClock(local(date(2027, 3, 22), 9))
    svc = make_services(f"sqlite:///{path}", clock)
    try:
        yield svc, clock
    finally:
        svc.close()


class Driver:
    def __init__(self, svc: Services, clock: FakeClock, smtp: SmtpServer) -> None:
        self.svc, self.clock = svc, clock
        contacts = ContactDirectory()
        for recipient, address in ADDRESSES.items():
            contacts.register_email(recipient, address)
        self.dispatcher = new_dispatcher(
            svc, contacts, mail=SmtpSender(SmtpConfig(port=smtp.port)), retry=RetryPolicy(jitter=lambda: 0.5)
        )
        self.case_id = ""
        self.day = local_day(clock())
        self.hold: set[str] = set()

    def at(self, day: date, hour: int, minute: int = 0) -> None:
        self.clock.set(local(day, hour, minute))

    def run(self, caller: Caller, cmd: c.Command) -> None:
        self.svc.cases.execute(caller, self.case_id, cmd, expected_version=None)

    def worker_round(self) -> None:
        sweep_due_timers(self.svc)
        stats = self.dispatcher.run_once()
        assert stats.errors == []

    def live_until(self, end: date, chores: bool = True) -> None:
        """Day by day: timers fire at 06:00, e-mail goes at 07:00, and on Mondays the team does its chores."""
        day = self.day
        while day < end:
            day += timedelta(days=1)
            self.at(day, 6)
            self.worker_round()
            self.at(day, 7, 5)
            self.worker_round()
            if chores and day.weekday() == 0:
                self.at(day, 10)
                self.chores(day)
                self.worker_round()
        self.day = end

    def chores(self, day: date) -> None:
        _, state = load_state(self.svc, self.case_id)
        if state.closed:
            return
        for task in state.open_tasks():
            if task.id in self.hold or task.due is None or task.due > day + timedelta(days=10):
                continue
            self.run(CALLER_BY_PARTY[task.party], c.CompleteTask(task.id))
        self.run(SAMORDNARE, c.RecordContact())

    def complete_phase(self) -> None:
        _, state = load_state(self.svc, self.case_id)
        for task in state.open_tasks():
            if task.phase == state.phase:
                self.run(CALLER_BY_PARTY[task.party], c.CompleteTask(task.id))


def local_day(dt: datetime) -> date:
    return dt.astimezone(TZ).date()


def test_a_finsam_case_from_referral_to_exit_notifies_everyone_once_on_working_days(
    sqlite_services: tuple[Services, FakeClock], smtp_server: SmtpServer
) -> None:
    svc, clock = sqlite_services
    drv = Driver(svc, clock, smtp_server)
    # Monday 22 March 2027, Easter week ahead. The referral acknowledgement is left late on purpose.
    drv.at(date(2027, 3, 22), 10)
    out = svc.cases.refer(AF_HANDLAGGARE, named_referral(sick_period_start=date(2027, 4, 11)))
    drv.case_id = out.id
    drv.hold = {"bekrafta_remiss"}
    drv.worker_round()
    drv.live_until(date(2027, 4, 5), chores=False)

    drv.at(date(2027, 4, 5), 10)  # annandag påsk was 29 March; the escalation waited for this Monday
    drv.hold = set()
    drv.run(SAMORDNARE, c.CompleteTask("bekrafta_remiss"))
    drv.run(SAMORDNARE, c.StartPhase("samtycke"))
    drv.run(SAMORDNARE, c.RecordConsent(("af", "fk", "kommun", "region"), given_on=date(2027, 4, 5)))
    drv.complete_phase()
    drv.run(SAMORDNARE, c.StartPhase("beslut"))
    drv.run(SAMORDNARE, c.DecideParticipation("admitted"))
    drv.complete_phase()
    drv.run(SAMORDNARE, c.StartPhase("inskrivning"))  # meeting: inskrivningssamtal, with an invitation
    drv.worker_round()
    drv.live_until(date(2027, 4, 14))

    drv.at(date(2027, 4, 14), 10)
    drv.complete_phase()
    drv.run(SAMORDNARE, c.RecordFact("inskrivningssamtal_hallet", "2027-04-14"))
    drv.run(SAMORDNARE, c.StartPhase("kartlaggning"))
    drv.worker_round()
    drv.live_until(date(2027, 5, 28))

    drv.at(date(2027, 5, 28), 10)  # arbetsträning from Friday 28 May: the first follow-up falls on midsommarafton
    drv.complete_phase()
    drv.run(SAMORDNARE, c.RecordFact("avstamningsmote_hallet", "2027-05-28"))
    drv.run(SAMORDNARE, c.StartPhase("arbetstraning"))
    drv.worker_round()
    drv.live_until(date(2027, 8, 20))
    drv.at(date(2027, 8, 20), 10)
    drv.run(SAMORDNARE, c.ExtendPhase("behöver mer tid"))
    drv.live_until(date(2027, 11, 19))
    drv.at(date(2027, 11, 19), 10)
    drv.run(SAMORDNARE, c.ExtendPhase("behöver mer tid"))
    drv.live_until(date(2027, 12, 20))

    drv.at(date(2027, 12, 20), 10)  # avslut over Christmas; the exit meeting is left late on purpose
    drv.complete_phase()
    drv.run(SAMORDNARE, c.StartPhase("avslut"))
    drv.hold = {"avslutningsmote", "registrera_avslut"}
    drv.worker_round()
    drv.live_until(date(2028, 1, 10), chores=False)
    drv.at(date(2028, 1, 10), 10)
    drv.run(SAMORDNARE, c.RecordFact("exitmote_hallet", "2028-01-10"))
    drv.complete_phase()
    drv.run(SAMORDNARE, c.ExitCase("förvärvsarbete"))
    drv.worker_round()
    drv.live_until(date(2028, 1, 20))

    # --- what should have been said, to whom: the notifications written with each change ----
    with svc.uow() as uow:
        events = {e.id: e for e in uow.session.scalars(select(EventRow).where(EventRow.case_id == drv.case_id))}
        notes = list(
            uow.session.scalars(
                select(OutboxRow).where(OutboxRow.case_id == drv.case_id, OutboxRow.kind.not_in(DELIVERY_KINDS))
            )
        )
        uow.commit()  # keep the rows readable after the unit of work
    _, state = load_state(svc, drv.case_id)
    assert state.closed
    assert {n.status for n in notes} == {"routed"}
    expected: dict[str, tuple[EventRow, str]] = {}
    for note in notes:
        key = f"{note.idempotency_key}:email:{ADDRESSES[note.recipient]}"
        expected[message_id(key)] = (events[note.event_id], note.recipient)
    mails = smtp_server.snapshot()
    counts = Counter(m.message_id for m in mails)
    assert [k for k, n in counts.items() if n > 1] == []  # nothing twice
    assert set(counts) == set(expected)  # nothing lost, nothing extra

    sent_on: dict[str, list[date]] = {}
    for m in mails:
        ev, recipient = expected[m.message_id]
        assert m.rcpt == [ADDRESSES[recipient]]
        sent = datetime.fromisoformat(str(m.message["Date"].datetime.isoformat())).astimezone(TZ)
        event_day = local_day(ev.at)
        # On the event's own day when that is a working day in office hours, else the next working morning.
        assert working(sent.date()), (ev.type, sent)
        assert time(7) <= sent.time() < time(17)
        skipped = [event_day + timedelta(days=i) for i in range((sent.date() - event_day).days)]
        assert not [d for d in skipped if working(d) and (d > event_day or ev.at.astimezone(TZ).time() < time(17))]
        sent_on.setdefault(f"{ev.type}:{ev.data.get('task') or ev.data.get('day') or ''}:{recipient}", []).append(
            sent.date()
        )

    # Around Easter 2027 (långfredag 26/3 – annandag påsk 29/3): due 31/3 after five working days.
    assert sent_on["ReminderDue:bekrafta_remiss:samordnare"] == [date(2027, 3, 25)]
    assert sent_on["DeadlineMissed:bekrafta_remiss:samordnare"] == [date(2027, 4, 1)]
    # Escalation fires Saturday 3 April; the e-mail waits for Monday 5 April.
    assert sent_on["TaskEscalated:bekrafta_remiss:teamledare"] == [date(2027, 4, 5)]
    # Rehabiliteringskedjan: day 90 = 9 July; warned 14 days before = 25 June = midsommarafton → 24 June.
    assert sent_on["RehabCheckpointWarning:90:fk"] == [date(2027, 6, 24)]
    assert sent_on["RehabCheckpointWarning:180:fk"] == [date(2027, 9, 23)]
    # The first follow-up in arbetsträning (nominally midsommarafton) is created on 24 June.
    assert sent_on["TaskCreated:arbetstraning_uppfoljning_1:handledare"] == [date(2027, 6, 24)]
    # Christmas: the exit meeting due 5 January 2028 is missed on trettondedag jul → e-mailed 7 January.
    assert sent_on["DeadlineMissed:avslutningsmote:samordnare"] == [date(2028, 1, 7)]
    # The meeting invitations carried calendars.
    invites = [m for m in mails if any(p.get_content_type() == "text/calendar" for p in m.message.walk())]
    invited = {expected[m.message_id][0].data.get("task") for m in invites}
    assert invited >= {"boka_inskrivningssamtal", "avslutningsmote"}
    # No e-mail says who the participant is.
    for m in mails:
        text = m.message.as_string()
        assert "Anna" not in text
        assert "19850505" not in text
