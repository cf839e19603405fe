"""Demo data for `make run`: a few cases in different phases, built through service commands
exactly as party systems would through the API, and a bearer token for each demo identity.

Created only when the database has no cases, so restarting `make run` keeps what you did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from api.auth import DEMO_IDENTITIES, Authenticator, DemoClient
from engine.core import commands as c
from engine.service.access import Caller
from engine.service.views import CaseOut, ReferralIn

DEMO_TOKEN_TTL = 12 * 3600


def identity(client_id: str) -> Caller:
    return next(i for i in DEMO_IDENTITIES if i.client_id == client_id).caller()


SAMORDNARE = "sara.samordnare@kommun"
ACTOR_BY_PARTY = {
    "kommun": SAMORDNARE,
    "af": "anna.handlaggare@af",
    "fk": "fredrik.handlaggare@fk",
    "region": "rut.rehab@region",
}


@dataclass
class DemoDriver:
    """Moves a demo case along its path with the identity that owns each step."""

    services: Any
    today: date

    def run(self, case: CaseOut, command: c.Command, who: str = SAMORDNARE) -> CaseOut:
        caller = identity(who)
        return self.services.cases.execute(caller, case.id, command, expected_version=case.version)  # type: ignore[no-any-return]

    def finish_tasks(self, case: CaseOut) -> CaseOut:
        """Complete every open blocking task of the current phase, each by its own party."""
        for _ in range(20):
            task = next(
                (t for t in case.tasks if t.status in ("open", "accepted") and t.blocking and t.phase == case.phase),
                None,
            )
            if task is None:
                return case
            who = ACTOR_BY_PARTY.get(task.party, SAMORDNARE)
            case = self.run(case, c.CompleteTask(task_id=task.task_id, actor=who), who)
        return case

    def move(self, case: CaseOut, phase: str, **facts: Any) -> CaseOut:
        case = self.finish_tasks(case)
        for fact, value in facts.items():
            case = self.run(case, c.RecordFact(fact=fact, value=value, actor=SAMORDNARE))
        return self.run(case, c.StartPhase(phase=phase, actor=SAMORDNARE))

    def consent(self, case: CaseOut, parties: tuple[str, ...] = ("af", "fk", "kommun", "region")) -> CaseOut:
        return self.run(
            case, c.RecordConsent(parties=parties, given_on=self.today, form="skriftligt", actor=SAMORDNARE)
        )

    def to(self, case: CaseOut, target: str) -> CaseOut:
        """Follow the FINSAM path up to `target` (a phase id)."""
        today = self.today.isoformat()
        steps: list[tuple[str, dict[str, Any]]] = [
            ("samtycke", {}),
            ("beslut", {}),
            ("inskrivning", {}),
            ("kartlaggning", {"inskrivningssamtal_hallet": today}),
            ("arbetstraning", {"avstamningsmote_hallet": today}),
            ("avslut", {}),
        ]
        if not case.anonymous and case.consent is None:  # named: consent first (else the host sees only tasks)
            case = self.consent(case)
        for phase, facts in steps:
            if case.phase == target:
                break
            if phase == "inskrivning":
                case = self.run(case, c.DecideParticipation(decision="admitted", actor=SAMORDNARE))
            case = self.move(case, phase, **facts)
        return case


def has_cases(settings: Any) -> bool:
    from sqlalchemy import func, select

    from engine.adapters.store.db import make_engine
    from engine.adapters.store.models import CaseRow

    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(select(func.count()).select_from(CaseRow)).scalar())
    finally:
        engine.dispose()


def create_demo_cases(services: Any, today: date) -> list[CaseOut]:
    """Six cases: one per interesting phase, one anonymous, one protected, one closed."""
    drv = DemoDriver(services, today)
    refer = services.cases.refer
    kommun = identity(SAMORDNARE)
    made: list[CaseOut] = []

    made.append(drv.consent(refer(kommun, ReferralIn(personnummer="191212121212", name="Alva Exempel"))))
    named = refer(kommun, ReferralIn(personnummer="198502022398", name="Bo Demosson", sick_period_start=today))
    made.append(drv.to(named, "kartlaggning"))
    named = refer(kommun, ReferralIn(personnummer="197803031231", name="Cecilia Prov"))
    made.append(drv.to(named, "arbetstraning"))
    anon = refer(kommun, ReferralIn(anonymous=True, gender="man", birth_year=1995, note="Anonymt deltagande"))
    made.append(drv.to(anon, "beslut"))
    prot = refer(kommun, ReferralIn(protected_identity=True, gender="kvinna", birth_year=1988))
    made.append(drv.to(prot, "samtycke"))
    done = refer(kommun, ReferralIn(personnummer="196904041115", name="David Avslutad"))
    done = drv.to(done, "avslut")
    done = drv.finish_tasks(done)
    made.append(drv.run(done, c.ExitCase(outcome="studier", actor=SAMORDNARE)))
    return made


def demo_tokens(auth: Authenticator) -> list[tuple[DemoClient, str]]:
    return [(ident, auth.issue(ident, ttl=DEMO_TOKEN_TTL)) for ident in DEMO_IDENTITIES]
