"""Migrating a case's state to another definition version (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from engine.core import commands as c
from engine.core.decide import decide
from engine.core.definition import Definition
from engine.core.events import Decision
from engine.core.loader import loads
from engine.core.migration import migrate_state
from engine.core.state import CaseState

TEXT = (Path(__file__).resolve().parents[2] / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")
NOW = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)


def v2(text: str = TEXT) -> Definition:
    return loads(text.replace("version: 1\n", "version: 2\n", 1))


def referred(d: Definition) -> CaseState:
    result = decide(d, None, c.Refer(case_id="k1", referred_by="af"), NOW)
    assert isinstance(result, Decision)
    return result.state


def test_a_case_in_a_phase_that_exists_moves_to_the_new_version_unchanged_otherwise() -> None:
    old = loads(TEXT)
    state = referred(old)
    outcome = migrate_state(old, v2(), state, {}, NOW)
    assert outcome.state is not None
    assert outcome.problems == ()
    assert outcome.state.definition_version == 2
    assert outcome.state.phase == "aktualisering"
    assert outcome.state.tasks == state.tasks
    assert state.definition_version == 1  # the input is not touched


def test_an_unmapped_phase_is_reported_and_the_state_left_alone() -> None:
    old = loads(TEXT)
    new = v2(
        TEXT.replace("  - id: aktualisering\n", "  - id: remiss\n").replace("start: aktualisering", "start: remiss")
    )
    state = referred(old)
    outcome = migrate_state(old, new, state, {}, NOW)
    assert outcome.state is None
    assert any("aktualisering" in p for p in outcome.problems)
    mapped = migrate_state(old, new, state, {"aktualisering": "remiss"}, NOW)
    assert mapped.state is not None
    assert mapped.state.phase == "remiss"
    assert mapped.notes


def test_a_case_on_another_version_or_closed_is_not_migrated() -> None:
    old = loads(TEXT)
    state = referred(old)
    assert migrate_state(v2(), v2(), state, {}, NOW).state is None
    closed = state.clone()
    closed.status = "closed"
    assert migrate_state(old, v2(), closed, {}, NOW).state is None
