"""Demo data for `make run`: a few cases in different phases, built through service commands
exactly as party systems would through the API, and a bearer token for each demo identity.

Created only when the database has no cases, so restarting `make run` keeps what you did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from api.auth import DEMO_IDENTITIES, Authenticator, DemoClient
from engine.core import commands as c
from engine.service.access import Caller
from engine.service.views import CaseOut, ReferralIn

DEMO_TOKEN_TTL = 12 * 3600
WEB_PASSWORDS_FILE = "demo-web-passwords.json"
"""Written by api.pages.signin.seed_demo_accounts (0600) in the key directory."""

# Skatteverket's published test personnummer (open data "Testpersonnummer", dataportal.se): they are
# never given to a real person, so demo data can never point at one. 19121212-1212 is "Tolvan
# Tolvansson"; the others are from the 1980s part of the series (born 1980-1985, födelsenummer 238-239).
DEMO_PERSONS: tuple[tuple[str, str], ...] = (
    ("191212121212", "Tolvan Tolvansson"),
    ("198204212396", "Bo Demosson"),
    ("198004262385", "Cecilia Prov"),
    ("198308172397", "David Avslutad"),
)


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
            if task.assignee != who:  # the party's person takes the task (and so joins the team)
                case = self.run(case, c.ClaimTask(task_id=task.task_id, actor=who), who)
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
    from engine.bootstrap import has_cases as any_case

    return any_case(settings)


def create_demo_cases(services: Any, today: date) -> list[CaseOut]:
    """Six cases: one per interesting phase, one anonymous, one protected, one closed."""
    drv = DemoDriver(services, today)
    refer = services.cases.refer
    kommun = identity(SAMORDNARE)
    made: list[CaseOut] = []

    (pnr_new, name_new), (pnr_kart, name_kart), (pnr_at, name_at), (pnr_done, name_done) = DEMO_PERSONS

    made.append(drv.consent(refer(kommun, ReferralIn(personnummer=pnr_new, name=name_new))))
    named = refer(kommun, ReferralIn(personnummer=pnr_kart, name=name_kart, sick_period_start=today))
    made.append(drv.to(named, "kartlaggning"))
    named = refer(kommun, ReferralIn(personnummer=pnr_at, name=name_at))
    made.append(drv.to(named, "arbetstraning"))
    anon = refer(kommun, ReferralIn(anonymous=True, gender="man", birth_year=1995, note="Anonymt deltagande"))
    made.append(drv.to(anon, "beslut"))
    prot = refer(kommun, ReferralIn(protected_identity=True, gender="kvinna", birth_year=1988))
    made.append(drv.to(prot, "samtycke"))
    done = refer(kommun, ReferralIn(personnummer=pnr_done, name=name_done))
    done = drv.to(done, "avslut")
    done = drv.finish_tasks(done)
    made.append(drv.run(done, c.ExitCase(outcome="studier", actor=SAMORDNARE)))
    return made


def demo_tokens(auth: Authenticator) -> list[tuple[DemoClient, str]]:
    return [(ident, auth.issue(ident, ttl=DEMO_TOKEN_TTL)) for ident in DEMO_IDENTITIES]


def web_passwords(app: Any, key_dir: Path) -> dict[str, str]:
    """The demo web-page passwords, created now (not at the first visit to /logga-in) so the start
    banner can show them; {} when demo accounts or local accounts are off (WEB_DEMO_ACCOUNTS,
    WEB_LOCAL_ACCOUNTS: a file left from an earlier start names accounts that cannot sign in) or
    the file is gone. Only accounts that exist are shown."""
    web = getattr(app.state, "web", None)
    if web is None or not web.settings.web_demo_accounts or not web.settings.web_local_accounts:
        return {}
    from api.pages.signin import seed_demo_accounts

    seed_demo_accounts(web)
    path = key_dir / WEB_PASSWORDS_FILE
    if not path.exists():
        return {}
    plain = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(plain, dict):
        return {}
    return {str(k): str(v) for k, v in plain.items() if web.accounts.get(str(k)) is not None}


def demo_token(settings: Any, user_id: str) -> str:
    """A bearer token (DEMO_TOKEN_TTL) for one demo user or party system, signed with the embedded
    keys (`python -m engine token <user-id>`). ValueError for an unknown id or without embedded keys."""
    from api.auth import build_authenticator

    ident = next((i for i in DEMO_IDENTITIES if i.client_id == user_id), None)
    if ident is None:
        known = ", ".join(i.client_id for i in DEMO_IDENTITIES)
        raise ValueError(f"okänd demoanvändare / unknown demo user {user_id!r}; finns: {known}")
    if getattr(settings, "jwks_url", None):
        raise ValueError("tokens utfärdas av identitetsleverantören (JWKS_URL): inga inbäddade nycklar")
    return build_authenticator(settings).issue(ident, ttl=DEMO_TOKEN_TTL)
