"""The simulation an admin sees before publishing: dated tasks per party along a chosen path."""

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from engine.core.loader import load
from engine.core.simulation import SimulationError, SimulationOptions, agenda, default_path, simulate

ROOT = Path(__file__).resolve().parents[2]
FINSAM = load(ROOT / "definitions" / "finsam-insats.yaml")


def _types(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.type for e in result.events]


def test_default_path_follows_the_first_transition_out_of_each_phase() -> None:
    assert default_path(FINSAM) == (
        "samtycke",
        "beslut",
        "inskrivning",
        "kartlaggning",
        "forberedande",
        "arbetstraning",
        "avslut",
    )


def test_straight_path_closes_with_the_outcome_and_everyone_on_time() -> None:
    result = simulate(FINSAM, SimulationOptions(start=date(2026, 6, 15)))
    assert result.state.closed
    assert result.state.outcome == "förvärvsarbete"
    types = _types(result)
    assert "DeadlineMissed" not in types
    assert "TaskEscalated" not in types
    entered = [e.data["phase"] for e in result.events if e.type == "PhaseEntered"]
    assert entered == ["aktualisering", *default_path(FINSAM)]


def test_first_task_is_due_five_working_days_after_referral_across_midsommar() -> None:
    # Mon 2026-06-15 + 5 arbetsdagar: 16, 17, 18, (19 midsommarafton off, 20-21 weekend), 22, 23.
    result = simulate(FINSAM, SimulationOptions(start=date(2026, 6, 15)))
    created = next(e for e in result.events if e.type == "TaskCreated")
    assert created.data["task"] == "bekrafta_remiss"
    assert created.data["due"] == "2026-06-23"


def test_a_late_task_shows_its_deadline_and_escalation() -> None:
    # bekrafta_remiss due Tue 06-23; escalation 2 arbetsdagar after (24, 25) fires the day after, 06-26.
    result = simulate(FINSAM, SimulationOptions(start=date(2026, 6, 15), late={"bekrafta_remiss": 5}))
    lines = agenda(FINSAM, result)
    missed = [ln for ln in lines if ln.what.startswith("Försenad: Bekräfta")]
    escalated = [ln for ln in lines if ln.what.startswith("Eskalerad till teamledare: Bekräfta")]
    assert [ln.day for ln in missed] == [date(2026, 6, 24)]
    assert [ln.day for ln in escalated] == [date(2026, 6, 26)]
    assert escalated[0].who == "teamledare"


def test_extensions_lengthen_arbetstraning_until_the_limit() -> None:
    opts = SimulationOptions(start=date(2026, 6, 15), extensions={"arbetstraning": 3})
    result = simulate(FINSAM, opts)
    extended = [e.data["ends_on"] for e in result.events if e.type == "PhaseExtended"]
    assert len(extended) == 3
    entered = next(e for e in result.events if e.type == "PhaseEntered" and e.data["phase"] == "arbetstraning")
    assert entered.data["ends_on"] is not None
    # 3 + 3 * 3 = 12 months after the start of arbetsträning.
    start = date.fromisoformat(entered.at.date().isoformat())
    assert extended[-1] == date(start.year + 1, start.month, start.day).isoformat()


def test_too_many_extensions_are_refused_by_the_engine() -> None:
    opts = SimulationOptions(start=date(2026, 6, 15), extensions={"arbetstraning": 4})
    with pytest.raises(SimulationError) as exc:
        simulate(FINSAM, opts)
    assert exc.value.code == "extension_limit_reached"


def test_abort_in_a_phase_closes_the_case_there_with_avbrott() -> None:
    result = simulate(FINSAM, SimulationOptions(start=date(2026, 6, 15), abort_in="kartlaggning"))
    assert result.state.closed
    assert result.state.aborted
    assert result.state.phase == "kartlaggning"
    assert not result.state.open_tasks()


def test_skipping_forberedande_goes_straight_to_arbetstraning() -> None:
    path = ("samtycke", "beslut", "inskrivning", "kartlaggning", "arbetstraning", "avslut")
    result = simulate(FINSAM, SimulationOptions(start=date(2026, 6, 15), path=path, outcome="studier"))
    entered = [e.data["phase"] for e in result.events if e.type == "PhaseEntered"]
    assert "forberedande" not in entered
    assert result.state.outcome == "studier"


def test_a_path_the_definition_does_not_allow_is_reported() -> None:
    with pytest.raises(SimulationError) as exc:
        simulate(FINSAM, SimulationOptions(start=date(2026, 6, 15), path=("arbetstraning",)))
    assert exc.value.code == "transition_not_allowed"


def test_no_contact_alerts_appear_when_nobody_meets_the_participant() -> None:
    quiet = simulate(FINSAM, SimulationOptions(start=date(2026, 6, 15), contact_every=None))
    busy = simulate(FINSAM, SimulationOptions(start=date(2026, 6, 15)))
    assert "NoContactAlert" in _types(quiet)
    assert "NoContactAlert" not in _types(busy)


def test_anonymous_participants_pass_the_consent_phase_without_consent() -> None:
    result = simulate(FINSAM, SimulationOptions(start=date(2026, 6, 15), anonymous=True))
    assert result.state.closed
    assert "ConsentRecorded" not in _types(result)


def test_rehabiliteringskedjan_warnings_go_to_fk() -> None:
    result = simulate(FINSAM, SimulationOptions(start=date(2026, 6, 15), sick_period_start=date(2026, 5, 1)))
    warnings = [e for e in result.events if e.type == "RehabCheckpointWarning"]
    # Day 90 of a sick period starting 2026-05-01 is 2026-07-29; 14 days before is Wed 07-15.
    assert [(e.data["day"], e.data["checkpoint_on"], e.at.date()) for e in warnings][0] == (
        90,
        "2026-07-29",
        date(2026, 7, 15),
    )
    assert all(e.notify == ("fk",) for e in warnings)


def test_cli_simulate_prints_a_dated_agenda_and_fails_cleanly_on_a_bad_path() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "engine", "simulate", "definitions/finsam-insats.yaml", "--start", "2026-06-15"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert ok.returncode == 0, ok.stderr
    assert "2026-06-23" in ok.stdout
    assert "Avslut: förvärvsarbete" in ok.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "simulate",
            "definitions/finsam-insats.yaml",
            "--start",
            "2026-06-15",
            "--path",
            "avslut",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 1
    assert "Traceback" not in bad.stdout + bad.stderr
    assert "transition_not_allowed" in bad.stdout
