"""Digest through the outbox, and the loggkontroll sample with its flags."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from engine.adapters.store.models import OutboxRow
from engine.bootstrap import Services, build_batch, new_dispatcher
from engine.core import commands as c
from engine.service.contacts import ContactDirectory
from engine.service.dispatch import DispatchStats
from engine.service.reports import parse_period
from tests.fakes import FakeClock
from tests.integration.flows_kit import ALL, at, refer
from tests.integration.service_kit import (
    AUDITOR,
    FK,
    PNR_ANNA,
    PNR_BO,
    REGION,
    SAMORDNARE,
    SAMORDNINGSNUMMER,
    SYSTEM,
    run,
)


class CapturingSmtp:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    def send(self, message: Any) -> None:
        self.messages.append(message)


def test_digest_lists_overdue_and_due_this_week_once_per_address(services: Services, clock: FakeClock) -> None:
    overdue = refer(services, clock, date(2026, 6, 1), gender="kvinna", birth_year=1980)  # due 2026-06-08
    this_week = refer(services, clock, date(2026, 6, 10), gender="man", birth_year=1980)  # due 2026-06-17
    refer(services, clock, date(2026, 6, 15), gender="man", birth_year=1980)  # due 2026-06-22: next week
    clock.set(datetime(2026, 6, 15, 5, 0, tzinfo=UTC))  # Monday 07:00 in Stockholm
    contacts = ContactDirectory()
    contacts.register_email("samordnare", "sara@kommun.example")
    digest = build_batch(services, contacts=contacts).digest

    report = digest.run(SYSTEM)
    (who,) = report.recipients
    assert (who.recipient, who.overdue, who.due_this_week, report.written) == ("samordnare", 1, 1, 2)
    assert {(ln.case_id, ln.due, ln.overdue) for ln in who.lines} == {
        (overdue, "2026-06-08", True), (this_week, "2026-06-17", False),
    }  # fmt: skip
    assert digest.run(SYSTEM).written == 0, "a second run the same day writes nothing"

    smtp = CapturingSmtp()
    dispatcher = new_dispatcher(services, contacts, mail=smtp)
    dispatcher.collect_digests(clock(), DispatchStats())
    dispatcher.deliver(clock(), 50, DispatchStats())
    (mail,) = smtp.messages
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Försenad" in body
    assert "Påminnelse" in body
    assert "Bekräfta mottagen remiss" in body
    with services.uow() as uow:
        statuses = {r.status for r in uow.session.scalars(select(OutboxRow).where(OutboxRow.kind == "digest_item"))}
    assert statuses == {"digested"}


def test_no_digest_on_holidays_and_weekends(services: Services, clock: FakeClock) -> None:
    digest = build_batch(services).digest
    for day in (date(2026, 6, 19), date(2026, 6, 20), date(2026, 12, 24)):  # midsommarafton, Saturday, julafton
        clock.set(at(day))
        assert digest.run(SYSTEM).skipped


def test_loggkontroll_flags_and_reproducible_sample(services: Services, clock: FakeClock) -> None:
    cases = [refer(services, clock, date(2026, 6, 1), pnr=p, name="X") for p in (PNR_ANNA, PNR_BO, SAMORDNINGSNUMMER)]
    for cid in cases:
        run(services, SAMORDNARE, cid, c.CompleteTask("bekrafta_remiss"))
        run(services, SAMORDNARE, cid, c.StartPhase("samtycke"))
        run(services, SAMORDNARE, cid, c.RecordConsent(ALL, given_on=date(2026, 6, 1)))
    clock.set(datetime(2026, 6, 2, 8, 0, tzinfo=UTC))
    services.cases.get_case(SAMORDNARE, cases[0])  # has an open task: nothing unusual
    services.cases.get_case(REGION, cases[0])  # region has no task in the case
    clock.set(datetime(2026, 6, 2, 21, 30, tzinfo=UTC))  # 23:30 in Stockholm
    services.cases.get_case(SAMORDNARE, cases[1])
    for i, cid in enumerate(cases):  # FK reads three persons within ten minutes
        clock.set(datetime(2026, 6, 3, 9, 5 * i, tzinfo=UTC))
        services.cases.get_case(FK, cid)

    svc = build_batch(services).loggkontroll
    june = parse_period("2026-06")
    out = svc.sample(AUDITOR, june, size=4, bulk_persons=2, bulk_minutes=15)
    flagged = {(e.user_id, e.at.day, e.at.hour): e.flags for e in out.flagged}
    assert flagged[("region-system", 2, 8)] == ["outside_task"]
    assert flagged[(SAMORDNARE.user_id, 2, 21)] == ["night"]
    assert all(flagged[("fk-system", 3, 9)] == ["outside_task", "bulk"] for _ in cases)
    assert (SAMORDNARE.user_id, 2, 8) not in flagged
    assert len(out.sample) == 4
    assert out.entries_in_period > 4
    again = svc.sample(AUDITOR, june, size=4, bulk_persons=2, bulk_minutes=15)
    assert [e.id for e in again.sample] == [e.id for e in out.sample]
    assert again.seed == out.seed
    other = svc.sample(AUDITOR, june, size=out.entries_in_period, seed=99)
    assert len(other.sample) == out.entries_in_period
