"""The store's task-list query (engine/adapters/store/list_queries.py) against the fakes' one
(tests/fake_lists.py), whatever filters combine: Hypothesis draws a filter and a sort; both must
answer the same rows in the same order, with the same total, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, text

from engine.adapters.store import list_queries
from engine.adapters.store.db import make_engine
from engine.adapters.store.migrate import upgrade
from engine.adapters.store.writer import TASKS
from engine.service.ports import TaskFilter, TaskRecord
from tests import fake_lists
from tests.integration.api_kit import PG_ADMIN_URL, _pg

PARTIES = ("af", "fk", "kommun")
ROLES = ("samordnare", "rehab", "af")
PEOPLE = ("p1", "p2", "p3")
PHASES = ("a", "b")
STATUSES = ("open", "accepted", "completed", "declined")
DAY = date(2026, 12, 1)


def _rows() -> list[TaskRecord]:
    rng = random.Random(14)
    out = []
    for i in range(160):
        due = None if i % 9 == 0 else DAY + timedelta(days=rng.randrange(-8, 9))
        follow = None if i % 4 == 0 else DAY + timedelta(days=rng.randrange(-5, 5))
        out.append(TaskRecord(
            case_id=f"c{i // 4:03d}", task_id=f"t{i % 4}", label="x", kind="task", phase=rng.choice(PHASES),
            responsible=rng.choice(ROLES), party=rng.choice(PARTIES), status=rng.choice(STATUSES), due=due,
            blocking=False, meeting=False, escalated_to=rng.choice((None, None, "samordnare")),
            created_on=DAY - timedelta(days=rng.randrange(0, 5)), closed_on=None,
            assignee=rng.choice((None, *PEOPLE)), assignee_name=None, priority=rng.choice(("normal", "high")),
            follow_up=follow,
        ))  # fmt: skip
    return out


ROWS = _rows()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('lq') / 'lq.db'}"
    else:
        name = f"insats_lq_{uuid.uuid4().hex[:10]}"
        _pg(PG_ADMIN_URL, f'CREATE DATABASE "{name}"')
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    upgrade(url)
    # the rows alone, without their cases: SQLite's plain engine does not enforce foreign keys, and
    # PostgreSQL's is dropped in this throw-away database
    eng = create_engine(url) if request.param == "sqlite" else make_engine(url)
    with eng.begin() as conn:
        if eng.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE tasks DROP CONSTRAINT IF EXISTS fk_tasks_case_id_cases"))
        conn.execute(TASKS.insert(), [dataclasses.asdict(r) for r in ROWS])
    try:
        yield eng
    finally:
        eng.dispose()
        if request.param == "postgresql":
            _pg(PG_ADMIN_URL, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


maybe = lambda values: st.none() | st.sampled_from(values)  # noqa: E731
days = st.none() | st.integers(-9, 9).map(lambda n: DAY + timedelta(days=n))
filters = st.builds(
    TaskFilter,
    party=st.sampled_from(PARTIES),
    roles=st.lists(st.sampled_from(ROLES), max_size=2, unique=True).map(tuple),
    statuses=st.none() | st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3, unique=True).map(tuple),
    due_before=days,
    due_from=days,
    due_to=days,
    assignees=st.none() | st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=2, unique=True).map(tuple),
    unassigned=st.booleans(),
    responsible=st.none() | st.lists(st.sampled_from(ROLES), max_size=2, unique=True).map(tuple),
    case_id=maybe([f"c{i:03d}" for i in range(5)]),
    phase=maybe(PHASES),
    priority=maybe(("normal", "high")),
    sort=st.sampled_from(("due", "-due", "priority", "follow_up", "created")),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=filters, limit=st.integers(1, 30), offset=st.integers(0, 40))
def test_the_store_and_the_fake_answer_the_same_page_and_total(
    engine: Engine, where: TaskFilter, limit: int, offset: int
) -> None:
    with engine.connect() as conn:
        rows, total = list_queries.tasks(conn, where, limit, offset)
    expected, expected_total = fake_lists.task_page(ROWS, where, limit, offset)
    assert total == expected_total
    assert [(r["case_id"], r["task_id"]) for r in rows] == [(t.case_id, t.task_id) for t in expected]
