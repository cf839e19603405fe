"""The store: Alembic creates every table and index; an unmigrated database is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from engine.adapters.store.db import make_engine, normalise_url
from engine.adapters.store.migrate import DatabaseNotMigrated, check_migrated, current, head_revision, upgrade
from engine.adapters.store.models import Base
from engine.bootstrap import build_services
from engine.cli import main
from engine.settings import Settings

TABLES = {
    "definitions",
    "persons",
    "cases",
    "consents",
    "events",
    "tasks",
    "timers",
    "outbox",
    "access_log",
    "idempotency",
}


def test_migrations_create_every_table_and_index(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        insp = inspect(engine)
        assert TABLES <= set(insp.get_table_names())
        indexes = {t: {tuple(i["column_names"]) for i in insp.get_indexes(t)} for t in TABLES}
        assert ("due_at",) in indexes["timers"]
        assert {("party", "status", "due"), ("responsible", "status", "due")} <= indexes["tasks"]
        assert ("status", "next_attempt_at") in indexes["outbox"]
        assert {("at",), ("person_id",), ("user_id",)} <= indexes["access_log"]
        uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("events")}
        uniques |= {tuple(i["column_names"]) for i in insp.get_indexes("events") if i.get("unique")}
        assert ("case_id", "seq") in uniques
        check_migrated(engine)
    finally:
        engine.dispose()


def test_migration_matches_the_models(empty_db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            conn.rollback()
    finally:
        engine.dispose()
    assert diff == []


def test_unmigrated_database_is_refused_with_the_command_to_run(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        with pytest.raises(DatabaseNotMigrated, match=r"Databasen är inte migrerad: kör `python -m engine db upgrade`"):
            check_migrated(engine)
    finally:
        engine.dispose()
    with pytest.raises(DatabaseNotMigrated):
        build_services(Settings(database_url=empty_db_url))


def test_db_commands_upgrade_and_report_current(empty_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--url", empty_db_url]) == 0
    assert current(empty_db_url) == head_revision()
    assert main(["db", "current", "--url", empty_db_url]) == 0
    out = capsys.readouterr().out
    assert str(head_revision()) in out


def test_plain_postgresql_urls_use_psycopg() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_0009_gives_every_stored_definition_its_forms_labels(empty_db_url: str) -> None:
    """A row stored before `forms` was a key of its labels gets it (the case page's forms); a row
    whose YAML no longer loads keeps what it had."""
    from datetime import UTC, datetime
    from pathlib import Path

    import sqlalchemy as sa

    from engine.core.loader import loads
    from engine.service.definitions import stored_labels

    text = (Path(__file__).resolve().parents[2] / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")
    full = stored_labels(loads(text, "finsam-insats"))
    old = {k: v for k, v in full.items() if k != "forms"}
    upgrade(empty_db_url, "0008_list_indexes")
    table = Base.metadata.tables["definitions"]
    engine = make_engine(empty_db_url)
    try:
        row = {"name": "x", "published": True, "created_at": datetime.now(UTC), "created_by": "test"}
        with engine.begin() as conn:
            rows = [{**row, "id": "finsam-insats", "yaml": text}, {**row, "id": "trasig", "yaml": ": ["}]
            conn.execute(table.insert(), [{**r, "version": 1, "labels": old} for r in rows])
        upgrade(empty_db_url)
        with engine.connect() as conn:
            labels = dict(conn.execute(sa.select(table.c.id, table.c.labels)).all())
    finally:
        engine.dispose()
    assert labels["finsam-insats"] == full
    assert labels["finsam-insats"]["forms"]["phase_kinds"]
    assert labels["trasig"] == old
