"""The read-side services through their `Fake*` ports: feed, audit, loggkontroll, overview,
reports and accounts, with no database (the SqlAlchemy adapters are covered by tests/integration)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engine.service.access import Caller
from engine.service.accounts import AccountService
from engine.service.audit import AuditService
from engine.service.errors import ServiceError
from engine.service.feed import EventFeedService
from engine.service.loggkontroll import LoggkontrollService
from engine.service.overview import OverviewService
from engine.service.query_ports import AccessLogRecord, CaseFacts, FeedCase, ReportCase, ReportEvent, TaskSpan
from engine.service.reports import ReportService, parse_period
from tests.fakes import FakeAccessLog, FakeAccounts, FakeCaseCounts, FakeClock, FakeEventFeed, FakeReportSource
from tests.unit.casekit import Case, at

AF = Caller("af-system", "party_system", "af")
KOMMUN = Caller("kommun-system", "party_system", "kommun")
ADMIN = Caller("frida.admin@forbund", "forbund_admin", None)
AUDITOR = Caller("greta.granskare@forbund", "auditor", None)
SAMORDNARE = Caller("sara@kommun", "samordnare", "kommun", ("samordnare",))
NOW = datetime(2026, 6, 15, 8, tzinfo=UTC)


def _feed_with_a_referral() -> FakeEventFeed:
    case = Case.referred(date(2026, 6, 1))  # referred by af, hosted by kommun; the first task is kommun's
    feed = FakeEventFeed()
    feed.add_case("c1", FeedCase(definition=case.definition, state=case.s, person_id="p1"))
    for event in case.events:
        feed.add_event("c1", event.type, dict(event.data), event.at)
    return feed


def test_the_feed_shows_a_referring_party_no_foreign_task_but_moves_its_cursor_past_them() -> None:
    feed = _feed_with_a_referral()
    events, cursor = EventFeedService(feed, FakeClock(NOW)).after(AF)
    assert events == []
    assert cursor == 3, "the cursor is the last event examined, so the next call does not read them again"
    assert feed.access_log == []


def test_the_feed_logs_one_read_per_case_and_stops_at_the_committed_horizon() -> None:
    feed = _feed_with_a_referral()
    feed.horizon_at = 2  # an unfinished transaction may still commit event 3
    events, cursor = EventFeedService(feed, FakeClock(NOW)).after(KOMMUN, purpose="sync")
    assert [e.type for e in events] == ["CaseReferred", "PhaseEntered"]
    assert cursor == 2
    assert [(r["case_id"], r["person_id"], r["purpose"]) for r in feed.access_log] == [("c1", "p1", "sync")]
    with pytest.raises(ServiceError):
        EventFeedService(feed, FakeClock(NOW)).after(KOMMUN, cursor=-1)


def test_a_cursor_beyond_the_newest_event_is_refused_not_echoed() -> None:
    feed = _feed_with_a_referral()  # events 1..3
    service = EventFeedService(feed, FakeClock(NOW))
    assert service.after(KOMMUN, cursor=3) == ([], 3), "the newest event's id is a cursor like any other"
    with pytest.raises(ServiceError) as refused:
        service.after(KOMMUN, cursor=999_999)
    err = refused.value
    assert (err.code, err.status, err.details) == ("cursor_invalid", 400, {"field": "after"})
    assert "999999" in err.message
    assert "senaste händelsen" in err.message
    assert feed.access_log == []
    with pytest.raises(ServiceError, match="senaste händelsen"):
        service.after(KOMMUN, cursor=4)
    assert EventFeedService(FakeEventFeed(), FakeClock(NOW)).after(KOMMUN, cursor=0) == ([], 0)


def _entry(id_: int, at_: datetime, user: str = "anna@af", kind: str = "handlaggare", party: str | None = "af",
           person: str | None = "p1", case: str | None = "c1") -> AccessLogRecord:  # fmt: skip
    return AccessLogRecord(id_, at_, user, kind, party, person, case, "case", "handläggning")


def test_the_audit_page_filters_and_counts_through_the_access_log_port() -> None:
    log = FakeAccessLog([_entry(i, NOW + timedelta(minutes=i), person=f"p{i % 2}") for i in range(1, 8)])
    page = AuditService(log).access_log(AUDITOR, person_id="p1", limit=2, page=2)
    assert (page.total, [e.id for e in page.items]) == (4, [5, 7])
    with pytest.raises(ServiceError):
        AuditService(log).access_log(ADMIN)


def test_loggkontroll_flags_reads_outside_a_task_at_night_and_in_bulk() -> None:
    day = date(2026, 5, 12)
    entries = [
        _entry(1, at(day, 10)),  # af has a task in c1 that day
        _entry(2, at(day, 23), case="c2"),  # no task of af in c2, and at night
        *[_entry(10 + i, at(day, 14) + timedelta(minutes=i), user="bulk@af", person=f"q{i}") for i in range(4)],
    ]
    spans = [TaskSpan("c1", "af", date(2026, 5, 1), None, "open"), TaskSpan("c2", "af", date(2026, 4, 1),
             date(2026, 4, 30), "completed")]  # fmt: skip
    sample = LoggkontrollService(FakeAccessLog(entries, spans), FakeClock(NOW)).sample(
        AUDITOR, parse_period("2026-05"), size=2, seed=1, bulk_persons=3
    )
    flags = {e.id: e.flags for e in sample.flagged}
    assert 1 not in flags
    assert flags[2] == ["outside_task", "night"]
    assert all("bulk" in flags[10 + i] for i in range(4))
    assert sample.entries_in_period == 6
    assert len(sample.sample) == 2


def test_the_overview_counts_cases_per_version_phase_and_outcome() -> None:
    counts = FakeCaseCounts()
    counts.add("finsam", 1, CaseFacts("active", "kartlaggning", None, "kvinna", False))
    counts.add("finsam", 2, CaseFacts("active", "kartlaggning", None, None, True))
    counts.add("finsam", 2, CaseFacts("closed", None, "studier", "man", False))
    counts.add("annan", 1, CaseFacts("closed", None, None, "man", False))
    overview = OverviewService(counts)
    assert overview.running_per_version(ADMIN) == {("finsam", 1): 1, ("finsam", 2): 1}
    fu = overview.follow_up(ADMIN, "finsam")
    assert (fu.total, fu.active, fu.closed, fu.anonymous) == (3, 2, 1, 1)
    assert fu.by_phase == {"kartlaggning": 2}
    assert fu.by_gender == {"kvinna": 1, "okänt": 1, "man": 1}
    assert overview.follow_up(ADMIN).by_outcome == {"studier": 1, "avbrott": 1}


def test_a_report_counts_admitted_participants_from_the_facts_the_source_gives() -> None:
    source = FakeReportSource({"finsam": "Finsam-insats"})
    for i, gender in enumerate(("kvinna", "kvinna", "man", "annat", "kvinna", "man")):
        cid = f"c{i}"
        source.cases[cid] = ReportCase("finsam", gender, 1990)
        source.events.append(
            ReportEvent(cid, "ParticipationDecided", at(date(2026, 2, 2 + i)), {"decision": "admitted"})
        )
        if i < 2:
            source.events.append(ReportEvent(cid, "CaseClosed", at(date(2026, 3, 10)), {"outcome": "studier"}))
    source.cases["never"] = ReportCase("finsam", "man", 1990)
    source.events.append(
        ReportEvent("never", "ParticipationDecided", at(date(2026, 2, 1)), {"decision": "not_admitted"})
    )
    reports = ReportService(source, FakeClock(NOW))
    raw = reports.raw(ADMIN, parse_period("2026T1"))["finsam"]
    assert raw.started == {"total": 6, "kvinna": 3, "man": 2, "annat": 1, "okänt": 0}
    assert raw.ended_by["studier"] == 2
    report = reports.finsam(ADMIN, parse_period("2026T1"))
    (insats,) = report.insatser
    assert (insats.name, insats.started["total"], insats.started["kvinna"]) == ("Finsam-insats", 6, None)
    with pytest.raises(ServiceError):
        reports.finsam(SAMORDNARE, parse_period("2026T1"))


def test_accounts_are_saved_signed_in_and_given_a_notification_choice_through_the_store_port() -> None:
    store, clock = FakeAccounts(), FakeClock(NOW)
    accounts = AccountService(store, clock)
    accounts.save("sara@kommun", kind="samordnare", party="kommun", roles=("samordnare",), password="hemligt lösen")
    assert accounts.count() == 1
    assert accounts.authenticate("sara@kommun", "fel") is None
    clock.advance(hours=1)
    signed_in = accounts.authenticate(" sara@kommun ", "hemligt lösen")
    assert signed_in is not None
    assert signed_in.caller().party == "kommun"
    assert store.rows["sara@kommun"].last_login_at == NOW + timedelta(hours=1)
    assert store.rows["sara@kommun"].created_at == NOW
    out = accounts.set_notifications(signed_in.caller(), "Sara@Kommun.example", "digest")
    assert (out.email, out.notify_mode) == ("Sara@kommun.example", "digest")
    with pytest.raises(ServiceError):
        accounts.set_notifications(signed_in.caller(), None, "event")
    assert accounts.authenticate("okänd", "x") is None
