"""bench/engine_bench.py's lifecycle, run once untimed, so the benchmark cannot silently rot."""

import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType

from engine.core import commands as c
from engine.core.decide import decide
from engine.core.events import Decision
from engine.core.loader import load
from engine.core.simulation import simulate

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("engine_bench", ROOT / "bench" / "engine_bench.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _bench()
FINSAM = load(ROOT / "definitions" / "finsam-insats.yaml")


def test_bench_lifecycle_closes_the_case_with_the_expected_outcome() -> None:
    script = bench.build_lifecycle(FINSAM)
    state = bench.replay(FINSAM, script, roundtrip=False)
    assert state.closed
    assert not state.aborted
    assert state.outcome == bench.EXPECTED_OUTCOME
    assert not state.open_tasks()
    assert not state.timers
    assert state.phase == "avslut"
    # the replay ends where the simulation that recorded it ended
    assert state == simulate(FINSAM, bench.LIFECYCLE).state


def test_bench_lifecycle_exercises_the_whole_engine() -> None:
    script = bench.build_lifecycle(FINSAM)
    kinds = Counter(type(cmd).__name__ for cmd, _ in script)
    for name in ("Refer", "RecordConsent", "DecideParticipation", "StartPhase", "CompleteTask", "RecordFact"):
        assert kinds[name] >= 1, name
    for name in ("FireTimer", "ExtendPhase", "RecordContact", "ExitCase"):
        assert kinds[name] >= 1, name
    fired = {cmd.timer_id.split(":")[0] for cmd, _ in script if isinstance(cmd, c.FireTimer)}
    assert fired >= {"task", "phase", "rehab"}
    assert [cmd for cmd, _ in script].count(c.StartPhase("avslut", actor="simulering")) == 1
    nows = [now for _, now in script]
    assert nows == sorted(nows)


def test_json_roundtrip_replay_ends_in_the_same_state_with_the_same_events() -> None:
    script = bench.build_lifecycle(FINSAM)
    in_memory = bench.replay(FINSAM, script, roundtrip=False)
    round_tripped = bench.replay(FINSAM, script, roundtrip=True)
    assert round_tripped == in_memory
    assert round_tripped.to_json() == in_memory.to_json()

    # and every single step agrees: same events and timer changes with and without the round-trip
    state = None
    for cmd, now in script:
        direct = decide(FINSAM, state, cmd, now)
        loaded = None if state is None else type(state).from_json(state.to_json())
        via_json = decide(FINSAM, loaded, cmd, now)
        assert isinstance(direct, Decision)
        assert isinstance(via_json, Decision)
        assert via_json.events == direct.events
        assert via_json.set_timers == direct.set_timers
        assert via_json.cancel_timers == direct.cancel_timers
        state = direct.state


def test_spiff_reference_lifecycle_completes() -> None:
    spiff = bench.Spiff()
    workflow = spiff.run(spiff.new(), roundtrip=True)
    assert workflow.is_completed()
