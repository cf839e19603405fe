"""The app with its web pages on a migrated SQLite file, a fake clock, accounts and cases built
through service commands (never by writing rows)."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.app import create_app
from engine.adapters.store.migrate import upgrade
from engine.core import commands as c
from engine.service.access import SYSTEM, Caller
from engine.service.views import CaseOut, ReferralIn
from engine.settings import Settings
from tests.fakes import FakeClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: F401  (re-exported)

PASSWORD = "korrekt-hast-batteri-häftklammer"
START = datetime(2026, 6, 15, 7, 30, tzinfo=UTC)  # a Monday, 09:30 in Stockholm

ACCOUNTS: dict[str, dict[str, Any]] = {
    "sara.samordnare@kommun": {
        "kind": "samordnare",
        "party": "kommun",
        "roles": ("samordnare", "teamledare", "samverkansteam", "handledare"),
        "name": "Sara Lind",
    },
    "anna.handlaggare@af": {"kind": "handlaggare", "party": "af", "roles": (), "name": "Anna Andersson"},
    "rut.rehab@region": {"kind": "handlaggare", "party": "region", "roles": ("rehabkoordinator",), "name": "Rut Holm"},
    "frida.admin@forbund": {"kind": "forbund_admin", "party": None, "roles": (), "name": "Frida Admin"},
}
ACTOR = {
    "kommun": "sara.samordnare@kommun",
    "af": "anna.handlaggare@af",
    "region": "rut.rehab@region",
}

# Valid personnummer (Luhn) for named test participants.
PNR_ALVA = "198505052384"
PNR_BO = "198112189876"


def caller(user_id: str) -> Caller:
    a = ACCOUNTS[user_id]
    return Caller(user_id=user_id, kind=a["kind"], party=a["party"], roles=tuple(a["roles"]), name=a["name"])


@dataclass
class PagesApp:
    app: Any
    clock: FakeClock

    @property
    def services(self) -> Any:
        return self.app.state.services

    def close(self) -> None:
        self.services.close()

    # --- cases through commands ---------------------------------------------------------------

    def run(self, case: CaseOut, cmd: c.Command, who: str = "sara.samordnare@kommun") -> CaseOut:
        out: CaseOut = self.services.cases.execute(caller(who), case.id, cmd, expected_version=None)
        return out

    def refer(
        self, pnr: str, name: str, consent: tuple[str, ...] | None = ("af", "fk", "kommun", "region"), team: bool = True
    ) -> CaseOut:
        """Referred by Sara (she is on the team); with `team`, the kit's other people join it too."""
        case: CaseOut = self.services.cases.refer(
            caller("sara.samordnare@kommun"), ReferralIn(personnummer=pnr, name=name)
        )
        if consent:
            case = self.run(case, c.RecordConsent(parties=consent, given_on=self.clock.now.date(), form="skriftligt"))
        return self.staff(case) if team else case

    def staff(self, case: CaseOut) -> CaseOut:
        """The kit's people of the other parties join the team (need-to-know), as the system."""
        for party, who in ACTOR.items():
            if party != "kommun":
                self.services.cases.execute(
                    SYSTEM, case.id, c.AddTeamMember(party, who, ACCOUNTS[who]["name"]), expected_version=None
                )
        return self.services.cases.get_case(caller("sara.samordnare@kommun"), case.id)  # type: ignore[no-any-return]

    def to_inskrivning(self, case: CaseOut) -> CaseOut:
        """Referral acknowledged, consent phase done, admitted: now in inskrivning (an AF task there)."""
        for phase in ("samtycke", "beslut"):
            case = self.finish(case)
            case = self.run(case, c.StartPhase(phase=phase))
        case = self.run(case, c.DecideParticipation(decision="admitted"))
        case = self.finish(case)
        return self.run(case, c.StartPhase(phase="inskrivning"))

    def finish(self, case: CaseOut) -> CaseOut:
        for _ in range(10):
            case = self.services.cases.get_case(caller("sara.samordnare@kommun"), case.id)
            task = next(
                (t for t in case.tasks if t.status in ("open", "accepted") and t.blocking and t.phase == case.phase),
                None,
            )
            if task is None:
                return case
            case = self.run(case, c.CompleteTask(task_id=task.task_id), ACTOR.get(task.party, "sara.samordnare@kommun"))
        return case


def build(tmp: Path, url: str | None = None) -> PagesApp:
    """The app on a new SQLite file in `tmp`, or on the database at `url` (migrated here)."""
    url = url or f"sqlite:///{tmp / 'pages.db'}"
    upgrade(url)
    clock = FakeClock(START)
    app = create_app(Settings(database_url=url, key_dir=tmp / "keys"), clock=clock)
    for user_id, a in ACCOUNTS.items():
        app.state.web.accounts.save(
            user_id, kind=a["kind"], party=a["party"], roles=tuple(a["roles"]), name=a["name"], password=PASSWORD
        )
    return PagesApp(app, clock)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m is not None, "no CSRF field on the page"
    return m.group(1)


def personnummer(year: int, month: int, day: int, serial: int) -> str:
    """A valid 12-digit personnummer (Luhn check digit) for test participants."""
    base = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    total = 0
    for i, ch in enumerate(base):
        v = int(ch) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return f"{year}{month:02d}{day:02d}{serial:03d}{(10 - total % 10) % 10}"
