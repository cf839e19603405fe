"""The SIP definition: kommun and region both act, the plan is due within 10 days, and it names who is in charge."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from engine.core import commands as c
from engine.core.decide import decide
from engine.core.events import Decision, Rejected
from engine.core.loader import load
from engine.core.simulation import SimulationOptions, simulate

ROOT = Path(__file__).resolve().parents[2]
SIP = load(ROOT / "definitions" / "sip.yaml")
START = date(2026, 6, 15)  # a Monday; midsommarafton is Friday 2026-06-19


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)


def test_both_kommun_and_region_have_tasks_in_the_planning_phase() -> None:
    planning = SIP.phase_by_id["planering"]
    parties = {SIP.party_of(t.responsible) for t in planning.tasks}
    assert parties == {"kommun", "region"}


def test_simulated_plan_is_due_ten_days_after_referral_and_names_who_is_in_charge() -> None:
    result = simulate(SIP, SimulationOptions(start=START))
    assert result.state.closed
    created = {e.data["task"]: e.data for e in result.events if e.type == "TaskCreated"}
    assert created["upprat_plan"]["due"] == "2026-06-25"  # 10 calendar days from 2026-06-15
    assert created["upprat_plan"]["responsible"] == "sip_ansvarig"
    assert created["regionens_underlag"]["due"] == "2026-06-22"
    # Two arbetsdagar after the plan is done (Thu 06-25): Fri 26, Mon 29.
    assert created["dela_plan"]["due"] == "2026-06-29"
    assert "huvudansvarig" in result.state.facts
    entered = [e.data["phase"] for e in result.events if e.type == "PhaseEntered"]
    assert entered == ["aktualisering", "samtycke", "planering", "uppfoljning", "avslut"]
    assert [e.data["phase"] for e in result.events if e.type == "PhaseEntered" and e.data["ends_on"]] == ["uppfoljning"]
    assert sum(1 for e in result.events if e.type == "TaskCreated" and e.data["kind"] == "follow_up") == 3


def test_consent_covering_only_the_kommun_does_not_open_the_plan() -> None:
    result = decide(SIP, _case_state_before_planning(("kommun",)), c.StartPhase("planering", actor="t"), _at(START))
    assert isinstance(result, Rejected)
    assert result.code == "consent_required"
    assert "Regionen (hälso- och sjukvård)" in result.message


def test_plan_cannot_be_final_before_the_overall_responsibility_is_recorded() -> None:
    now = _at(START)
    state = _case_state_before_planning(("kommun", "region"))
    d = decide(SIP, state, c.StartPhase("planering", actor="t"), now)
    assert isinstance(d, Decision)
    state = d.state
    for task in ("kalla_sip_mote", "kommunens_underlag", "regionens_underlag", "upprat_plan"):
        d = decide(SIP, state, c.CompleteTask(task, actor="t"), now)
        assert isinstance(d, Decision), d
        state = d.state
    refused = decide(SIP, state, c.StartPhase("uppfoljning", actor="t"), now)
    assert isinstance(refused, Rejected)
    assert refused.code == "fact_required"
    d = decide(SIP, state, c.RecordFact("huvudansvarig", "Anna A, socialtjänsten", actor="t"), now)
    assert isinstance(d, Decision)
    assert isinstance(decide(SIP, d.state, c.StartPhase("uppfoljning", actor="t"), now), Decision)


def _case_state_before_planning(consent_parties: tuple[str, ...]):  # type: ignore[no-untyped-def]
    now = _at(START)
    d = decide(SIP, None, c.Refer("sip-1", "kommun", actor="t"), now)
    assert isinstance(d, Decision)
    state = d.state
    for cmd in (
        c.CompleteTask("bekrafta_behov", actor="t"),
        c.StartPhase("samtycke", actor="t"),
        c.RecordConsent(consent_parties, START, actor="t"),
        c.CompleteTask("inhamta_samtycke", actor="t"),
    ):
        d = decide(SIP, state, cmd, now)
        assert isinstance(d, Decision), d
        state = d.state
    return state


def test_simulate_command_runs_the_sip_definition() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "engine", "simulate", "definitions/sip.yaml", "--start", "2026-06-15"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Håll SIP-mötet och upprätta planen" in out.stdout
    assert "2026-06-25" in out.stdout
