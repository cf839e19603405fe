"""The case state's JSON carries its format, and rows written in an older format still load.

The `fixtures/state_format1_*.json` files were written by the core before the JSON had a
`format` (see fixtures/README.md). Each must load into the very state that was written: the
FINSAM simulation's states are rebuilt here through its commands, the handmade one with
constructors.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import msgspec
import pytest

from engine.core.simulation import SimulationOptions, simulate
from engine.core.state import CaseState, Consent, TaskState, Timer
from engine.core.state_format import (
    FORMAT,
    MIGRATIONS,
    UnknownFormat,
    upgrade,
    upgrade_v1_to_v2,
    upgrade_v2_to_v3,
)

from .casekit import finsam

FIXTURES = Path(__file__).parent / "fixtures"
PATH = ("samtycke", "beslut", "inskrivning", "kartlaggning", "forberedande", "arbetstraning")


def simulated(path: tuple[str, ...]) -> CaseState:
    opts = SimulationOptions(
        start=date(2026, 3, 16),
        path=path,
        outcome="studier",
        sick_period_start=date(2026, 1, 12),
        extensions={"arbetstraning": 1},
        late={"medicinskt_underlag": 6},
    )
    return simulate(finsam(), opts).state


def handmade() -> CaseState:
    return CaseState(
        case_id="6f1c2d3e-0000-4000-8000-000000000001",
        definition_id="vaglednings-test",
        definition_version=3,
        status="active",
        phase="kartlaggning",
        phase_entered_on=date(2026, 4, 1),
        started_on=date(2026, 3, 2),
        anonymous=True,
        referred_by=None,
        phase_ends_on=date(2026, 6, 30),
        phase_visits=[("aktualisering", date(2026, 3, 2)), ("kartlaggning", date(2026, 4, 1))],
        consent=Consent(("fk",), date(2026, 3, 9), "blankett 9443", "anna", None),
        decision="on_hold",
        facts={
            "planerat_mote": date(2026, 3, 20),
            "timmar": 2**63 - 1,
            "andel": 0.1,
            "skuld": -3,
            "arbetsgivare_klar": False,
            "anteckning": 'åäö "citat" {date} \\ / \u2028',
            "datumtext": "2026-03-20",
            "tom": "",
        },
        tasks={
            "kartlagg": TaskState(
                id="kartlagg",
                spec="kartlagg",
                kind="task",
                label='Kartlägg "behov"',
                phase="kartlaggning",
                responsible="samordnare",
                party="kommun",
                status="accepted",
                created_on=date(2026, 4, 1),
                due=date(2026, 4, 15),
                blocking=True,
                escalated_to="samverkansteam",
                meeting=True,
            ),
            "kartlagg_2": TaskState(
                id="kartlagg_2",
                spec="kartlagg",
                kind="task",
                label="Kartlägg igen",
                phase="kartlaggning",
                responsible="fk",
                party="fk",
                status="declined",
                created_on=date(2026, 4, 2),
                due=None,
                blocking=False,
                closed_on=date(2026, 4, 3),
                reason="ingen tid",
            ),
            "rehabkedjan_dag_90": TaskState(
                id="rehabkedjan_dag_90",
                spec=None,
                kind="rehab_checkpoint",
                label="Dag 90",
                phase=None,
                responsible="fk",
                party="fk",
                status="open",
                created_on=date(2026, 4, 1),
                due=date(2026, 5, 31),
                blocking=False,
            ),
        },
        timers={
            "task:kartlagg:due": Timer(
                "task:kartlagg:due", datetime(2026, 4, 16, 4, tzinfo=UTC), "deadline", "kartlagg"
            ),
            "global:no_contact": Timer("global:no_contact", datetime(2026, 10, 25, 5, tzinfo=UTC), "no_contact"),
        },
        last_contact_on=date(2026, 4, 10),
        follow_ups=2,
        global_timers_started=("no_contact", "max_time"),
        outcome=None,
        outcome_reason="väntar",
        aborted=False,
        closed_on=None,
    )


CASES = {
    "state_format1_active.json": lambda: simulated(PATH),
    "state_format1_closed.json": lambda: simulated((*PATH, "avslut")),
    "state_format1_handmade.json": handmade,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_format_1_row_loads_into_the_state_that_wrote_it(name: str) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert "format" not in json.loads(text)
    expected = CASES[name]()
    assert CaseState.from_json(text) == expected
    assert CaseState.from_json(text.encode()) == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_format_1_row_is_saved_again_in_the_newest_format(name: str) -> None:
    loaded = CaseState.from_json((FIXTURES / name).read_text(encoding="utf-8"))
    written = loaded.to_json()
    assert json.loads(written)["format"] == FORMAT == 3
    assert CaseState.from_json(written) == loaded
    assert CaseState.from_json(written).to_json() == written


def test_the_fixtures_cover_every_kind_of_value() -> None:
    s = handmade()
    assert {type(v) for v in s.facts.values()} == {date, int, float, bool, str}
    assert s.consent is not None
    assert any(t.escalated_to and t.meeting for t in s.tasks.values())
    assert any(t.reason and t.closed_on and t.due is None for t in s.tasks.values())
    assert any(t.spec is None and t.phase is None for t in s.tasks.values())
    assert {t.ref is None for t in s.timers.values()} == {True, False}
    closed = simulated((*PATH, "avslut"))
    assert closed.closed
    assert closed.consent is not None
    assert closed.consent.withdrawn_on is not None


def test_format_3_writes_tasks_and_timers_as_named_fields_keyed_by_id() -> None:
    document = json.loads(handmade().to_json())
    assert list(document)[0] == "format"
    assert document["tasks"]["kartlagg_2"] == {
        "id": "kartlagg_2",
        "spec": "kartlagg",
        "kind": "task",
        "label": "Kartlägg igen",
        "phase": "kartlaggning",
        "responsible": "fk",
        "party": "fk",
        "status": "declined",
        "created_on": "2026-04-02",
        "due": None,
        "blocking": False,
        "closed_on": "2026-04-03",
        "reason": "ingen tid",
        "escalated_to": None,
        "meeting": False,
        "assignee": None,
        "assignee_name": None,
        "priority": "normal",
        "follow_up": None,
    }
    assert (document["team"], document["external_refs"], document["emergency"]) == ({}, {}, [])
    assert document["timers"]["global:no_contact"] == {
        "id": "global:no_contact",
        "at": "2026-10-25T05:00:00Z",
        "kind": "no_contact",
        "ref": None,
    }
    # a date fact is marked, so a text fact holding an ISO date stays text
    assert document["facts"]["planerat_mote"] == {"date": "2026-03-20"}
    assert document["facts"]["datumtext"] == "2026-03-20"


def test_to_dict_is_the_written_document() -> None:
    s = handmade()
    assert s.to_dict() == json.loads(s.to_json())


def test_the_upgrade_steps_run_in_order_from_a_documents_format() -> None:
    assert sorted(MIGRATIONS) == list(range(1, FORMAT))
    v1 = json.loads((FIXTURES / "state_format1_handmade.json").read_text(encoding="utf-8"))
    assert upgrade(v1) == upgrade_v2_to_v3(upgrade_v1_to_v2(v1))
    assert upgrade(upgrade(v1)) == upgrade(v1)  # a document of the newest format is left as it is
    assert "format" not in v1  # the step makes a new document


@pytest.mark.parametrize("value", [FORMAT + 1, 0, "2", None])
def test_a_document_of_a_format_this_engine_does_not_know_is_refused(value: object) -> None:
    document = handmade().to_dict() | {"format": value}
    with pytest.raises((UnknownFormat, msgspec.ValidationError)):
        CaseState.from_json(json.dumps(document))


def test_a_broken_document_of_the_newest_format_is_refused_not_upgraded() -> None:
    document = handmade().to_dict()
    document["tasks"] = []  # format 1's shape under format 3's mark
    with pytest.raises(msgspec.ValidationError):
        CaseState.from_json(json.dumps(document))
    del document["case_id"]
    with pytest.raises(msgspec.ValidationError):
        CaseState.from_json(json.dumps(document))


def test_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(msgspec.DecodeError):
        CaseState.from_json('{"format": 3, ')


def test_a_format_2_row_starts_with_no_team_and_its_tasks_unassigned() -> None:
    written = json.loads(handmade().to_json())
    v2 = {**written, "format": 2}
    for key in ("team", "external_refs", "emergency"):
        del v2[key]
    for task in v2["tasks"].values():
        for key in ("assignee", "assignee_name", "priority", "follow_up"):
            del task[key]
    loaded = CaseState.from_json(json.dumps(v2))
    assert loaded == handmade()
    assert loaded.team == {}
    assert all(t.assignee is None and t.priority == "normal" for t in loaded.tasks.values())
