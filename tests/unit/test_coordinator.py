"""The coordinator role hears of declined tasks and of alerts without a recipient of their own."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.core import commands as c
from engine.core.decide import decide
from engine.core.events import Decision
from engine.core.loader import DefinitionError, load, loads

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 15, 9, tzinfo=UTC)

MINIMAL = """\
id: x
version: 1
name: x
{coordinator}
parties: [{{id: af, label: A}}, {{id: kommun, label: K}}]
roles:
  - {{id: handlaggare, label: H, party: af}}
  - {{id: samordnare, label: S, party: kommun}}
start: a
phases:
  - id: a
    label: A
    kind: referral
    tasks: [{{id: t, label: T, responsible: af, due: 5 arbetsdagar}}]
    transitions: [{{to: b}}]
  - {{id: b, label: B, kind: exit}}
"""


def _declined_notify(text: str) -> tuple[str, ...]:
    d = loads(text)
    first = decide(d, None, c.Refer("c1", "af"), NOW)
    assert isinstance(first, Decision)
    second = decide(d, first.state, c.DeclineTask("t", "ingen resurs"), NOW)
    assert isinstance(second, Decision)
    return next(e.notify for e in second.events if e.type == "TaskDeclined")


def test_declined_task_goes_to_the_named_coordinator() -> None:
    assert _declined_notify(MINIMAL.format(coordinator="coordinator: samordnare")) == ("samordnare",)


def test_without_a_coordinator_the_first_role_hears_of_it() -> None:
    assert _declined_notify(MINIMAL.format(coordinator="")) == ("handlaggare",)


def test_an_unknown_coordinator_is_reported_at_its_line() -> None:
    with pytest.raises(DefinitionError) as exc:
        loads(MINIMAL.format(coordinator="coordinator: nobody"), "x.yaml")
    assert [(p.line, p.path) for p in exc.value.problems] == [(4, "coordinator")]
    assert "nobody" in exc.value.problems[0].message


def test_the_shipped_finsam_definition_names_samordnare_as_coordinator() -> None:
    assert load(ROOT / "definitions" / "finsam-insats.yaml").coordinator == "samordnare"
