"""Consent-scoped access: who sees a participant's name and personnummer, and the access log."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine.adapters.store.models import AccessLogRow, EventRow, OutboxRow, PersonRow
from engine.bootstrap import Services
from engine.core import commands as c
from engine.service.errors import ServiceError
from engine.service.list_filters import TaskQuery
from engine.service.views import ReferralIn
from tests.fakes import FakeClock
from tests.integration.service_kit import (
    ADMIN,
    AF,
    AF_HANDLAGGARE,
    AUDITOR,
    FK,
    PNR_ANNA,
    REGION,
    SAMORDNARE,
    named_referral,
    on_team,
    run,
    with_consent,
)


def access_rows(svc: Services, **where: str | None) -> list[AccessLogRow]:
    with svc.uow() as uow:
        q = select(AccessLogRow)
        for k, v in where.items():
            q = q.where(getattr(AccessLogRow, k) == v)
        found = list(uow.session.scalars(q.order_by(AccessLogRow.id)).all())
        uow.session.expunge_all()
        return found


def person_id_of(svc: Services, case_id: str) -> str | None:
    from tests.integration.service_kit import load_state

    row, _ = load_state(svc, case_id)
    return row.person_id


def test_party_with_consent_sees_name_and_personnummer_and_the_read_is_logged(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, case.id, ("fk", "kommun"))
    out = services.cases.get_case(FK, case.id, purpose="handläggning sjukpenning")
    assert out.access == "full"
    assert out.person is not None
    assert (out.person.name, out.person.personnummer) == ("Anna Andersson", PNR_ANNA)
    assert out.facts == {}
    assert out.consent is not None
    assert out.consent.parties == ["fk", "kommun"]
    logged = access_rows(services, user_id=FK.user_id)
    assert [(r.case_id, r.person_id, r.resource, r.purpose, r.party) for r in logged] == [
        (case.id, person_id_of(services, case.id), "case", "handläggning sjukpenning", "fk")
    ]
    page = services.cases.timeline(FK, case.id, limit=5, page=1)
    assert page.total >= 5
    assert len(page.items) == 5
    assert [e.seq for e in page.items] == [1, 2, 3, 4, 5]
    assert [r.resource for r in access_rows(services, user_id=FK.user_id)] == ["case", "timeline"]


def test_party_without_consent_sees_only_its_own_tasks_with_the_case_reference(
    services: Services, clock: FakeClock
) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, case.id, ("fk", "kommun"))
    # AF referred the person but the consent does not cover AF
    out = services.cases.get_case(AF, case.id)
    assert (out.access, out.person, out.facts, out.consent, out.phase) == ("tasks", None, {}, None, None)
    assert all(t.party == "af" for t in out.tasks)
    with pytest.raises(ServiceError) as err:
        services.cases.timeline(AF, case.id)
    assert err.value.code == "forbidden"
    # region has no consent, no task and did not refer: the case does not exist for it
    with pytest.raises(ServiceError) as err:
        services.cases.get_case(REGION, case.id)
    assert err.value.code == "not_found"
    assert access_rows(services, party="af") == []
    assert access_rows(services, party="region") == []


def test_inbox_shows_a_name_only_where_consent_covers_the_party(services: Services, clock: FakeClock) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, case.id, ("kommun",))
    inbox = services.cases.tasks(SAMORDNARE, TaskQuery(status="open"))
    assert inbox.total == 1
    task = inbox.items[0]
    assert (task.case_id, task.task_id, task.party) == (case.id, "inhamta_samtycke", "kommun")
    assert task.person is not None
    assert task.person.name == "Anna Andersson"
    assert [r.resource for r in access_rows(services, user_id=SAMORDNARE.user_id)][-1] == "inbox"

    other = services.cases.refer(AF_HANDLAGGARE, named_referral(pnr="198112189876", name="Bo Berg"))
    inbox = services.cases.tasks(SAMORDNARE, TaskQuery(status="all"), limit=10)
    by_case = {t.case_id: t for t in inbox.items}
    assert by_case[other.id].person is None  # no consent yet: the case reference only

    clock.advance(days=10)
    overdue = services.cases.tasks(SAMORDNARE, TaskQuery(status="overdue"))
    assert {t.task_id for t in overdue.items} == {"inhamta_samtycke", "bekrafta_remiss"}
    assert all(t.overdue for t in overdue.items)
    assert services.cases.tasks(AF, TaskQuery(status="open")).total == 0


def test_withdrawn_consent_hides_personal_data_on_the_next_call(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, case.id, ("af", "kommun"))
    assert services.cases.get_case(AF, case.id).person is not None
    run(services, SAMORDNARE, case.id, c.WithdrawConsent(("af",), reason="Deltagarens begäran"))
    after = services.cases.get_case(AF, case.id)
    assert after.person is None
    assert after.access == "tasks"
    assert services.cases.get_case(SAMORDNARE, case.id).person is not None  # kommun is still covered
    run(services, SAMORDNARE, case.id, c.WithdrawConsent())
    kommun = services.cases.get_case(SAMORDNARE, case.id)
    assert kommun.person is None
    assert kommun.access == "case"
    assert services.cases.search_person(SAMORDNARE, PNR_ANNA) == []


def test_forbund_admin_and_auditor_never_see_a_case(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, case.id)
    for caller in (ADMIN, AUDITOR):
        for call in (
            lambda who: services.cases.get_case(who, case.id),
            lambda who: services.cases.timeline(who, case.id),
            lambda who: services.cases.tasks(who, TaskQuery(status="open")),
            lambda who: services.cases.search_person(who, PNR_ANNA),
            lambda who: services.cases.refer(who, named_referral()),
            lambda who: services.cases.execute(who, case.id, c.RecordContact(), expected_version=None),
            lambda who: services.cases.set_protected_identity(who, case.id),
            lambda who: services.feed.after(who, 0),
        ):
            with pytest.raises(ServiceError) as err:
                call(caller)
            assert (err.value.code, err.value.status) == ("forbidden", 403)
    with pytest.raises(ServiceError):
        services.audit.access_log(ADMIN)
    assert services.audit.access_log(AUDITOR).total >= 0


def test_task_commands_belong_to_the_responsible_party(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with pytest.raises(ServiceError) as err:
        services.cases.execute(AF, case.id, c.CompleteTask("bekrafta_remiss"), expected_version=None)
    assert err.value.code == "forbidden"
    with pytest.raises(ServiceError) as err:  # a party without consent cannot move the case
        services.cases.execute(FK, case.id, c.RecordContact(), expected_version=None)
    # FK may not even see this case (no consent, no task): the same not_found as a read, so a
    # command cannot probe which case ids exist
    assert (err.value.code, err.value.status) == ("not_found", 404)
    with pytest.raises(ServiceError) as err:  # nor can a stale If-Match reveal the case or its version
        services.cases.execute(FK, case.id, c.RecordContact(), expected_version=case.version + 7)
    assert (err.value.code, err.value.status) == ("not_found", 404)
    assert "version" not in str(err.value.details)
    on_team(services, case.id, SAMORDNARE)
    with pytest.raises(ServiceError) as err:
        services.cases.execute(SAMORDNARE, case.id, c.FireTimer("task:bekrafta_remiss:due"), expected_version=None)
    assert err.value.code == "forbidden"


def test_anonymous_and_protected_cases_never_carry_name_or_personnummer(services: Services) -> None:
    anon = services.cases.refer(AF_HANDLAGGARE, ReferralIn(anonymous=True, gender="kvinna", birth_year=1990))
    prot = services.cases.refer(AF_HANDLAGGARE, ReferralIn(protected_identity=True, gender="man", birth_year=1975))
    with pytest.raises(ServiceError) as err:
        services.cases.refer(AF_HANDLAGGARE, ReferralIn(anonymous=True, personnummer=PNR_ANNA))
    assert err.value.code == "validation_error"
    for cid in (anon.id, prot.id):
        with_consent(services, cid)
        out = services.cases.get_case(FK, cid)
        assert out.access == "case"
        assert out.person is None
        assert out.gender in ("kvinna", "man")
        assert out.birth_year in (1990, 1975)
    assert services.cases.get_case(SAMORDNARE, prot.id).protected_identity
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PersonRow)) == 0


def test_protected_identity_removes_name_and_personnummer_at_once(services: Services) -> None:
    first = services.cases.refer(AF_HANDLAGGARE, named_referral())
    second = services.cases.refer(FK, named_referral())  # same person, another insats
    with_consent(services, first.id)
    with_consent(services, second.id)
    assert services.cases.get_case(FK, first.id).person is not None
    out = services.cases.set_protected_identity(SAMORDNARE, first.id)
    assert out.person is None
    assert out.protected_identity
    assert (out.gender, out.birth_year) == ("kvinna", 1985)
    for cid in (first.id, second.id):
        seen = services.cases.get_case(FK, cid)
        assert seen.person is None
        assert seen.protected_identity
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PersonRow)) == 0
        types = uow.session.scalars(select(EventRow.type).where(EventRow.case_id == first.id)).all()
    assert "ProtectedIdentitySet" in types
    assert services.cases.search_person(FK, PNR_ANNA) == []


def test_personal_data_never_reaches_events_or_outbox(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, case.id)
    with services.uow() as uow:
        texts = [json.dumps(d, ensure_ascii=False) for d in uow.session.scalars(select(EventRow.data)).all()]
        texts += [json.dumps(p, ensure_ascii=False) for p in uow.session.scalars(select(OutboxRow.payload)).all()]
    assert texts
    for text in texts:
        assert "Anna" not in text
        assert PNR_ANNA not in text
        assert "19850505" not in text


def test_search_by_personnummer_returns_only_covered_cases_and_logs_each(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with pytest.raises(ServiceError) as err:
        services.cases.search_person(FK, "19850505-0000")
    assert err.value.code == "person_invalid"
    assert services.cases.search_person(FK, PNR_ANNA) == []
    with_consent(services, case.id, ("fk", "kommun"))
    found = services.cases.search_person(FK, "19850505-2384", purpose="sök deltagare")
    assert [f.id for f in found] == [case.id]
    logged = access_rows(services, user_id=FK.user_id)
    assert [(r.resource, r.purpose, r.case_id) for r in logged] == [("search", "sök deltagare", case.id)]


def test_every_personal_data_read_is_in_the_access_log_for_the_auditor(services: Services) -> None:
    case = services.cases.refer(AF_HANDLAGGARE, named_referral())
    with_consent(services, case.id, ("fk", "kommun"))
    pid = person_id_of(services, case.id)
    services.cases.get_case(FK, case.id, purpose="p1")
    services.cases.timeline(FK, case.id)
    services.cases.search_person(FK, PNR_ANNA)
    events, cursor = services.feed.after(FK, 0, limit=1000)
    assert events
    assert cursor == events[-1].id
    page = services.audit.access_log(AUDITOR, person_id=pid, user_id=FK.user_id, limit=50)
    assert [r.resource for r in page.items] == ["case", "timeline", "search", "event_feed"]
    assert all(r.person_id == pid and r.party == "fk" and r.caller_kind == "party_system" for r in page.items)
