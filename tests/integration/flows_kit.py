"""Building participants for report, gallring and digest tests: through commands, with a fake clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

from engine.bootstrap import Services
from engine.core import commands as c
from engine.service.views import ReferralIn
from tests.fakes import FakeClock
from tests.integration.service_kit import AF_HANDLAGGARE, SAMORDNARE, run

ALL = ("af", "fk", "kommun", "region")


def at(day: date, hour: int = 8) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def refer(
    svc: Services,
    clock: FakeClock,
    day: date,
    *,
    gender: str | None = None,
    birth_year: int | None = None,
    pnr: str | None = None,
    name: str | None = None,
) -> str:
    clock.set(at(day))
    if pnr is None:
        referral = ReferralIn(anonymous=True, gender=gender, birth_year=birth_year)  # type: ignore[arg-type]
    else:
        referral = ReferralIn(personnummer=pnr, name=name)
    return svc.cases.refer(AF_HANDLAGGARE, referral).id


def admit(svc: Services, clock: FakeClock, case_id: str, day: date, *, consent: bool = False, note: str = "") -> None:
    """Referral acknowledged, consent (or anonymous), admitted on `day`: now in inskrivning."""
    clock.set(at(day))
    run(svc, SAMORDNARE, case_id, c.CompleteTask("bekrafta_remiss"))
    run(svc, SAMORDNARE, case_id, c.StartPhase("samtycke"))
    if consent:
        run(svc, SAMORDNARE, case_id, c.RecordConsent(ALL, given_on=day))
    run(svc, SAMORDNARE, case_id, c.CompleteTask("inhamta_samtycke"))
    run(svc, SAMORDNARE, case_id, c.StartPhase("beslut"))
    run(svc, SAMORDNARE, case_id, c.DecideParticipation("admitted", note=note or None))
    run(svc, SAMORDNARE, case_id, c.CompleteTask("besluta_deltagande"))
    run(svc, SAMORDNARE, case_id, c.StartPhase("inskrivning"))


def exit_case(
    svc: Services, clock: FakeClock, case_id: str, day: date, outcome: str, reason: str | None = None
) -> None:
    clock.set(at(day))
    run(svc, SAMORDNARE, case_id, c.CompleteTask("boka_inskrivningssamtal", note="Bokat med Anna på mottagningen"))
    run(svc, SAMORDNARE, case_id, c.RecordFact("inskrivningssamtal_hallet", day.isoformat()))
    run(svc, SAMORDNARE, case_id, c.StartPhase("kartlaggning"))
    run(svc, SAMORDNARE, case_id, c.StartPhase("avslut"))
    run(svc, SAMORDNARE, case_id, c.CompleteTask("avslutningsmote"))
    run(svc, SAMORDNARE, case_id, c.ExitCase(outcome, reason=reason))


def abort(svc: Services, clock: FakeClock, case_id: str, day: date, reason: str = "egen_begaran") -> None:
    clock.set(at(day))
    run(svc, SAMORDNARE, case_id, c.AbortCase(reason, note="Flyttar till Malmö med sin sambo"))


def participant(
    svc: Services,
    clock: FakeClock,
    start: date,
    *,
    gender: str | None = None,
    birth_year: int | None = 1990,
    pnr: str | None = None,
    name: str | None = None,
    end: date | None = None,
    outcome: str | None = None,
) -> str:
    """One participant admitted on `start`; ended on `end` with `outcome` ("avbrott" aborts)."""
    cid = refer(svc, clock, start, gender=gender, birth_year=birth_year, pnr=pnr, name=name)
    admit(svc, clock, cid, start, consent=pnr is not None)
    if end is not None:
        if outcome == "avbrott":
            abort(svc, clock, cid, end)
        else:
            assert outcome is not None
            exit_case(svc, clock, cid, end, outcome, reason="Annan insats" if outcome == "övriga_avslutade" else None)
    return cid
