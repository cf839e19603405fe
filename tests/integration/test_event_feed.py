"""The event feed: only what the caller's party may see, in order, resumable by cursor."""

from __future__ import annotations

from engine.core import commands as c
from engine.service.app import Services
from tests.integration.service_kit import AF, AF_HANDLAGGARE, FK, SAMORDNARE, named_referral, run, with_consent


def test_feed_returns_visible_events_in_order_and_resumes(services: Services) -> None:
    covered = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, covered.id, ("fk", "kommun"))
    hidden = services.cases.refer(AF_HANDLAGGARE, named_referral(pnr="198112189876", name="Bo Berg"))
    run(services, SAMORDNARE, hidden.id, c.RecordContact())

    first, cursor = services.feed.after(FK, 0, limit=3)
    rest, end = services.feed.after(FK, cursor, limit=1000)
    events = first + rest
    assert len(first) == 3
    assert {e.case_id for e in events} == {covered.id}
    ids = [e.id for e in events]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    again, end2 = services.feed.after(FK, end, limit=10)
    assert again == []
    assert end2 == end


def test_feed_without_consent_carries_only_the_partys_own_task_events(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, case.id, ("kommun",))
    run(services, SAMORDNARE, case.id, c.CompleteTask("inhamta_samtycke"))
    events, _ = services.feed.after(AF, 0, limit=100)
    assert events == []  # AF has no task yet and the consent does not cover it
    kommun, _ = services.feed.after(SAMORDNARE, 0, limit=100)
    assert any(e.type == "ConsentRecorded" for e in kommun)
