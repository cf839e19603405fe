"""Shared integration fixtures: databases on SQLite and PostgreSQL, services with a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.bootstrap import Services, build_services
from engine.settings import Settings
from tests.fakes import FakeClock, FakeIds
from tests.integration.store_kit import (  # noqa: F401  (fixtures)
    db_url,
    empty_db_url,
    pg_db_url,
    pg_template,
    sqlite_template,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True, scope="session")
def _fresh_artifacts() -> None:
    """The screenshots of one run, every browser test's: last run's are cleared once, when the session starts
    (a module clearing them would delete the screenshots the modules before it took)."""
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    if artifacts.exists():
        for png in artifacts.rglob("*.png"):
            png.unlink()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_services(url: str, clock: FakeClock) -> Services:
    settings = Settings(database_url=url, definitions_dir=REPO / "definitions")
    return build_services(settings, clock=clock, ids=FakeIds("c"))


@pytest.fixture
def services(db_url: str, clock: FakeClock) -> Iterator[Services]:  # noqa: F811
    svc = make_services(db_url, clock)
    try:
        yield svc
    finally:
        svc.close()
from tests.integration.api_kit import api, database_url  # noqa: E402, F401  (API test fixtures, module-scoped)
