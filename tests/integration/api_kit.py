"""Fixtures for the API tests: the real app on a real database (SQLite and PostgreSQL).

Each test module gets its own database per backend (created and dropped here), migrated with
Alembic; requests go through FastAPI's TestClient with tokens the app itself issued.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2; plain httpx works the same
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import DEMO_IDENTITIES
from engine.adapters.store.migrate import upgrade
from engine.settings import Settings

PG_ADMIN_URL = os.environ.get("INSATS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)

    @property
    def today(self) -> date:
        return self.now.date()


def _pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'api.db'}"
        return
    name = f"insats_api_{uuid.uuid4().hex[:10]}"
    _pg(PG_ADMIN_URL, f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        _pg(PG_ADMIN_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Api:
    """A test client that knows the demo identities and carries ETags along."""

    client: TestClient
    app: Any
    clock: FakeClock
    tokens: dict[str, str] = field(default_factory=dict)

    def h(self, who: str | None, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if who is not None:
            headers["Authorization"] = "Bearer " + self.tokens[who]
        return headers

    def get(self, path: str, who: str | None, **kw: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self.h(who, **kw.pop("headers", {})), **kw)

    def post(self, path: str, who: str | None, json: Any = None, **kw: Any) -> Any:
        return self.client.post("/api/v1" + path, headers=self.h(who, **kw.pop("headers", {})), json=json, **kw)

    def refer(self, who: str = "sara.samordnare@kommun", **body: Any) -> dict[str, Any]:
        r = self.post("/cases", who, body)
        assert r.status_code == 201, r.text
        case: dict[str, Any] = r.json()
        return self.staff(case, who) if self.staff_cases else case

    staff_cases: bool = True
    """Put the demo people on each new case's team (need-to-know, issue 14)."""

    def staff(self, case: dict[str, Any], who: str = "sara.samordnare@kommun") -> dict[str, Any]:
        """The demo people of each party (`ACTOR`) join the case's team, each added by their party's
        system where that party may see the case; the case as `who` sees it afterwards."""
        changed = False
        for party, person in self.ACTOR.items():
            if any(m["user_id"] == person for m in case.get("team", [])) or person == who:
                continue
            r = self.client.post(
                f"/api/v1/cases/{case['id']}/team",
                headers=self.h(f"{party}-system", **{"If-Match": "*"}),
                json={"party": party, "user_id": person, "name": person.split("@")[0].title()},
            )
            changed |= r.status_code == 200
        if not changed or who is None:
            return case
        r = self.get(f"/cases/{case['id']}", who)
        return r.json() if r.status_code == 200 else case  # type: ignore[no-any-return]

    def cmd(
        self, case: dict[str, Any], path: str, body: Any = None, who: str = "sara.samordnare@kommun", expect: int = 200
    ) -> dict[str, Any]:
        r = self.post(
            f"/cases/{case['id']}{path}",
            who,
            body if body is not None else {},
            headers={"If-Match": f'"{case["version"]}"'},
        )
        assert r.status_code == expect, r.text
        if expect == 200:
            assert r.headers["ETag"] == f'"{r.json()["version"]}"'
        return r.json()  # type: ignore[no-any-return]

    def named(self, consent: tuple[str, ...] = ("kommun",), **body: Any) -> dict[str, Any]:
        """A named referral by the host party, with consent so the host sees the whole case."""
        from tests.integration.api_kit import new_personnummer

        body.setdefault("personnummer", new_personnummer())
        case = self.refer(**body)
        case = self.cmd(case, "/consents", {"parties": list(consent), "given_on": self.clock.today.isoformat()})
        return self.staff(case) if self.staff_cases else case

    def fresh(self, case: dict[str, Any], who: str = "sara.samordnare@kommun") -> dict[str, Any]:
        r = self.get(f"/cases/{case['id']}", who)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    # --- walking the FINSAM path ------------------------------------------------------------

    ACTOR = {
        "kommun": "sara.samordnare@kommun",
        "af": "anna.handlaggare@af",
        "fk": "fredrik.handlaggare@fk",
        "region": "rut.rehab@region",
    }

    def finish_tasks(self, case: dict[str, Any]) -> dict[str, Any]:
        for _ in range(20):
            open_ = [
                t
                for t in case["tasks"]
                if t["status"] in ("open", "accepted") and t["blocking"] and t["phase"] == case["phase"]
            ]
            if not open_:
                return case
            t = open_[0]
            self.cmd(case, f"/tasks/{t['task_id']}/complete", {"note": "klart"}, who=self.ACTOR[t["party"]])
            case = self.fresh(case)
        return case

    def to(
        self, case: dict[str, Any], target: str, consent: tuple[str, ...] = ("af", "fk", "kommun", "region")
    ) -> dict[str, Any]:
        today = self.clock.today.isoformat()
        steps = [
            ("samtycke", {}),
            ("beslut", {}),
            ("inskrivning", {}),
            ("kartlaggning", {"inskrivningssamtal_hallet": today}),
            ("arbetstraning", {"avstamningsmote_hallet": today}),
            ("avslut", {}),
        ]
        if consent and case["consent"] is None:
            case = self.cmd(case, "/consents", {"parties": list(consent), "given_on": today})
        case = self.staff(case) if self.staff_cases else case
        for phase, facts in steps:
            if case["phase"] == target:
                break
            if phase == "inskrivning":
                case = self.cmd(case, "/decision", {"decision": "admitted"})
            case = self.finish_tasks(case)
            for fact, value in facts.items():
                case = self.cmd(case, "/facts", {"fact": fact, "value": value})
            case = self.cmd(case, "/phase", {"phase": phase})
        assert case["phase"] == target
        return self.fresh(case)


def make_api(database_url: str, key_dir: Path) -> Api:
    upgrade(database_url)
    settings = Settings(database_url=database_url, key_dir=key_dir)
    clock = FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    app = create_app(settings, clock=clock)
    client = TestClient(app, raise_server_exceptions=False)
    auth = app.state.authenticator
    tokens = {i.client_id: auth.issue(i, ttl=86400) for i in DEMO_IDENTITIES}
    return Api(client=client, app=app, clock=clock, tokens=tokens)


@pytest.fixture(scope="module")
def api(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    a = make_api(database_url, tmp_path_factory.mktemp("keys"))
    try:
        yield a
    finally:
        a.client.close()
        a.app.state.services.close()


_n = [0]


def new_personnummer() -> str:
    """A fresh valid personnummer per call (born 1960-1999), so tests never share a person."""
    _n[0] += 1
    n = _n[0] + int(uuid.uuid4().int % 400) * 1000
    year = 1960 + n % 40
    month = 1 + (n // 40) % 12
    day = 1 + (n // 480) % 28
    serial = 100 + (uuid.uuid4().int % 899)
    base = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    total = 0
    for i, ch in enumerate(base):
        v = int(ch) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return f"{year}{month:02d}{day:02d}{serial:03d}{(10 - total % 10) % 10}"
